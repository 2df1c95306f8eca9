Feature: RPC header
  Spec section 5. The header is one JSON object with the fields Endpoint, DataType, Accept,
  Error and ErrorMessage. Receivers are lenient about letter case, unknown fields and
  whitespace; senders write one canonical form.

  Background:
    Given a connection to the implementation
    And a bystander connection opened alongside

  @id:hdr-response-canonical @HDR-1 @HDR-2 @must
  Scenario Outline: Response headers are written in the canonical form
    When the client calls <endpoint> with JSON body '<body>'
    Then the response has status <status>
    And the response header is canonical

    Examples:
      | id      | endpoint | body                  | status       |
      | ok      | Echo     | {"x":[1,2]}           | OK           |
      | error   | Fail     | {"Message":"no"}      | Error        |
      | octets  | Source   | {"Length":3}          | OK           |

  @id:hdr-response-canonical-request-error @HDR-2 @must
  Scenario: The header of a RequestError response is canonical
    When the client calls NoSuchEndpoint with JSON body '{}'
    Then the response has status RequestError
    And the response header is canonical

  @id:hdr-field-name-case @HDR-4 @must
  Scenario Outline: Field names are matched without regard to letter case
    When the client sends the header text '<header>'
    And the client sends a JSON body '{"case":"<id>"}'
    Then the next response has status OK, as HDR-4 requires
    And the response body is the JSON '{"case":"<id>"}', as HDR-4 requires

    Examples:
      | id    | header                                                                |
      | lower | {"endpoint":"Echo","datatype":{MarshaledJSON},"accept":{MarshaledJSON},"error":0,"errormessage":""}\\n |
      | upper | {"ENDPOINT":"Echo","DATATYPE":{MarshaledJSON},"ACCEPT":{MarshaledJSON},"ERROR":0,"ERRORMESSAGE":""}\\n |
      | mixed | {"eNdPoInT":"Echo","DaTaTyPe":{MarshaledJSON},"aCcEpT":{MarshaledJSON}}\\n                         |

  @id:hdr-unknown-fields-ignored @HDR-4 @must
  Scenario: Unknown fields are ignored
    When the client sends the header text '{"Endpoint":"Echo","Version":7,"DataType":{MarshaledJSON},"Nested":{"a":[1,{"b":null}]},"Accept":{MarshaledJSON},"Error":0,"ErrorMessage":"","Zzz":"last"}\n'
    And the client sends a JSON body '"unknown fields"'
    Then the next response has status OK, as HDR-4 requires
    And the response body is the JSON '"unknown fields"', as HDR-4 requires

  @id:hdr-absent-and-null-fields @HDR-4 @must
  Scenario: Absent fields and nulls count as zero or empty
    When the client sends the header text '{"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"ErrorMessage":null}'
    And the client sends a JSON body '{"absent":true}'
    Then the next response has status OK, as HDR-4 requires
    And the response body is the JSON '{"absent":true}', as HDR-4 requires

  @id:hdr-whitespace-accepted @HDR-4 @must
  Scenario: Whitespace anywhere JSON allows it is accepted
    When the client sends the header text '\r\n\t {\n  "Endpoint" : "Echo" ,\n  "DataType" : {MarshaledJSON} ,\n  "Accept" : {MarshaledJSON} ,\n  "Error" : 0 ,\n  "ErrorMessage" : ""\n}\n\n \t'
    And the client sends a JSON body '{"pretty":1}'
    Then the next response has status OK, as HDR-4 requires
    And the response body is the JSON '{"pretty":1}', as HDR-4 requires

  @id:hdr-malformed @HDR-5 @SRV-10 @CONN-1 @must
  Scenario Outline: A malformed header ends the connection
    When the client sends the header text '<header>'
    And the client sends a JSON body '{}'
    Then the implementation ends the connection
    And the bystander connection still works

    Examples:
      | id                 | header                                                                 |
      | not-json           | Endpoint=Echo\\n                                                        |
      | truncated-json     | {"Endpoint":"Echo","DataType":{MarshaledJSON},                                       |
      | array              | ["Echo",2,2,0,""]\\n                                                    |
      | string             | "Echo"\\n                                                               |
      | number             | 2\\n                                                                    |
      | null               | null\\n                                                                 |
      | empty              |                                                                        |
      | trailing-garbage   | {"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON}} x\\n                        |
      | two-objects        | {"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON}}{}\\n                        |
      | datatype-string    | {"Endpoint":"Echo","DataType":"2","Accept":{MarshaledJSON}}\\n                        |
      | datatype-fraction  | {"Endpoint":"Echo","DataType":2.5,"Accept":{MarshaledJSON}}\\n                        |
      | datatype-dot-zero  | {"Endpoint":"Echo","DataType":2.0,"Accept":{MarshaledJSON}}\\n                        |
      | datatype-exponent  | {"Endpoint":"Echo","DataType":2e0,"Accept":{MarshaledJSON}}\\n                        |
      | datatype-negative  | {"Endpoint":"Echo","DataType":-2,"Accept":{MarshaledJSON}}\\n                         |
      | datatype-256       | {"Endpoint":"Echo","DataType":258,"Accept":{MarshaledJSON}}\\n                        |
      | accept-bool        | {"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":true}\\n                       |
      | error-2-pow-64     | {"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"Error":18446744073709551616}\\n |
      | endpoint-number    | {"Endpoint":7,"DataType":{MarshaledJSON},"Accept":{MarshaledJSON}}\\n                               |
      | endpoint-object    | {"Endpoint":{"name":"Echo"},"DataType":{MarshaledJSON},"Accept":{MarshaledJSON}}\\n                 |
      | message-array      | {"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"ErrorMessage":[]}\\n        |

  @id:hdr-invalid-utf8 @HDR-6 @must
  Scenario: Invalid UTF-8 in a header is either refused or replaced, never anything else
    When the client sends the header text '{"Endpoint":"Ec\xffho","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"Error":0,"ErrorMessage":""}\n'
    And the client sends a JSON body '{}'
    Then the implementation either ends the connection or answers with status RequestError, as HDR-6 requires
    And if the connection is open it is still usable, as SRV-7 requires

  @id:hdr-duplicate-field-last-wins @HDR-7 @should
  Scenario: When a field appears twice, the last one counts
    # First the lower-case name alone: a server that ignores it breaks HDR-4, not HDR-7.
    When the client sends the header text '{"endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"Error":0,"ErrorMessage":""}\n'
    And the client sends a JSON body '{"lower":1}'
    Then the next response has status OK, as HDR-4 requires
    When the client sends the header text '{"Endpoint":"Nope","endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"Error":0,"ErrorMessage":""}\n'
    And the client sends a JSON body '{"dup":1}'
    Then the next response has status OK, as HDR-7 requires
    And the response body is the JSON '{"dup":1}', as HDR-7 requires

  @id:hdr-long-error-message-shortened @HDR-8 @CTS-3 @must
  Scenario Outline: An error message too long for the header is shortened, never cut off
    When the client calls Fail with a Message of <count> repetitions of '<unit>'
    Then the response has status Error, as HDR-8 requires
    And the response header is canonical
    And the response header is at most 4096 bytes
    And the response ErrorMessage is a prefix of the Message sent

    Examples:
      | id         | count | unit |
      | ascii      | 5000  | a    |
      | two-byte   | 3000  | é    |
      | four-byte  | 2000  | 🦀   |
      | escapes    | 1500  | \\<" |
      | newlines   | 3000  | \\n   |

  @id:hdr-error-header-exactly-4096 @MSG-4 @CTS-3 @must
  Scenario: An error header of exactly 4096 bytes is sent whole, as one frame and nothing after it
    When the client calls Fail with a Message that makes the error header 4096 bytes
    Then the response has status Error, as CTS-3 requires
    And the response ErrorMessage is the Message sent, as CTS-3 requires
    And the response header is a single frame with the end flag set
    And the implementation sends nothing more for 500 milliseconds, as MSG-4 requires

  @id:hdr-error-header-4097-shortened @HDR-8 @MSG-4 @must
  Scenario: An error header that would be 4097 bytes is shortened to at most 4096
    When the client calls Fail with a Message that makes the error header 4097 bytes
    Then the response has status Error, as HDR-8 requires
    And the response header is at most 4096 bytes
    And the response ErrorMessage is a prefix of the Message sent
    And the implementation sends nothing more for 500 milliseconds, as MSG-4 requires
    And the connection is still usable, as HDR-8 requires

  @id:hdr-go-escaping @HDR-3 @should
  Scenario: Strings in headers are escaped as the 2017 implementation escapes them
    When the client calls Fail with JSON body '{"Message":"<a&b>\u0001\u2028\u00e9\"q\"\\"}'
    Then the response has status Error, as HDR-3 requires
    And the raw response header contains '"ErrorMessage":"\u003ca\u0026b\u003e\u0001\u2028é\"q\"\\"}'

  @id:hdr-lone-surrogate @HDR-11 @must
  Scenario: An escaped lone surrogate in a header is either refused or replaced
    When the client sends the header text '{"Endpoint":"Ec\ud800ho","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"Error":0,"ErrorMessage":""}\n'
    And the client sends a JSON body '{}'
    Then the implementation either ends the connection or answers with status RequestError, as HDR-11 requires
    And if the connection is open it is still usable, as SRV-7 requires

  @id:hdr-shorten-longest-prefix @HDR-10 @should
  Scenario Outline: A shortened error message keeps as much of the message as fits
    When the client calls Fail with a Message of <count> repetitions of '<unit>'
    Then the response has status Error, as HDR-10 requires
    And the response ErrorMessage is the longest prefix of the Message sent that fits in 4096 bytes

    Examples:
      | id        | count | unit |
      | ascii     | 5000  | a    |
      | two-byte  | 3000  | é    |
      | four-byte | 2000  | 🦀   |
      | one-over  | 4029  | a    |
