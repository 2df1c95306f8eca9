@client
Feature: Client behaviour
  Spec section 9, and the receiver's side of sections 3 to 8 as a client meets it. The kit plays
  the server: it reads each request the client sends, records it, then answers exactly as the
  scenario scripts it, byte by byte. The client is driven through its client driver
  (conformance/CLIENT-DRIVER.md), which prints one result line per call. A good client reports
  protocol errors as errors, never reports a truncated body as a success, never waits past its
  timeout and never crashes.

  Rule: A client sends canonical requests

    @id:client-request-canonical-json @RPC-2 @HDR-2 @MSG-4 @RPC-1 @TRANS-1 @FRAME-1 @FRAME-3 @must
    Scenario: A JSON request is a canonical header and a canonical body
      Given the kit answers request 1 with status OK and the JSON body '{"a":[1,"two",null]}'
      When the client driver calls Echo with JSON '{"a":[1,"two",null]}'
      Then the kit received request 1 as a canonical Echo request with the JSON body '{"a":[1,"two",null]}'
      And call 1 succeeds with the JSON '{"a":[1,"two",null]}'

    @id:client-request-canonical-octets @MSG-4 @RPC-2 @HDR-2 @RPC-9 @FRAME-1 @FRAME-3 @must
    Scenario Outline: An Octets request body is framed canonically
      Given the kit answers request 1 with status OK and the JSON body '{"Length":<length>}'
      When the client driver calls Sink with an Octets body of <length> bytes
      Then the kit received request 1 as a canonical Sink request with an Octets body of <length> bytes
      And call 1 succeeds with the JSON '{"Length":<length>}'

      Examples:
        | id            | length  |
        | empty         | 0       |
        | small         | 1000    |
        | exactly-4mib  | 4194304 |
        | over-4mib     | 4194309 |

    @id:client-request-accept-octets @RPC-2 @HDR-2 @must
    Scenario: A request for an Octets response says so in Accept
      Given the kit answers request 1 with status OK and an Octets body of 10 bytes
      When the client driver calls Source with JSON '{"Length":10}'
      Then the kit received request 1 as a canonical Source request with the JSON body '{"Length":10}'
      And call 1 succeeds with an Octets body of 10 bytes where byte i is i mod 251

    @id:client-request-header-4096 @MSG-4 @MSG-5 @HDR-2 @must
    Scenario: A request header of exactly 4096 bytes is sent whole, as one frame
      Given the kit answers request 1 with status OK and the JSON body '{"long":"name"}'
      When the client driver calls an endpoint whose request header is 4096 bytes with JSON '{"long":"name"}'
      Then the kit received request 1 as a canonical request to that endpoint with the JSON body '{"long":"name"}', as MSG-5 requires
      And call 1 succeeds with the JSON '{"long":"name"}', as MSG-5 requires

    @id:client-request-header-4097 @MSG-5 @HDR-2 @must
    Scenario: A call whose request header would be 4097 bytes fails without sending it
      Given the kit answers request 1 with status OK and the JSON body '{"after":"refusal"}'
      When the client driver calls an endpoint whose request header is 4097 bytes with JSON '{"too":"long"}'
      And the client driver calls Echo with JSON '{"after":"refusal"}'
      Then the kit received request 1 as a canonical Echo request with the JSON body '{"after":"refusal"}'
      And call 1 fails with an error, as MSG-5 requires
      And call 2 succeeds with the JSON '{"after":"refusal"}', as MSG-5 requires

  Rule: A client accepts every legal way of sending a response

    @id:client-response-1-byte-frames @MSG-2 @FRAME-7 @must
    Scenario: A response split into 1-byte frames is read whole
      Given the kit answers request 1 with status OK and the JSON body '{"split":"into single bytes"}' in frames of 1 byte
      When the client driver calls Echo with JSON '{"split":"into single bytes"}'
      Then call 1 succeeds with the JSON '{"split":"into single bytes"}'

    @id:client-response-in-pieces @MSG-2 @FRAME-7 @must
    Scenario Outline: A response whose frame headers and payloads arrive in pieces, with pauses, is read whole
      Given the kit answers request 1 with status OK and the JSON body '{"arrives":"in pieces"}' in pieces of <piece> bytes with pauses of <pause> milliseconds
      When the client driver calls Echo with JSON '{"arrives":"in pieces"}'
      Then call 1 succeeds with the JSON '{"arrives":"in pieces"}'

      Examples:
        | id        | piece | pause |
        | 1-byte    | 1     | 10    |
        | 4-bytes   | 4     | 150   |

    @id:client-response-empty-frames @MSG-2 @FRAME-7 @must
    Scenario: Empty frames anywhere in a message change nothing
      Given the kit answers request 1 with these frames:
        | type   | end | payload                                                       |
        | Header | 0   | empty                                                         |
        | Header | 0   | text:{"Endpoint":"","DataType":{MarshaledJSON},                             |
        | Header | 0   | empty                                                         |
        | Header | 1   | text:"Accept":0,"Error":1,"ErrorMessage":""}\\n                |
        | Data   | 0   | empty                                                         |
        | Data   | 0   | text:{"empty":                                                |
        | Data   | 0   | empty                                                         |
        | Data   | 0   | empty                                                         |
        | Data   | 0   | text:"frames"}\\n                                              |
        | Data   | 1   | empty                                                         |
      When the client driver calls Echo with JSON '{"empty":"frames"}'
      Then call 1 succeeds with the JSON '{"empty":"frames"}'

    @id:client-response-end-flag-nonzero @FRAME-4 @must
    Scenario Outline: Any non-zero end flag ends a message
      Given the kit answers request 1 with these frames:
        | type   | end    | payload                                                                      |
        | Header | <flag> | text:{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}\\n   |
        | Data   | <flag> | text:{"flag":"<flag>"}\\n                                                     |
      And the kit answers request 2 with status OK and the JSON body '{"next":true}'
      When the client driver calls Echo with JSON '{"flag":"<flag>"}'
      And the client driver calls Echo with JSON '{"next":true}'
      Then call 1 succeeds with the JSON '{"flag":"<flag>"}'
      And call 2 succeeds with the JSON '{"next":true}'

      Examples:
        | id   | flag |
        | 0x02 | 2    |
        | 0xff | 255  |

    @id:client-octets-large @FRAME-7 @MSG-2 @MSG-6 @CLI-4 @must
    Scenario Outline: Large Octets bodies arrive complete
      Given the kit answers request 1 with status OK and an Octets body of <length> bytes
      When the client driver calls Source with JSON '{"Length":<length>}'
      Then call 1 succeeds with an Octets body of <length> bytes where byte i is i mod 251

      Examples:
        | id      | length   |
        | 4mib    | 4194304  |
        | 64mib   | 67108864 |

    @id:client-header-any-case-and-order @HDR-4 @must
    Scenario: Header field names in another case and order, unknown fields and whitespace are accepted
      Given the kit answers request 1 with the header ' \n\t{ "errormessage" : "", "Unknown": [1, {"x": null}], "dATAtYPE":{MarshaledJSON},\n "ERROR": 1, "accept":0, "endpoint":"", "Extra":"field" } \n'
      And the kit then sends these frames:
        | type | end | payload             |
        | Data | 1   | text:{"case":1}\\n   |
      When the client driver calls Echo with JSON '{"case":1}'
      Then call 1 succeeds with the JSON '{"case":1}'

    @id:client-header-absent-fields @HDR-4 @RPC-6 @must
    Scenario: Absent and null header fields count as zero or empty
      Given the kit answers request 1 with the header '{"Error":4,"ErrorMessage":null}\n'
      And the kit answers request 2 with status OK and the JSON body '{"after":"absent fields"}'
      When the client driver calls Echo with JSON '{"a":1}'
      And the client driver calls Echo with JSON '{"after":"absent fields"}'
      Then call 1 reports status 4 with the ErrorMessage ''
      And call 2 succeeds with the JSON '{"after":"absent fields"}'

    @id:client-header-duplicate-field @HDR-7 @should
    Scenario: When a header field appears twice, the last occurrence counts
      Given the kit answers request 1 with the header '{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":4,"ErrorMessage":"first","error":1,"ERRORMESSAGE":""}\n'
      And the kit then sends these frames:
        | type | end | payload               |
        | Data | 1   | text:{"twice":true}   |
      When the client driver calls Echo with JSON '{"twice":true}'
      Then call 1 succeeds with the JSON '{"twice":true}'

  Rule: Error statuses are reported, with no body read

    @id:client-error-status @CLI-1 @RPC-3 @RPC-6 @must
    Scenario Outline: An error status is reported with its ErrorMessage and the connection goes on
      Given the kit answers request 1 with status <status> and the ErrorMessage '<message>'
      And the kit answers request 2 with status OK and the JSON body '{"second":2}'
      When the client driver calls Fail with JSON '{"Message":"<message>"}'
      And the client driver calls Echo with JSON '{"second":2}'
      Then call 1 reports status <status> with the ErrorMessage '<message>'
      And call 2 succeeds with the JSON '{"second":2}'

      Examples:
        | id              | status | message                 |
        | request-error   | 2      | unregistered endpoint X |
        | server-error    | 3      | cannot encode           |
        | error           | 4      | the handler failed      |
        | no-message      | 4      |                         |
        | unassigned      | 77     | a status from the future|

    @id:client-error-any-datatype @RPC-6 @CLI-1 @must
    Scenario Outline: An error response may carry any DataType and Accept
      Given the kit answers request 1 with the header '{"Endpoint":"","DataType":<datatype>,"Accept":<accept>,"Error":2,"ErrorMessage":"bad request"}\n'
      And the kit answers request 2 with status OK and the JSON body '{"still":"usable"}'
      When the client driver calls Echo with JSON '{"a":1}'
      And the client driver calls Echo with JSON '{"still":"usable"}'
      Then call 1 reports status 2 with the ErrorMessage 'bad request'
      And call 2 succeeds with the JSON '{"still":"usable"}'

      Examples:
        | id        | datatype | accept |
        | zero-2017 | 0        | 0      |
        | json      | 2        | 2      |
        | odd       | 7        | 9      |

  Rule: A broken response fails the call and never passes for a success

    @id:client-status-zero @CLI-2 @must
    Scenario: Status 0 in a response is a protocol error
      Given the kit answers request 1 with the header '{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":0,"ErrorMessage":""}\n'
      And the kit then sends these frames:
        | type | end | payload            |
        | Data | 1   | text:{"zero":0}\\n  |
      And the kit then stalls
      When the client driver calls Echo with JSON '{"zero":0}'
      Then call 1 fails with an error without waiting for its timeout

    @id:client-ok-wrong-datatype @CLI-3 @must
    Scenario Outline: An OK response whose DataType differs from the Accept sent is a protocol error
      Given the kit answers request 1 with the header '{"Endpoint":"","DataType":<datatype>,"Accept":0,"Error":1,"ErrorMessage":""}\n'
      And the kit then sends these frames:
        | type | end | payload            |
        | Data | 1   | text:{"a":1}\\n     |
      And the kit then stalls
      When the client driver calls Echo with JSON '{"a":1}'
      Then call 1 fails with an error without waiting for its timeout

      Examples:
        | id     | datatype |
        | octets | {Octets} |
        | none   | 1        |
        | unset  | 0        |

    @id:client-json-then-empty-end-frame @CLI-7 @MSG-2 @must
    Scenario: A JSON body is read through its empty end frame before the next call
      Given the kit answers request 1 with these frames:
        | type   | end | payload                                                                    |
        | Header | 1   | text:{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | Data   | 0   | text:{"first":1}\\n                                                         |
        | Data   | 1   | empty                                                                      |
      And the kit answers request 2 with status OK and the JSON body '{"second":2}'
      When the client driver calls Echo with JSON '{"first":1}'
      And the client driver calls Echo with JSON '{"second":2}'
      Then call 1 succeeds with the JSON '{"first":1}'
      And call 2 succeeds with the JSON '{"second":2}'

    @id:client-json-body-trailing-text @RPC-7 @must
    Scenario Outline: A JSON response body with anything but whitespace after the value fails the call
      Given the kit answers request 1 with these frames:
        | type   | end | payload                                                                    |
        | Header | 1   | text:{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | Data   | 1   | text:<body>                                                                |
      And the kit then stalls
      When the client driver calls Echo with JSON '{"a":1}'
      Then call 1 fails with an error without waiting for its timeout

      Examples:
        | id           | body                |
        | letters      | {"a":1}xyz\\n       |
        | second-value | {"a":1}{"b":2}\\n   |

    @id:client-data-where-header-expected @MSG-3 @must
    Scenario: A Data frame where the response header should start is a protocol error
      Given the kit answers request 1 with these frames:
        | type | end | payload                                                                    |
        | Data | 1   | text:{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | Data | 1   | text:{"a":1}\\n                                                             |
      And the kit then stalls
      When the client driver calls Echo with JSON '{"a":1}'
      Then call 1 fails with an error without waiting for its timeout

    @id:client-header-frame-in-body @MSG-3 @CLI-4 @must
    Scenario: A Header frame inside the response body is a protocol error
      Given the kit answers request 1 with these frames:
        | type   | end | payload                                                                    |
        | Header | 1   | text:{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | Data   | 0   | text:{"a":                                                                 |
        | Header | 1   | text:1}\\n                                                                  |
      And the kit then stalls
      When the client driver calls Echo with JSON '{"a":1}'
      Then call 1 fails with an error without waiting for its timeout

    @id:client-bad-frame-type @FRAME-2 @FRAME-10 @must
    Scenario Outline: A Trailer or unknown frame type in a response is a protocol error
      Given the kit answers request 1 with these frames:
        | type   | end | payload                                                                    |
        | Header | 1   | text:{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | <type> | 1   | text:{"a":1}\\n                                                             |
      And the kit then stalls
      When the client driver calls Echo with JSON '{"a":1}'
      Then call 1 fails with an error without waiting for its timeout

      Examples:
        | id      | type    |
        | trailer | Trailer |
        | unknown | 0x04    |

    @id:client-oversize-frame @FRAME-6 @must
    Scenario: A frame header announcing more than 4 MiB fails the call without waiting for its payload
      Given the client driver's timeout is 10 seconds
      And the kit answers request 1 with status OK and the JSON body '{"a":1}'
      And the kit answers request 2 with the header '{"Endpoint":"","DataType":{Octets},"Accept":0,"Error":1,"ErrorMessage":""}\n'
      And the kit then sends the bytes '02 01 01 00 40 00'
      And the kit then stalls
      When the client driver calls Echo with JSON '{"a":1}'
      And the client driver calls Source with JSON '{"Length":4194305}'
      Then call 1 succeeds with the JSON '{"a":1}'
      And call 2 fails with an error without waiting for its timeout

    @id:client-malformed-header @HDR-5 @must
    Scenario Outline: A malformed response header is a protocol error
      Given the kit answers request 1 with the header '<header>'
      And the kit then stalls
      When the client driver calls Echo with JSON '{"a":1}'
      Then call 1 fails with an error without waiting for its timeout

      Examples:
        | id           | header                                                                   |
        | not-json     | {"Error":1,                                                              |
        | array        | [1,2]\\n                                                                  |
        | error-string | {"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":"1","ErrorMessage":""}\\n  |
        | trailing     | {"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}x\\n   |

    @id:client-null-header @CLI-8 @HDR-5 @must
    Scenario: A response header that is JSON null fails the call, and the client goes on to its next call
      Given the kit answers request 1 with the header 'null\n'
      And the kit answers request 2 with status OK and the JSON body '{"after":"null"}'
      When the client driver calls Echo with JSON '{"a":1}'
      And the client driver calls Echo with JSON '{"after":"null"}'
      Then call 1 fails with an error without waiting for its timeout, as HDR-5 requires
      And call 2 succeeds with the JSON '{"after":"null"}'

    @id:client-rst-then-response @CONN-2 @FRAME-8 @must
    Scenario: After an RST the client reads nothing more, not even a well-formed response behind it
      Given the kit answers request 1 with these frames:
        | type   | end | payload                                                                    |
        | RST    | 1   | empty                                                                      |
        | Header | 1   | text:{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | Data   | 1   | text:{"after":"rst"}\\n                                                    |
      And the kit then stalls
      When the client driver calls Echo with JSON '{"after":"rst"}'
      Then call 1 fails with an error without waiting for its timeout

  Rule: A body counts only once its end-flagged frame has arrived

    @id:client-body-cut @CLI-4 @CONN-2 @CONN-4 @FRAME-8 @FRAME-11 @must
    Scenario Outline: A response body that ends early fails the call
      Given the kit answers request 1 with these frames:
        | type   | end | payload                                                                    |
        | Header | 1   | text:{"Endpoint":"","DataType":{Octets},"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | Data   | 0   | fill:100000                                                                |
      And the kit then sends the bytes '<then>'
      And the kit then <end>
      When the client driver calls Source with JSON '{"Length":200000}'
      Then call 1 fails with an error without waiting for its timeout

      Examples:
        | id                  | then                    | end                       |
        | rst-frame           | ff 01 00 00 00 00       | stalls                    |
        | rst-frame-odd       | ff 00 10 00 00 00       | stalls                    |
        | close-at-boundary   |                         | closes the connection     |
        | close-mid-header    | 02 00 a0                | closes the connection     |
        | close-mid-payload   | 02 01 a0 86 01 00 78 78 | closes the connection     |
        | tcp-reset           | 02 00 10 00 00 00 78 78 | resets the TCP connection |

    @id:client-json-body-cut @CLI-4 @CONN-4 @must
    Scenario: A JSON body cut short is not reported, even when it is valid JSON so far
      Given the kit answers request 1 with these frames:
        | type   | end | payload                                                                    |
        | Header | 1   | text:{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | Data   | 0   | text:{"complete":"json"}\\n                                                 |
      And the kit then closes the connection
      When the client driver calls Echo with JSON '{"complete":"json"}'
      Then call 1 fails with an error without waiting for its timeout

    @id:client-rst-instead-of-response @CONN-2 @FRAME-8 @must
    Scenario: An RST instead of a response fails the call, and the next call uses a new connection
      Given the kit answers request 1 with these frames:
        | type | end | length | payload |
        | RST  | 1   | 0      | empty   |
      And the kit then stalls
      And the kit answers request 2 with status OK and the JSON body '{"fresh":"connection"}'
      When the client driver calls Echo with JSON '{"a":1}'
      And the client driver calls Echo with JSON '{"fresh":"connection"}'
      Then call 1 fails with an error without waiting for its timeout
      And call 2 succeeds with the JSON '{"fresh":"connection"}'

  Rule: A client bounds its waits

    @id:client-stall-before-header @CLI-6 @should
    Scenario: A server that never answers fails the call once the client's timeout runs out
      Given the client driver's timeout is 2 seconds
      And the kit answers request 1 by stalling
      When the client driver calls Echo with JSON '{"a":1}'
      Then call 1 fails with an error within the driver's timeout

    @id:client-stall-mid-body @CLI-6 @CONN-5 @should
    Scenario Outline: A server that stops in the middle of a body fails the call once the timeout runs out
      Given the client driver's timeout is 2 seconds
      And the kit answers request 1 with these frames:
        | type   | end | payload                                                                           |
        | Header | 1   | text:{"Endpoint":"","DataType":<datatype>,"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | Data   | 0   | <payload>                                                                         |
      And the kit then sends the bytes '02 01 10 00 00 00 31 32'
      And the kit then stalls
      When the client driver calls <endpoint> with JSON '<body>'
      Then call 1 fails with an error within the driver's timeout

      Examples:
        | id     | datatype | payload      | endpoint | body           |
        | json   | {MarshaledJSON} | text:[1,     | Echo     | [1,2]          |
        | octets | {Octets} | fill:1000    | Source   | {"Length":2000}|

  Rule: Bytes nobody asked for are not a response

    @id:client-unsolicited-response @CLI-5 @should
    Scenario: A response to a request never sent is not taken as the next call's result
      Given the kit answers request 1 with status OK and the JSON body '{"n":1}'
      And the kit then sends these frames:
        | type   | end | payload                                                                    |
        | Header | 1   | text:{"Endpoint":"","DataType":{MarshaledJSON},"Accept":0,"Error":1,"ErrorMessage":""}\\n |
        | Data   | 1   | text:{"unsolicited":true}\\n                                                |
      And the kit answers request 2 with status OK and the JSON body '{"n":2}'
      When the client driver calls Echo with JSON '{"n":1}'
      And the client driver calls Echo with JSON '{"n":2}'
      Then call 1 succeeds with the JSON '{"n":1}'
      And call 2 does not succeed with the JSON '{"unsolicited":true}'
