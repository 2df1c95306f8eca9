Feature: RPC exchange
  Spec section 6. A request is a Header message and exactly one Data message; a response is a
  Header message, followed by a Data message only when the status is OK.

  Background:
    Given a connection to the implementation

  @id:rpc-body-follows-any-header @profile-6ab05ee @RPC-1 @RPC-11 @SRV-2 @SRV-7 @must
  Scenario Outline: A request always carries one body, whatever its header says
    When the client sends a request header for "Echo" with DataType <datatype> and Accept 2
    And the client sends an Octets body of 6000000 bytes
    Then the next response has status RequestError, as SRV-2 requires
    And the connection is still usable, as SRV-7 requires

    Examples:
      | id       | datatype |
      | unset    | 0        |
      | none     | 1        |
      | octets   | 3        |
      | unknown  | 200      |

  @id:rpc-ok-response-has-body @profile-6ab05ee @RPC-3 @RPC-4 @HDR-9 @must
  Scenario Outline: An OK response carries a body of the type asked for
    When the client calls <endpoint> with JSON body '<body>'
    Then the response has status OK
    And the response header has DataType <datatype>, Accept 0 and an empty Endpoint and ErrorMessage

    Examples:
      | id     | endpoint | body            | datatype |
      | json   | Echo     | [1,"two",null]  | 2        |
      | octets | Source   | {"Length":5}    | 3        |

  @id:rpc-error-response-has-no-body @RPC-3 @RPC-5 @SRV-9 @must
  Scenario: An error response is not followed by a body
    When the client requests Fail with JSON body '{"Message":"first"}'
    And the client requests Echo with JSON body '{"second":2}'
    Then the next response has status Error
    And the response header has DataType 0, Accept 0 and an empty Endpoint
    And the next response has status OK
    And the response body is the JSON '{"second":2}'

  @id:rpc-error-message-describes @RPC-5 @should
  Scenario: An error response says what went wrong
    When the client calls NoSuchEndpoint with JSON body '{}'
    Then the response has status RequestError
    And the response ErrorMessage is not empty

  @id:rpc-json-whitespace @RPC-7 @must
  Scenario: A JSON body may have whitespace around the value
    When the client calls Echo with the raw JSON body text ' \r\n\t{"a" : [ 1 , 2 ] }\n\n \t'
    Then the response has status OK, as RPC-7 requires
    And the response body is the JSON '{"a":[1,2]}', as RPC-7 requires

  @id:rpc-json-trailing-garbage @RPC-7 @SRV-4 @SRV-7 @must
  Scenario Outline: Anything but whitespace after the JSON value makes the body undecodable
    When the client calls Echo with the raw JSON body text '<body>'
    Then the response has status RequestError, as RPC-7 requires
    And the connection is still usable, as SRV-7 requires

    Examples:
      | id           | body             |
      | letter       | {"a":1} x\\n      |
      | second-value | {"a":1}{"b":2}\\n |
      | second-number| 1 2\\n            |

  @id:rpc-json-compact-response @RPC-8 @should
  Scenario: A JSON response body is compact JSON followed by one line feed
    When the client calls Echo with the raw JSON body text '{ "a" : [ 1, 2, {"b" : "c"} ] }'
    Then the response has status OK
    And the response body is exactly the text '{"a":[1,2,{"b":"c"}]}\n'

  @id:rpc-octets-any-bytes @RPC-9 @CTS-5 @must
  Scenario: Octets bodies carry every byte value
    When the client calls Sink with the Octets body '00 01 02 0a 0d 1a 22 5c 7b 7d 7f 80 c0 fe ff 00'
    Then the response has status OK, as RPC-9 requires
    And the response reports the Length and SHA-256 of the body sent

  @id:rpc-octets-empty @RPC-9 @CTS-5 @must
  Scenario: An empty Octets body is legal
    When the client calls Sink with an Octets body of 0 bytes
    Then the response has status OK, as RPC-9 requires
    And the response reports the Length and SHA-256 of the body sent

  @id:rpc-pipelined @RPC-10 @must
  Scenario: Pipelined requests are answered in order
    # The same calls one at a time first: a failure there is not about pipelining and names
    # the requirement it breaks.
    When the client calls Echo with JSON body '{"n":1}'
    Then the response has status OK, as CTS-2 requires
    When the client calls Source with JSON body '{"Length":100000}'
    Then the response has status OK, as CTS-4 requires
    And the response body is 100000 octets where byte i is i mod 251
    When the client calls NoSuchEndpoint with JSON body '{}'
    Then the response has status RequestError, as SRV-1 requires
    And the connection is still usable, as SRV-7 requires
    When the client calls Fail with JSON body '{"Message":"fourth"}'
    Then the response has status Error, as CTS-3 requires
    And the connection is still usable, as SRV-9 requires
    Given a connection "pipelined" to the implementation
    When the client requests Echo with JSON body '{"n":1}'
    And the client requests Source with JSON body '{"Length":100000}'
    And the client requests NoSuchEndpoint with JSON body '{}'
    And the client requests Fail with JSON body '{"Message":"fourth"}'
    And the client requests Echo with JSON body '{"n":5}'
    Then the next response has status OK, as RPC-10 requires
    And the response body is the JSON '{"n":1}', as RPC-10 requires
    And the next response has status OK, as RPC-10 requires
    And the response body is 100000 octets where byte i is i mod 251, as RPC-10 requires
    And the next response has status RequestError, as RPC-10 requires
    And the next response has status Error, as RPC-10 requires
    And the response ErrorMessage is 'fourth', as RPC-10 requires
    And the next response has status OK, as RPC-10 requires
    And the response body is the JSON '{"n":5}', as RPC-10 requires
