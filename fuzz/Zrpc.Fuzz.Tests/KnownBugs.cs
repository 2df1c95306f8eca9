namespace Zrpc.Fuzz.Tests;

/// <summary>
/// Regression inputs whose bug is not fixed yet, with the reason shown when the test is ignored.
/// Remove the entry when the fix lands: the test then guards it. Keyed by "target/file name".
/// </summary>
internal static class KnownBugs
{
    public static readonly IReadOnlyDictionary<string, string> Reasons = new Dictionary<string, string>
    {
        // Empty: every input of fixtures/fuzz-regressions/ keeps its contract.
    };
}
