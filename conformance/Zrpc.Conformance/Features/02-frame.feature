Feature: Frame layer
  Spec section 3. Every frame is a 6-byte header (type, end flag, little-endian u32 length)
  followed by its payload. These scenarios send frames at byte level and watch how the
  implementation, in the server role, reacts.

  Background:
    Given a connection to the implementation
    And a bystander connection opened alongside

  @id:frame-basic-call @FRAME-1 @FRAME-7 @must
  Scenario: A request in plain frames gets an answer
    When the client sends these frames:
      | type   | end | payload                                                                     |
      | Header | 1   | text:{"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"Error":0,"ErrorMessage":""}\\n |
      | Data   | 1   | text:{"a":1}\\n                                                              |
    Then the next response has status OK, as FRAME-1 requires
    And the response body is the JSON '{"a":1}', as FRAME-1 requires

  @id:frame-end-flag-nonzero @FRAME-4 @must
  Scenario Outline: Any non-zero end flag ends a message
    When the client sends these frames:
      | type   | end        | payload                                                                     |
      | Header | <flag>     | text:{"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},"Error":0,"ErrorMessage":""}\\n |
      | Data   | <flag>     | text:[7]\\n                                                                  |
    Then the next response has status OK, as FRAME-4 requires
    And the response body is the JSON '[7]', as FRAME-4 requires

    Examples:
      | id   | flag |
      | 0x02 | 2    |
      | 0x7f | 127  |
      | 0x80 | 128  |
      | 0xff | 255  |

  @id:frame-sent-flags-and-lengths @FRAME-3 @FRAME-5 @must
  Scenario: The implementation's own frames carry end flag 0 or 1 and at most 4 MiB
    When the client calls Source for 9437184 bytes
    Then the response has status OK
    And every frame the implementation sent has end flag 0 or 1 and a length of at most 4194304

  @id:frame-oversize-header-frame @FRAME-6 @CONN-1 @SRV-10 @must
  Scenario: A frame length just over 4 MiB ends the connection without its payload being sent
    When the client sends a frame header of type Header, end flag 1 and length 4194305
    Then the implementation ends the connection
    And the bystander connection still works

  @id:frame-oversize-max-length @FRAME-6 @CONN-1 @must
  Scenario: The largest possible frame length ends the connection at once
    When the client sends a frame header of type Header, end flag 1 and length 4294967295
    Then the implementation ends the connection
    And the bystander connection still works

  @id:frame-oversize-in-body @FRAME-6 @CONN-1 @SRV-10 @must
  Scenario: An oversize frame inside a request body ends the connection and gets no error response
    When the client sends a request header for "Sink" with DataType {Octets} and Accept {MarshaledJSON}
    And the client sends a frame header of type Data, end flag 0 and length 4194305
    Then the implementation ends the connection without an error response, as FRAME-6 requires
    And the bystander connection still works

  @id:frame-max-payload-accepted @FRAME-7 @must
  Scenario: A single Data frame of exactly 4 MiB is accepted
    When the client calls Sink with an Octets body of 4194304 bytes in frames of 4194304 bytes
    Then the response has status OK, as FRAME-7 requires
    And the response reports the Length and SHA-256 of the body sent

  @id:frame-zero-length-frames @FRAME-7 @MSG-2 @must
  Scenario: Zero-length frames are accepted in a header and in a body
    When the client sends these frames:
      | type   | end | payload                                                                     |
      | Header | 0   | empty                                                                       |
      | Header | 0   | text:{"Endpoint":"Echo","DataType":{MarshaledJSON},"Accept":{MarshaledJSON},                           |
      | Header | 0   | empty                                                                       |
      | Header | 1   | text:"Error":0,"ErrorMessage":""}\\n                                         |
      | Data   | 0   | empty                                                                       |
      | Data   | 0   | text:{"b":                                                                  |
      | Data   | 0   | empty                                                                       |
      | Data   | 0   | text:true}                                                                  |
      | Data   | 1   | empty                                                                       |
    Then the next response has status OK, as MSG-2 requires
    And the response body is the JSON '{"b":true}', as MSG-2 requires

  @id:frame-unknown-type @FRAME-2 @CONN-1 @SRV-10 @must
  Scenario Outline: A frame of an unknown type ends the connection
    When the client sends these frames:
      | type   | end | payload     |
      | <type> | 1   | text:{}\\n   |
    Then the implementation ends the connection, as FRAME-2 requires
    And the bystander connection still works

    Examples:
      | id   | type |
      | 0x00 | 0x00 |
      | 0x04 | 0x04 |
      | 0x7f | 0x7F |
      | 0xfe | 0xFE |

  @id:frame-garbage-bytes @FRAME-2 @CONN-1 @TRANS-2 @must
  Scenario: Bytes of another protocol end the connection and leave other connections working
    Given a connection "B" to the implementation
    When the client uses connection "A"
    And the client sends the text 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
    Then the implementation ends the connection
    And the bystander connection still works
    When the client uses connection "B"
    Then the connection is still usable, as TRANS-2 requires

  @id:frame-trailer-instead-of-header @FRAME-10 @CONN-1 @must
  Scenario: A Trailer frame where a request should start ends the connection
    When the client sends these frames:
      | type    | end | payload |
      | Trailer | 1   | empty   |
    Then the implementation ends the connection
    And the bystander connection still works

  @id:frame-trailer-in-body @FRAME-10 @MSG-3 @CONN-1 @must
  Scenario: A Trailer frame inside a request body ends the connection
    When the client sends a request header for "Sink" with DataType {Octets} and Accept {MarshaledJSON}
    And the client sends these frames:
      | type    | end | payload   |
      | Data    | 0   | hex:01 02 |
      | Trailer | 1   | empty     |
    Then the implementation ends the connection, as FRAME-10 requires
    And the bystander connection still works

  @id:frame-rst-payload-not-read @FRAME-8 @CONN-2 @CONN-3 @must
  Scenario: An RST whose length field is not zero is acted on without waiting for a payload
    # A plain RST first, on a connection of its own: an implementation that ignores RST
    # altogether breaks CONN-2, not FRAME-8, and fails here naming CONN-2.
    Given a connection "plain-rst" to the implementation
    When the client sends RST
    Then the implementation closes the connection without answering, as CONN-2 requires
    When the client uses connection "A"
    And the client sends a frame header of type RST, end flag 0 and length 100
    Then the implementation closes the connection without answering, as FRAME-8 requires

  @id:frame-truncated-header @FRAME-11 @CONN-4 @must
  Scenario: End of stream inside a frame header is not acted on
    When the client sends the bytes '01 01 4a'
    And the client closes its sending side
    Then the implementation sends no response and closes the connection
    And the bystander connection still works

  @id:frame-truncated-payload @FRAME-11 @CONN-4 @must
  Scenario: End of stream inside a frame payload is not acted on
    When the client sends a request header for "Echo" with DataType {MarshaledJSON} and Accept {MarshaledJSON}
    And the client sends a frame header of type Data, end flag 1 and length 10
    And the client sends the text '{"a":'
    And the client closes its sending side
    Then the implementation sends no response and closes the connection
    And the bystander connection still works

  @id:frame-rst-is-canonical @FRAME-9 @CONN-1 @must
  Scenario: When the implementation sends RST, it is exactly FF 01 00 00 00 00
    When the client sends these frames:
      | type | end | payload |
      | 0x09 | 1   | empty   |
    Then the implementation ends the connection
    And the bystander connection still works
    And any RST the implementation sent was exactly 'FF 01 00 00 00 00'

  @id:frame-rst-then-close @CONN-1 @should
  Scenario: On a protocol error the implementation sends RST before closing
    When the client sends these frames:
      | type | end | payload |
      | 0x09 | 1   | empty   |
    Then the implementation sends RST and closes the connection
