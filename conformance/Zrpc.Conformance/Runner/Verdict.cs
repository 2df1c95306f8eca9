namespace Zrpc.Conformance.Runner;

/// <summary>
/// Verdict of one scenario against one target. PASS and WARN count as passed in the summary
/// line, FAIL as failed, SKIP as skipped; KNOWN (a failure listed in the expected-deviations
/// file) is counted on its own line and does not change the exit code. NOT RUN is counted on its
/// own too: it says nothing about the implementation's conformance.
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
    /// <summary>
    /// "NOT RUN: target down": the target went down earlier in the run and the scenario could not
    /// be run. Cites no requirement and is never a failure of a MUST.
    /// </summary>
    NotRun,
    /// <summary>
    /// A scenario that failed and, rerun alone with --repeat, got a different verdict in at least
    /// one attempt: counted on its own, neither passed nor failed.
    /// </summary>
    Flaky,
}

/// <summary>How verdicts are written in reports.</summary>
public static class VerdictText
{
    /// <summary>PASS, FAIL, WARN, SKIP, KNOWN, NOT RUN, FLAKY.</summary>
    public static string Label(this Verdict verdict)
        => verdict == Verdict.NotRun ? "NOT RUN" : verdict.ToString().ToUpperInvariant();

    /// <summary>The label without spaces, for CSS classes and identifiers.</summary>
    public static string Token(this Verdict verdict) => verdict.Label().Replace(" ", "", StringComparison.Ordinal);

    /// <summary>The verdict a report wrote as <paramref name="label"/>; null for a label this kit does not know.</summary>
    public static Verdict? Parse(string? label)
        => Enum.GetValues<Verdict>().Cast<Verdict?>().FirstOrDefault(v => string.Equals(v!.Value.Label(), label, StringComparison.OrdinalIgnoreCase));
}
