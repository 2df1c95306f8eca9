Feature: Transport
  Spec section 2. The protocol runs over any reliable byte stream, with no greeting; a server
  keeps its connections apart and serves them at the same time.

  @id:trans-no-greeting @TRANS-1 @must
  Scenario: The server says nothing before the first request
    Given a connection to the implementation
    Then the implementation sends nothing for 500 milliseconds
    And the connection is still usable, as TRANS-1 requires

  @id:trans-many-calls-one-connection @TRANS-1 @RPC-10 @must
  Scenario: One connection carries many calls in sequence
    Given a connection to the implementation
    Then the connection is still usable 50 times in a row, as RPC-10 requires

  @id:trans-stalled-peer-does-not-block @TRANS-3 @must
  Scenario: A peer stalled in the middle of a frame does not block another connection
    Given a connection "stalled" to the implementation
    When the client sends these frames:
      | type   | end | payload                    |
      | Header | 0   | text:{"Endpoint":"Echo",   |
    And the client sends the bytes '01 01 40 00'
    Given a connection "B" to the implementation
    Then the connection is still usable, as TRANS-3 requires

  @id:trans-stalled-body-does-not-block @TRANS-3 @must
  Scenario: A peer stalled in the middle of a body does not block another connection
    Given a connection "stalled" to the implementation
    When the client sends a request header for "Sink" with DataType {Octets} and Accept {MarshaledJSON}
    And the client sends these frames:
      | type | end | payload    |
      | Data | 0   | fill:100   |
    Given a connection "B" to the implementation
    When the client calls Sink with an Octets body of 1000000 bytes
    Then the response has status OK, as TRANS-3 requires
    And the response reports the Length and SHA-256 of the body sent

  @id:trans-concurrent-connections @TRANS-2 @TRANS-3 @must
  Scenario: Several connections in use at the same time each get their own answers
    Given 8 connections to the implementation
    When each connection requests Echo with its own JSON body
    Then each connection receives its own body back
