@sample
Feature: Sample feature for the driver's own tests
  Not part of the conformance suite: these scenarios prove how the driver reports outcomes.

  @id:sample-pass @FRAME-1 @must
  Scenario: A passing scenario
    Given a sample counter at 1
    When the sample counter is increased by 2
    Then the sample counter is 3

  @id:sample-fail @FRAME-6 @must
  Scenario: A failing scenario
    Given a sample counter at 1
    When the sample counter is increased by 2
    Then the sample counter is 4

  @id:sample-undefined @must
  Scenario: A scenario with a step nobody defined
    Given a sample counter at 1
    When something nobody bound happens

  @id:sample-ambiguous @must
  Scenario: A scenario with an ambiguous step
    Given an ambiguous sample step

  @id:sample-should-fail @CONN-5 @should
  Scenario: A failing SHOULD scenario
    Given a sample counter at 1
    Then the sample counter is 5

  @id:sample-skip @must
  Scenario: A scenario that skips itself
    Given the sample scenario skips itself

  @id:sample-nunit-assert @must
  Scenario: A binding that fails with an NUnit assertion
    Given a sample counter at 1
    Then the sample counter is 2 by NUnit assertion

  @id:sample-target @must
  Scenario: A binding receives the target context
    Given the sample notes the target name

  @id:sample-outline @must
  Scenario Outline: Rows numbered by position
    Given a sample counter at <start>
    When the sample counter is increased by <step>
    Then the sample counter is <end>

    Examples:
      | start | step | end |
      | 1     | 1    | 2   |
      | 5     | 5    | 10  |

    Examples: a second table continues the numbering
      | start | step | end |
      | 0     | 0    | 0   |

  @id:sample-named-rows @must
  Scenario Outline: Rows named by an id column
    Given a sample counter at <start>
    Then the sample counter is <start>

    Examples:
      | id    | start |
      | one   | 1     |
      | seven | 7     |
