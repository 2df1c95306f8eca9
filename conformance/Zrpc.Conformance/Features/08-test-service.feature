Feature: Conformance Test Service
  Spec section 10. Every implementation tested in the server role serves Echo, Fail, Source
  and Sink exactly as defined there.

  Background:
    Given a connection to the implementation

  @id:cts-echo-values @CTS-1 @CTS-2 @must
  Scenario Outline: Echo returns the JSON value it was given
    When the client calls Echo with JSON body '<json>'
    Then the response has status OK, as CTS-2 requires
    And the response body is the JSON '<json>', as CTS-2 requires

    Examples:
      | id        | json                                                        |
      | object    | {"a":1,"b":[true,false,null],"c":{"d":"e"}}                  |
      | array     | [1,2.5,-3,1e3,"x",[],{}]                                    |
      | string    | "grüße, 世界, \\u00e9, \\"quoted\\", tab\\t"                 |
      | number    | 7                                                           |
      | true      | true                                                        |
      | null      | null                                                        |
      | empty-obj | {}                                                          |
      | deep      | [[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]                    |

  @id:cts-echo-sizes @CTS-2 @CTS-6 @must
  Scenario Outline: Echo handles large JSON bodies across frame boundaries
    When the client calls Echo with a JSON string body of <length> bytes
    Then the response has status OK, as CTS-2 requires
    And the response body is the same JSON value that was sent

    Examples:
      | id          | length   |
      | 1-byte      | 1        |
      | 4mib        | 4194304  |
      | 4mib-plus-1 | 4194305  |
      | 16mib       | 16777216 |

  @id:cts-fail @CTS-3 @must
  Scenario Outline: Fail fails with the message it was given
    When the client calls Fail with JSON body '{"Message":"<message>"}'
    Then the response has status Error, as CTS-3 requires
    And the response ErrorMessage is '<message>'

    Examples:
      | id      | message                      |
      | plain   | something broke              |
      | unicode | ошибка: ファイルがありません |
      | empty   |                              |

  @id:cts-source-sizes @CTS-4 @must
  Scenario Outline: Source sends n bytes where byte i is i mod 251
    When the client calls Source for <length> bytes
    Then the response has status OK, as CTS-4 requires
    And the response body is <length> octets where byte i is i mod 251

    Examples:
      | id          | length   |
      | 0           | 0        |
      | 1           | 1        |
      | 251         | 251      |
      | 4mib        | 4194304  |
      | 4mib-plus-1 | 4194305  |
      | 64mib       | 67108864 |

  @id:cts-sink-sizes @CTS-5 @must
  Scenario Outline: Sink reports the length and SHA-256 of what it received
    When the client calls Sink with an Octets body of <length> bytes
    Then the response has status OK, as CTS-5 requires
    And the response reports the Length and SHA-256 of the body sent

    Examples:
      | id          | length   |
      | 0           | 0        |
      | 1           | 1        |
      | 4mib        | 4194304  |
      | 4mib-plus-1 | 4194305  |
      | 64mib       | 67108864 |

  @id:cts-sink-response-shape @CTS-5 @must
  Scenario: Sink answers with exactly the fields Length and SHA256
    When the client calls Sink with the Octets body '61 62 63'
    Then the response has status OK, as CTS-5 requires
    And the response body is the JSON '{"Length":3,"SHA256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}', as CTS-5 requires

  @id:cts-request-objects-lenient @CTS-7 @must
  Scenario Outline: Fail and Source read their request objects as leniently as headers
    When the client calls <endpoint> with JSON body '<body>'
    Then the response has status <status>
    And <check>

    Examples:
      | id                | endpoint | body                                | status | check                                                 |
      | fail-lowercase    | Fail     | {"message":"lower case"}            | Error  | the response ErrorMessage is 'lower case'             |
      | fail-unknown      | Fail     | {"Extra":[1,2],"Message":"extra"}   | Error  | the response ErrorMessage is 'extra'                  |
      | fail-absent       | Fail     | {}                                  | Error  | the response ErrorMessage is ''                       |
      | source-uppercase  | Source   | {"LENGTH":3,"x":null}               | OK     | the response body is 3 octets where byte i is i mod 251 |
      | source-null       | Source   | {"Length":null}                     | OK     | the response body is 0 octets where byte i is i mod 251 |

  @id:cts-request-objects-wrong-shape @CTS-7 @SRV-4 @must
  Scenario Outline: Fail and Source refuse request bodies of the wrong shape
    When the client calls <endpoint> with JSON body '<body>'
    Then the response has status RequestError, as CTS-7 requires
    And the connection is still usable, as SRV-7 requires

    Examples:
      | id              | endpoint | body                        |
      | fail-array      | Fail     | ["x"]                       |
      | fail-string     | Fail     | "x"                         |
      | source-exponent | Source   | {"Length":1e3}              |
      | source-too-big  | Source   | {"Length":18446744073709551616} |
      | source-bool     | Source   | {"Length":true}             |
