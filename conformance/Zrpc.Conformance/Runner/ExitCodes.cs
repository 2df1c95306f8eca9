namespace Zrpc.Conformance.Runner;

/// <summary>The runner's exit-code contract (documented in docs/runner.md, "Exit codes").</summary>
public static class ExitCodes
{
    /// <summary>No MUST scenario failed (warnings, skips and known deviations allowed).</summary>
    public const int Success = 0;

    /// <summary>At least one MUST scenario failed that the expected-deviations file does not list.</summary>
    public const int MustFailed = 1;

    /// <summary>Bad command line, unreadable deviations file, or features that cannot be loaded.</summary>
    public const int UsageError = 2;

    /// <summary>The selection matched no scenario (never "0 tests, exit 0").</summary>
    public const int NothingSelected = 3;

    /// <summary>A target could not be reached (connection refused, program not startable).</summary>
    public const int TargetUnreachable = 4;

    /// <summary>
    /// A target went down during the run (it crashed or stopped accepting connections) and the
    /// scenarios after that are NOT RUN: the report is incomplete. The scenario during which it
    /// went down is a FAIL citing TRANS-2. With --launch the kit restarts the server instead, and
    /// the run ends with 1 (the TRANS-2 failure) unless a restart fails.
    /// </summary>
    public const int TargetDown = 5;

    /// <summary>
    /// With --baseline: a scenario that passed in the baseline (PASS or WARN) fails now, for the
    /// same target. Replaces <see cref="MustFailed"/>: with a baseline, failures that were already
    /// there do not fail the run.
    /// </summary>
    public const int Regressed = 6;

    /// <summary>
    /// The expected-deviations list needs attention: an entry's "until" date has passed, or (with
    /// --strict-deviations) a listed scenario passes.
    /// </summary>
    public const int DeviationsOutOfDate = 7;

    /// <summary>
    /// With --repeat: a failing scenario got different verdicts when rerun alone (FLAKY). With
    /// --baseline only a scenario that passed in the baseline counts.
    /// </summary>
    public const int Flaky = 8;

    /// <summary>--detect-profile: one probe named a profile, the other told nothing (no contradiction).</summary>
    public const int ProfileProbable = 9;

    /// <summary>--detect-profile: the server's answers fit neither profile, or contradict each other.</summary>
    public const int ProfileUnknown = 10;
}
