Feature: Server behaviour
  Spec section 7. A server answers bad requests with RequestError, handler failures with Error,
  and always reads a request body to its end, so the connection stays usable.

  Background:
    Given a connection to the implementation

  @id:srv-unregistered-endpoint @SRV-1 @SRV-7 @SRV-9 @RPC-12 @must
  Scenario Outline: An unknown endpoint gets RequestError and the body is drained
    When the client sends a request header for "<endpoint>" with DataType {Octets} and Accept {MarshaledJSON}
    And the client sends an Octets body of <length> bytes
    Then the next response has status RequestError, as SRV-1 requires
    And the connection is still usable, as SRV-7 requires

    Examples:
      | id          | endpoint     | length   |
      | small       | Nope         | 10       |
      | multi-frame | NoSuchThing  | 9000000  |
      | empty-name  |              | 100      |
      | lowercase   | echo         | 5        |

  @id:srv-wrong-datatype @SRV-2 @SRV-7 @must
  Scenario: A body of the wrong type gets RequestError and the body is drained
    When the client sends a request header for "Source" with DataType {Octets} and Accept {Octets}
    And the client sends an Octets body of 5000000 bytes
    Then the next response has status RequestError, as SRV-2 requires
    And the connection is still usable, as SRV-7 requires

  @id:srv-wrong-accept @SRV-3 @SRV-7 @must
  Scenario Outline: Asking for the wrong response type gets RequestError
    When the client sends a request header for "<endpoint>" with DataType <datatype> and Accept <accept>
    And the client sends <body>
    Then the next response has status RequestError, as SRV-3 requires
    And the connection is still usable, as SRV-7 requires

    Examples:
      | id          | endpoint | datatype | accept | body                               |
      | echo-octets | Echo     | {MarshaledJSON} | {Octets} | a JSON body '{"a":1}'              |
      | source-json | Source   | {MarshaledJSON} | {MarshaledJSON} | a JSON body '{"Length":5}'         |
      | sink-octets | Sink     | {Octets} | {Octets} | an Octets body of 4194305 bytes    |
      | echo-unset  | Echo     | {MarshaledJSON} | 0 | a JSON body '{"a":1}'              |

  @id:srv-undecodable-json @SRV-4 @SRV-7 @must
  Scenario Outline: A JSON body that cannot be decoded gets RequestError
    When the client calls <endpoint> with the raw JSON body text '<body>'
    Then the response has status RequestError, as SRV-4 requires
    And the connection is still usable, as SRV-7 requires

    Examples:
      | id                | endpoint | body                  |
      | truncated         | Echo     | {"a":                 |
      | empty             | Echo     |                       |
      | bare-word         | Echo     | hello                 |

    @CTS-7
    Examples: request objects of the wrong shape
      | id                | endpoint | body                  |
      | length-string     | Source   | {"Length":"ten"}      |
      | length-negative   | Source   | {"Length":-1}         |
      | length-fraction   | Source   | {"Length":1.5}        |
      | message-number    | Fail     | {"Message":42}        |

  @id:srv-undecodable-json-multiframe @SRV-4 @SRV-7 @must
  Scenario: An undecodable JSON body spread over many frames is drained before the next request
    When the client sends a request header for "Echo" with DataType {MarshaledJSON} and Accept {MarshaledJSON}
    And the client sends these frames:
      | type | end | payload     |
      | Data | 0   | text:{{{{   |
      | Data | 0   | fill:5000   |
      | Data | 0   | empty       |
      | Data | 1   | text:]]]]   |
    Then the next response has status RequestError, as SRV-4 requires
    And the connection is still usable, as SRV-7 requires

  @id:srv-json-body-not-valid-text @RPC-13 @SRV-4 @must
  Scenario Outline: A JSON body that is not valid text is refused or has the bad text replaced, never a server fault
    When the client calls Echo with the raw JSON body text '<body>'
    Then the response has status RequestError or is OK with the JSON '<replaced>' where U+FFFD stands for the invalid text
    And the connection is still usable

    Examples:
      | id            | body                     | replaced          |
      | stray-bytes   | {"a":"x\\xff\\xfey"}     | {"a":"x\\ufffdy"} |
      | overlong      | {"a":"x\\xc0\\xafy"}     | {"a":"x\\ufffdy"} |
      | cut-sequence  | {"a":"x\\xe2\\x82y"}     | {"a":"x\\ufffdy"} |
      | lone-high     | {"a":"x\\ud800y"}        | {"a":"x\\ufffdy"} |
      | lone-low      | {"a":"x\\udc00y"}        | {"a":"x\\ufffdy"} |
      | reversed-pair | {"a":"x\\udc00\\ud800y"} | {"a":"x\\ufffdy"} |
      | in-a-name     | {"x\\ud800y":1}          | {"x\\ufffdy":1}   |

  @id:srv-handler-error @SRV-5 @SRV-9 @CTS-3 @HDR-9 @must
  Scenario: A failing handler gets status Error with its message
    When the client calls Fail with JSON body '{"Message":"disk on fire"}'
    Then the response has status Error, as SRV-5 requires
    And the response ErrorMessage is 'disk on fire'
    And the connection is still usable, as SRV-9 requires

  @id:srv-early-error-body-in-flight @SRV-7 @must
  Scenario: The server drains a large body even when it answers before the body ends
    When the client sends a request header for "Nope" with DataType {Octets} and Accept {MarshaledJSON}
    And the client sends an Octets body of 20971520 bytes in frames of 65536 bytes
    Then the next response has status RequestError, as SRV-1 requires
    And the connection is still usable, as SRV-7 requires

  @id:srv-request-error-fields-ignored @SRV-13 @must
  Scenario: Error and ErrorMessage in a request are ignored
    When the client sends the header text '{"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"Error":3,"ErrorMessage":"the client says hello"}\n'
    And the client sends a JSON body '{"ignored":"fields"}'
    Then the next response has status OK, as SRV-13 requires
    And the response body is the JSON '{"ignored":"fields"}', as SRV-13 requires

  @id:srv-none-body @RPC-11 @SRV-2 @must
  Scenario: A request with a None body is read through its end frame
    When the client sends a request header for "Echo" with DataType 1 and Accept {MarshaledJSON}
    And the client sends these frames:
      | type | end | payload |
      | Data | 1   | empty   |
    Then the next response has status RequestError, as SRV-2 requires
    And the connection is still usable, as SRV-7 requires
