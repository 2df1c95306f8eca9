namespace Zrpc.Conformance.Runner;

/// <summary>
/// Verdict of one scenario against one target. PASS and WARN count as passed in the summary
/// line, FAIL as failed, SKIP as skipped; KNOWN (a failure listed in the expected-deviations
/// file) is counted on its own line and does not change the exit code.
/// </summary>
public enum Verdict
{
    Pass,
    Fail,
    /// <summary>A failed scenario tagged @should: reported, but not a conformance failure.</summary>
    Warn,
    Skip,
    /// <summary>A failure listed in the expected-deviations file.</summary>
    Known,
}
