namespace Zrpc.Fuzz.Tests;

/// <summary>
/// Regression inputs whose bug is not fixed yet, with the reason shown when the test is ignored.
/// Remove the entry when the fix lands: the test then guards it. Keyed by "target/file name".
/// </summary>
internal static class KnownBugs
{
    public static readonly IReadOnlyDictionary<string, string> Reasons = new Dictionary<string, string>
    {
        // Empty: the four frame-dump bugs the pcap target found on 2026-11-27 are fixed; their inputs now guard the fixes.
    };
}
