namespace Zrpc.Conformance.Driver;

/// <summary>What running a scenario's steps produced, before deviations and @should are applied.</summary>
public enum ExecutionStatus
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>Raw outcome of one scenario run.</summary>
public sealed record ScenarioExecution(
    ExecutionStatus Status,
    string? Message,
    string? FailedStep,
    string? ErrorType,
    bool TimedOut,
    TimeSpan Duration,
    string Output);
