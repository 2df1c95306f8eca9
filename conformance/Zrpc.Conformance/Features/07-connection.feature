Feature: Connection lifetime and errors
  Spec section 8. A protocol error ends the connection (RST then close, or close alone); an RST
  or end of stream at a request boundary is an orderly end; a truncated request never yields
  an OK response.

  Background:
    Given a connection to the implementation
    And a bystander connection opened alongside

  @id:conn-rst-at-boundary @CONN-2 @CONN-3 @must
  Scenario: An RST between calls ends the connection quietly
    When the client calls Echo with JSON body '{"before":"rst"}'
    Then the response has status OK
    When the client sends RST
    Then the implementation closes the connection without answering, as CONN-2 requires

  @id:conn-rst-first @CONN-2 @CONN-3 @must
  Scenario: An RST as the very first frame ends the connection quietly
    When the client sends RST
    Then the implementation closes the connection without answering, as CONN-2 requires

  @id:conn-rst-mid-body @CONN-2 @CONN-4 @must
  Scenario: An RST inside a request body ends the connection without a response
    When the client sends a request header for "Sink" with DataType {Octets} and Accept {MarshaledJSON}
    And the client sends these frames:
      | type | end | payload        |
      | Data | 0   | fill:1000      |
    And the client sends RST
    Then the implementation sends no response and closes the connection, as CONN-2 requires
    And the bystander connection still works

  @id:conn-close-at-boundary @CONN-3 @must
  Scenario: Closing the sending side after a call ends the connection quietly
    When the client calls Echo with JSON body '{"bye":true}'
    Then the response has status OK
    When the client closes its sending side
    Then the implementation closes the connection without answering

  @id:conn-eof-after-header @CONN-4 @must
  Scenario: End of stream between a request header and its body gets no OK response
    When the client sends a request header for "Echo" with DataType {MarshaledJSON} and Accept {MarshaledJSON}
    And the client closes its sending side
    Then the implementation sends no response and closes the connection
    And the bystander connection still works

  @id:conn-eof-mid-body @CONN-4 @must
  Scenario: End of stream inside a request body gets no OK response
    When the client sends a request header for "Sink" with DataType {Octets} and Accept {MarshaledJSON}
    And the client sends these frames:
      | type | end | payload    |
      | Data | 0   | fill:5000  |
      | Data | 0   | fill:5000  |
    And the client closes its sending side
    Then the implementation sends no response and closes the connection
    And the bystander connection still works

  @id:conn-eof-mid-octets-frame @CONN-4 @FRAME-11 @must
  Scenario: End of stream inside a frame of an Octets body gets no OK response
    When the client sends a request header for "Sink" with DataType {Octets} and Accept {MarshaledJSON}
    And the client sends these frames:
      | type | end | payload    |
      | Data | 0   | fill:5000  |
    And the client sends a frame header of type Data, end flag 1 and length 5000
    And the client sends the bytes '00 01 02 03 04 05 06 07'
    And the client closes its sending side
    Then the implementation sends no response and closes the connection
    And the bystander connection still works

  @id:conn-error-keeps-others @TRANS-2 @CONN-1 @must
  Scenario: A protocol error on one connection leaves the others working
    Given a connection "B" to the implementation
    When the client uses connection "A"
    And the client sends a frame header of type Data, end flag 1 and length 4294967295
    Then the implementation ends the connection
    And the bystander connection still works
    When the client uses connection "B"
    Then the connection is still usable, as TRANS-2 requires
    Given a connection "C" to the implementation
    Then the connection is still usable, as TRANS-2 requires

  @id:conn-read-timeout-before-body @CONN-5 @should @slow
  Scenario: A peer that sends a request header and no body is cut off after a read timeout
    When the client sends a request header for "Echo" with DataType {MarshaledJSON} and Accept {MarshaledJSON}
    Then within 40 seconds the implementation ends the connection

  @id:conn-read-timeout @CONN-5 @should @slow
  Scenario: A peer that stops in the middle of a frame is cut off after a read timeout
    When the client sends the bytes '01 00 20 00'
    Then within 40 seconds the implementation ends the connection
