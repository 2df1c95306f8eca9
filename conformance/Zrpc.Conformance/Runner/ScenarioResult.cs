using Zrpc.Conformance.Driver;
using Zrpc.Spec;

namespace Zrpc.Conformance.Runner;

/// <summary>Everything a report shows about one scenario run against one target.</summary>
public sealed record ScenarioResult
{
    public required ScenarioCase Scenario { get; init; }

    public required string Target { get; init; }

    public required Verdict Verdict { get; init; }

    public required ScenarioExecution Execution { get; init; }

    /// <summary>Annotated hex of every connection the scenario used.</summary>
    public string Traffic { get; init; } = "";

    public string? StandardError { get; init; }

    public IReadOnlyList<string> Notes { get; init; } = [];

    public required string ReplayCommand { get; init; }

    /// <summary>Why the expected-deviations file lists this scenario (KNOWN or an unexpected pass).</summary>
    public string? DeviationReason { get; init; }

    /// <summary>Listed as a known deviation, yet it passed: "fixed? remove it from the list".</summary>
    public bool UnexpectedPass { get; init; }

    public string Id => Scenario.Id;

    private readonly IReadOnlyList<RequirementId>? _requirementIds;

    /// <summary>
    /// The requirements this result cites: the scenario's own, with TRANS-2 first when the target
    /// crashed or went down during the scenario; none for NOT RUN.
    /// </summary>
    public IReadOnlyList<RequirementId> RequirementIds
    {
        get => _requirementIds ?? (Verdict == Verdict.NotRun ? [] : Scenario.RequirementIds);
        init => _requirementIds = value;
    }

    /// <summary>What showed that the target crashed or went down during this scenario; null when it did not.</summary>
    public string? TargetDownEvidence { get; init; }

    /// <summary>Why a connection of the scenario could not be opened (the runner then checks whether the target went down).</summary>
    public string? ConnectFailure { get; init; }

    /// <summary>The target closed or reset a connection of the scenario (the runner looks twice whether it went down).</summary>
    public bool TargetEndedAConnection { get; init; }

    /// <summary>How many connections the scenario opened to the target.</summary>
    public int ConnectionsOpened { get; init; }

    /// <summary>
    /// With --repeat, for a scenario that failed: the verdict of each attempt, the first run
    /// first; empty when it was not rerun.
    /// </summary>
    public IReadOnlyList<Verdict> Attempts { get; init; } = [];

    /// <summary>A MUST scenario failed and nothing excuses it: this makes the exit code 1.</summary>
    public bool IsMustFailure => Verdict == Verdict.Fail;
}
