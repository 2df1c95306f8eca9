Feature: Message layer
  Spec section 4. A message is a run of frames of one type; the end flag marks its last frame.
  Receivers accept any framing; senders frame canonically (full 4 MiB frames, the rest last).

  Background:
    Given a connection to the implementation
    And a bystander connection opened alongside

  @id:msg-one-byte-frames @MSG-1 @MSG-2 @must
  Scenario: A request cut into 1-byte frames is understood
    When the client calls Echo with JSON body '{"split":"into single bytes","n":[1,2,3]}' in frames of 1 byte
    Then the response has status OK, as MSG-2 requires
    And the response body is the JSON '{"split":"into single bytes","n":[1,2,3]}', as MSG-2 requires

  @id:msg-odd-frame-sizes @MSG-2 @must
  Scenario Outline: Octets bodies in frames of any size arrive whole
    When the client calls Sink with an Octets body of <length> bytes in frames of <frame> bytes
    Then the response has status OK, as MSG-2 requires
    And the response reports the Length and SHA-256 of the body sent

    Examples:
      | id          | length  | frame   |
      | 1x7         | 7       | 1       |
      | 1000x3      | 1000    | 3       |
      | 100000x4093 | 100000  | 4093    |
      | 5mib-in-1mib| 5242880 | 1048576 |

  @id:msg-empty-last-frame @MSG-2 @SRV-8 @must
  Scenario: A JSON body whose last frame is empty is read to its end
    When the client sends a request header for "Echo" with DataType {MarshaledJSON} and Accept {MarshaledJSON}
    And the client sends these frames:
      | type | end | payload        |
      | Data | 0   | text:{"a":2}\\n |
      | Data | 1   | empty          |
    Then the next response has status OK, as SRV-8 requires
    And the response body is the JSON '{"a":2}', as SRV-8 requires
    And the connection is still usable, as SRV-8 requires

  @id:msg-data-instead-of-header @MSG-3 @CONN-1 @SRV-10 @must
  Scenario: A Data frame where a request header should start ends the connection
    When the client sends these frames:
      | type | end | payload        |
      | Data | 1   | text:{"a":1}\\n |
    Then the implementation ends the connection, as MSG-3 requires
    And the bystander connection still works

  @id:msg-data-inside-header @MSG-3 @CONN-1 @must
  Scenario: A Data frame in the middle of a header message ends the connection
    When the client sends these frames:
      | type   | end | payload                            |
      | Header | 0   | text:{"Endpoint":"Echo",           |
      | Data   | 1   | text:"DataType":{MarshaledJSON},"Accept":{MarshaledJSON}}\\n    |
    Then the implementation ends the connection, as MSG-3 requires
    And the bystander connection still works

  @id:msg-header-inside-body @MSG-3 @CONN-1 @must
  Scenario: A Header frame in the middle of a request body ends the connection
    When the client sends a request header for "Sink" with DataType {Octets} and Accept {MarshaledJSON}
    And the client sends these frames:
      | type   | end | payload        |
      | Data   | 0   | hex:00 01 02   |
      | Header | 1   | text:{}\\n      |
    Then the implementation ends the connection, as MSG-3 requires
    And the bystander connection still works

  @id:msg-canonical-response-framing @MSG-4 @must
  Scenario Outline: Response bodies are framed canonically
    When the client calls Source for <length> bytes
    Then the response has status OK
    And the response header is a single frame with the end flag set
    And the response body is framed canonically
    And the response body is <length> octets where byte i is i mod 251

    Examples:
      | id        | length   |
      | 0         | 0        |
      | 1         | 1        |
      | 4mib      | 4194304  |
      | 4mib-plus-1 | 4194305 |
      | 8mib      | 8388608  |

  @id:msg-header-4096-accepted @MSG-5 @HDR-4 @must
  Scenario: A request header of exactly 4096 bytes is accepted
    # The padding is an unknown field: first a short one, so that a server refusing unknown
    # fields is told it breaks HDR-4, not the size limit.
    When the client sends a request header for "Echo" with DataType {MarshaledJSON} and Accept {MarshaledJSON} padded to 200 bytes
    And the client sends a JSON body '{"small":"header"}'
    Then the next response has status OK, as HDR-4 requires
    When the client sends a request header for "Echo" with DataType {MarshaledJSON} and Accept {MarshaledJSON} padded to 4096 bytes
    And the client sends a JSON body '{"big":"header"}'
    Then the next response has status OK, as MSG-5 requires
    And the response body is the JSON '{"big":"header"}', as MSG-5 requires

  @id:msg-header-4097-rejected @MSG-5 @CONN-1 @SRV-10 @must
  Scenario: A request header of 4097 bytes ends the connection
    When the client sends a request header for "Echo" with DataType {MarshaledJSON} and Accept {MarshaledJSON} padded to 4097 bytes
    And the client sends a JSON body '{"big":"header"}'
    Then the implementation ends the connection
    And the bystander connection still works

  @id:msg-header-limit-before-payload @MSG-5 @CONN-1 @must
  Scenario: A header frame that would pass 4096 bytes ends the connection before its payload is sent
    When the client sends these frames:
      | type   | end | payload                  |
      | Header | 0   | fill:4000                |
    And the client sends a frame header of type Header, end flag 1 and length 97
    Then the implementation ends the connection
    And the bystander connection still works

  @id:msg-large-octets-streamed @MSG-6 @CTS-6 @must
  Scenario: A 64 MiB Octets body passes through in both directions
    When the client calls Sink with an Octets body of 67108864 bytes
    Then the response has status OK, as MSG-6 requires
    And the response reports the Length and SHA-256 of the body sent
    When the client calls Source for 67108864 bytes
    Then the response has status OK, as MSG-6 requires
    And the response body is 67108864 octets where byte i is i mod 251
