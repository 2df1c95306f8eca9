@client @profile-fa4d209
Feature: Profile fa4d209, client behaviour
  spec/profile-fa4d209.md sections 4 and 7 as a client meets them. The kit plays the server and
  answers the client's Close request as the scenario scripts it (by default the canonical answer,
  then RST). The client driver closes the client explicitly after its last call and reports how
  the close went (conformance/CLIENT-DRIVER.md). These scenarios run with --profile fa4d209 only.

  @id:fa-client-datatype-json @FAHDR-1 @FACTS-1 @RPC-2 @must
  Scenario: A JSON call is numbered MarshaledJSON 3
    Given the kit answers request 1 with status OK and the JSON body '{"n":1}'
    When the client driver calls Echo with JSON '{"n":1}'
    Then the kit received request 1 as a canonical Echo request with the JSON body '{"n":1}'
    And call 1 succeeds with the JSON '{"n":1}'

  @id:fa-client-datatype-octets @FAHDR-1 @FACTS-1 @RPC-2 @must
  Scenario: An Octets call is numbered Octets 4
    Given the kit answers request 1 with status OK and the JSON body '{"Length":100}'
    When the client driver calls Sink with an Octets body of 100 bytes
    Then the kit received request 1 as a canonical Sink request with an Octets body of 100 bytes
    And call 1 succeeds with the JSON '{"Length":100}'

  @id:fa-client-close-handshake @FACLI-1 @FARPC-2 @FACLI-3 @must
  Scenario: The client ends its connection with the Close handshake
    Given the kit answers request 1 with status OK and the JSON body '{"before":"close"}'
    When the client driver calls Echo with JSON '{"before":"close"}'
    Then call 1 succeeds with the JSON '{"before":"close"}'
    And the client sent a canonical Close request as its last request, as FACLI-1 requires
    And after the Close answer the client sent RST and closed the connection, as FACLI-3 requires
    And the client reports that its close succeeded, as FACLI-3 requires

  @id:fa-client-close-no-server-rst @FACLI-3 @must
  Scenario: A Close answer without the server's RST still completes the close
    Given the kit answers request 1 with status OK and the JSON body '{}'
    And the kit answers the Close request with its answer and no RST
    When the client driver calls Echo with JSON '{}'
    Then after the Close answer the client sent RST and closed the connection, as FACLI-3 requires
    And the client reports that its close succeeded, as FACLI-3 requires

  @id:fa-client-close-refused @FACLI-4 @must
  Scenario: A Close answer with an error status is a failed close
    Given the kit answers request 1 with status OK and the JSON body '{}'
    And the kit answers the Close request with status 2 and the ErrorMessage 'unregistered control endpoint Close'
    When the client driver calls Echo with JSON '{}'
    Then the client sent a canonical Close request as its last request, as FACLI-1 requires
    And the client reports that its close failed, as FACLI-4 requires

  @id:fa-client-close-wrong-datatype @FACLI-4 @CLI-3 @must
  Scenario: An OK Close answer with DataType 3 is a protocol error
    Given the kit answers request 1 with status OK and the JSON body '{}'
    And the kit answers the Close request with the header '{"Endpoint":"","DataType":3,"Accept":0,"Error":1,"ErrorMessage":""}\n'
    When the client driver calls Echo with JSON '{}'
    Then the client reports that its close failed, as FACLI-4 requires

  @id:fa-client-close-unanswered @FACLI-2 @should
  Scenario: The client waits at most a second for the Close answer
    Given the kit answers request 1 with status OK and the JSON body '{}'
    And the kit does not answer the Close request
    When the client driver calls Echo with JSON '{}'
    Then the client closed the connection within 1 second of its Close request, as FACLI-2 requires
    And the client reports that its close failed, as FACLI-2 requires
