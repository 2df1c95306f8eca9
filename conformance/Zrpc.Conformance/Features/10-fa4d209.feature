@profile-fa4d209
Feature: Profile fa4d209
  spec/profile-fa4d209.md, the revision every released zrepl speaks: DataType Control (2) moves
  MarshaledJSON to 3 and Octets to 4, a control request has no body, a client ends a connection
  with the Close handshake, and the server sends RST whenever it stops serving a connection.
  These scenarios run with --profile fa4d209 only.

  Background:
    Given a connection to the implementation

  @id:fa-datatype-json @FAHDR-1 @FACTS-1 @RPC-4 @must
  Scenario: A MarshaledJSON body is DataType 3 both ways
    When the client sends a request header for "Echo" with DataType 3 and Accept 3
    And the client sends a JSON body '{"numbered":"fa4d209"}'
    Then the next response has status OK, as FACTS-1 requires
    And the response header has DataType MarshaledJSON, Accept 0 and an empty Endpoint and ErrorMessage, as FAHDR-1 requires
    And the response body is the JSON '{"numbered":"fa4d209"}', as FACTS-1 requires

  @id:fa-datatype-octets @FAHDR-1 @FACTS-1 @RPC-4 @must
  Scenario: An Octets body is DataType 4 both ways
    When the client sends a request header for "Source" with DataType 3 and Accept 4
    And the client sends a JSON body '{"Length":300}'
    Then the next response has status OK, as FACTS-1 requires
    And the response header has DataType Octets, Accept 0 and an empty Endpoint and ErrorMessage, as FAHDR-1 requires
    And the response body is 300 octets where byte i is i mod 251, as FACTS-1 requires
    When the client sends a request header for "Sink" with DataType 4 and Accept 3
    And the client sends an Octets body of 1000 bytes
    Then the next response has status OK, as FACTS-1 requires
    And the response reports the Length and SHA-256 of the body sent, as FACTS-1 requires

  @id:fa-accept-control-refused @FAHDR-1 @SRV-3 @SRV-7 @must
  Scenario: A service request that accepts Control is refused and its body drained
    When the client sends a request header for "Echo" with DataType 3 and Accept 2
    And the client sends a JSON body '{"accept":"control"}'
    Then the next response has status RequestError, as SRV-3 requires
    And the connection is still usable, as SRV-7 requires

  @id:fa-close-handshake @FASRV-3 @FARPC-3 @FACONN-1 @FACONN-2 @must
  Scenario: Close is answered OK with Control and no body, then RST, then the end
    When the client calls Echo with JSON body '{"before":"close"}'
    Then the response has status OK
    When the client sends a Close request
    Then the next response is the Close answer, as FASRV-3 requires
    And the implementation sends RST, nothing after it, and closes the connection within 1 second, as FACONN-2 requires

  @id:fa-close-first @FASRV-3 @FARPC-1 @must
  Scenario: Close as the very first request
    When the client sends a Close request
    Then the next response is the Close answer, as FASRV-3 requires
    And the implementation sends RST before it closes the connection, as FASRV-3 requires

  @id:fa-close-accept-ignored @FASRV-1 @FASRV-3 @must
  Scenario: The Accept of a Close request is ignored
    When the client sends a Close request with Accept 0
    Then the next response is the Close answer, as FASRV-1 requires
    And the implementation sends RST before it closes the connection, as FASRV-3 requires

  @id:fa-close-serves-nothing-after @FASRV-3 @must
  Scenario: A request pipelined behind Close is not served
    When the client sends a Close request
    And the client requests Echo with JSON body '{"after":"close"}'
    Then the next response is the Close answer, as FASRV-3 requires
    And the implementation sends RST before it closes the connection, as FASRV-3 requires

  @id:fa-close-client-rst @FACONN-3 @should
  Scenario: After its RST the server closes as soon as the client's RST arrives
    When the client sends a Close request
    Then the next response is the Close answer
    When the client sends RST
    Then after the kit's RST the implementation closes the connection at once, as FACONN-3 requires

  @id:fa-unknown-control-endpoint @FASRV-2 @FARPC-3 @SRV-9 @must
  Scenario Outline: A control request for another name is refused and the connection goes on
    When the client sends a control request for "<endpoint>"
    Then the next response is a control answer with status RequestError, as FASRV-2 requires
    And the response header has DataType 0, Accept 0 and an empty Endpoint
    And the connection is still usable, as FASRV-2 requires

    Examples:
      | id       | endpoint |
      | echo     | Echo     |
      | nope     | Nope     |
      | lower    | close    |

  @id:fa-unknown-control-endpoint-message @FASRV-2 @should
  Scenario: The refusal of a control endpoint names it
    When the client sends a control request for "Nope"
    Then the next response is a control answer with status RequestError, as FASRV-2 requires
    And the response ErrorMessage is 'unregistered control endpoint Nope', as FASRV-2 requires

  @id:fa-close-service-endpoint @FARPC-4 @SRV-1 @must
  Scenario: A service request for "Close" is an ordinary call
    When the client calls Close with JSON body '{}'
    Then the response has status RequestError, as FARPC-4 requires
    And the connection is still usable, as FARPC-4 requires

  @id:fa-control-with-body @FASRV-4 @FARPC-1 @FACONN-1 @must
  Scenario: A Data message after a control request is a protocol error
    When the client sends a control request for "Echo"
    And the client sends a JSON body '{"a":1}'
    Then the next response is a control answer with status RequestError, as FASRV-2 requires
    And the implementation sends RST before it closes the connection, as FASRV-4 requires

  @id:fa-rst-on-end-of-stream @FACONN-1 @CONN-3 @must
  Scenario: At the client's end of stream the server sends RST before closing
    When the client calls Echo with JSON body '{"last":"call"}'
    Then the response has status OK
    When the client closes its sending side
    Then the implementation sends RST before it closes the connection, as FACONN-1 requires

  @id:fa-rst-on-protocol-error @FACONN-1 @MSG-3 @must
  Scenario: After a protocol error the server sends RST before closing
    When the client sends these frames:
      | type | end | payload   |
      | Data | 1   | text:{}\n |
    Then the implementation sends RST before it closes the connection, as FACONN-1 requires
