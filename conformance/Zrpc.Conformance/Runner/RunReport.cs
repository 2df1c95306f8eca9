using Zrpc.Conformance.Driver;
using Zrpc.Spec;

namespace Zrpc.Conformance.Runner;

/// <summary>The results of all selected scenarios against one target.</summary>
public sealed record TargetRun(string Name, string? TargetArgument, IReadOnlyList<ScenarioResult> Results, string? UnreachableError)
{
    /// <summary>After a failing run: the explicit profile probe found the target speaks the other profile (the hint), else null.</summary>
    public string? ProfileHint { get; init; }
}

/// <summary>A whole run: every target, the scenarios, and the catalog used to cite requirements.</summary>
public sealed record RunReport(IReadOnlyList<TargetRun> Targets, IReadOnlyList<ScenarioCase> Scenarios, RequirementCatalog Catalog)
{
    public IEnumerable<ScenarioResult> AllResults => Targets.SelectMany(t => t.Results);

    public int Count(Verdict verdict) => AllResults.Count(r => r.Verdict == verdict);

    /// <summary>Kit version, profile and catalogue hash, as the JSON result records them.</summary>
    public RunIdentity? Identity { get; init; }

    /// <summary>With --baseline: what changed since the baseline; the exit code then counts regressions, not failures.</summary>
    public ResultComparison? Baseline { get; init; }

    /// <summary>
    /// Why the expected-deviations list fails the run: expired entries, and with
    /// --strict-deviations listed scenarios that passed. Each names the entry.
    /// </summary>
    public IReadOnlyList<string> DeviationProblems { get; init; } = [];

    /// <summary>The FLAKY results that count for the exit code: all of them, or with a baseline those that passed in it.</summary>
    public IReadOnlyList<ScenarioResult> CountedFlaky
        => AllResults.Where(r => r.Verdict == Verdict.Flaky
                                 && (Baseline is null || Baseline.Of(ChangeKind.Flaky).Any(c => c.Id == r.Id && c.Target == r.Target))).ToList();

    /// <summary>
    /// Exit code per the contract: 4 when a target was unreachable, 5 when a target went down
    /// and scenarios were not run, 1 when a MUST scenario failed (6 instead, with a baseline,
    /// when one regressed), 7 when the deviations list is out of date, 8 for FLAKY, 3 when
    /// nothing was selected, otherwise 0.
    /// </summary>
    public int ExitCode
    {
        get
        {
            if (Targets.Any(t => t.UnreachableError is not null)) return ExitCodes.TargetUnreachable;
            if (AllResults.Any(r => r.Verdict == Verdict.NotRun)) return ExitCodes.TargetDown;
            if (Baseline is null && AllResults.Any(r => r.IsMustFailure)) return ExitCodes.MustFailed;
            if (Baseline is not null && Baseline.Regressions.Count > 0) return ExitCodes.Regressed;
            if (DeviationProblems.Count > 0) return ExitCodes.DeviationsOutOfDate;
            if (CountedFlaky.Count > 0) return ExitCodes.Flaky;
            if (Scenarios.Count == 0) return ExitCodes.NothingSelected;
            return ExitCodes.Success;
        }
    }

    /// <summary>
    /// The closing line: <c>N passed, N failed, N skipped</c> (WARN counts as passed; KNOWN is
    /// reported separately), followed by <c>, N not run (target down)</c> when a target went down.
    /// </summary>
    public string SummaryLine
        => $"{Count(Verdict.Pass) + Count(Verdict.Warn)} passed, {Count(Verdict.Fail)} failed, {Count(Verdict.Skip)} skipped" +
           (Count(Verdict.NotRun) > 0 ? $", {Count(Verdict.NotRun)} not run (target down)" : "") +
           (Count(Verdict.Flaky) > 0 ? $", {Count(Verdict.Flaky)} flaky" : "");
}
