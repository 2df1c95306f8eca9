Feature: A scenario without an id

  @id:has-an-id
  Scenario: This one is fine
    Given a sample counter at 1

  @FRAME-1
  Scenario: This one has no id
    Given a sample counter at 1
