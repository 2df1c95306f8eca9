namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>
/// Which requirements each server (and client) mutant breaks: the suite must catch the mutant with a failing
/// @must scenario tagged with one of them. Written from the spec, not from the suite's results,
/// so a mutant nobody catches shows up as a gap instead of being explained away.
/// </summary>
internal static class MutantExpectations
{
    public static IReadOnlyDictionary<string, string[]> Breaks { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["big-endian-length"] = ["FRAME-1"],
        ["end-flag-ignored"] = ["FRAME-4"],
        ["end-flag-written-as-ff"] = ["FRAME-3"],
        ["frame-type-not-checked"] = ["MSG-3", "FRAME-2", "FRAME-10"],
        ["rst-ignored"] = ["CONN-2"],
        ["no-frame-length-limit"] = ["FRAME-6"],
        ["oversize-in-body-answered"] = ["SRV-10"],
        ["header-limit-off-by-one"] = ["MSG-5"],
        ["status-zero-ok"] = ["RPC-4", "HDR-9"],
        ["no-trailing-newline"] = ["HDR-2"],
        ["error-response-with-datatype"] = ["RPC-5"],
        ["split-frames-wrong"] = ["MSG-4"],
        ["separate-end-frame"] = ["MSG-4"],
        ["octets-response-short"] = ["CTS-4", "RPC-9"],
        ["extra-header-frame-at-4096"] = ["MSG-4"],
        ["lone-surrogate-in-error-header"] = ["HDR-11"],
        ["eof-mid-frame-ends-body"] = ["CONN-4", "FRAME-11"],
        ["no-drain-after-error"] = ["SRV-7"],
        ["drain-json-early"] = ["SRV-8"],
        ["error-message-cut"] = ["HDR-8"],
        ["case-sensitive-field-names"] = ["HDR-4"],
        ["unknown-fields-rejected"] = ["HDR-4"],
        ["no-concurrency"] = ["TRANS-3"],
        ["crash-on-null-header"] = ["TRANS-2"],
        ["close-ignored"] = ["FASRV-3"],
        ["close-answer-with-body"] = ["FARPC-3", "FASRV-3"],
        ["no-rst-at-teardown"] = ["FACONN-1"],
    };

    /// <summary>The mutants whose defect exists only in profile fa4d209: the self-test runs them with --profile fa4d209.</summary>
    public static IReadOnlySet<string> Fa4d209 { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "close-ignored", "close-answer-with-body", "no-rst-at-teardown", "no-rst-after-close", "no-close-handshake",
    };

    /// <summary>The profile a mutant is run in.</summary>
    public static Steps.Wire.KitProfile ProfileOf(string name)
        => Fa4d209.Contains(name) ? Steps.Wire.KitProfile.Fa4d209 : Steps.Wire.KitProfile.P6ab05ee;

    /// <summary>
    /// The same for the client mutants (<c>zrpc client-driver --defect NAME</c>). An empty list marks
    /// a limitation the spec allows, not a defect: no scenario may fail because of it.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]> ClientBreaks { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["big-endian-length"] = ["FRAME-1"],
        ["end-flag-written-as-ff"] = ["FRAME-3"],
        ["no-trailing-newline"] = ["HDR-2"],
        ["request-status-set"] = ["RPC-2"],
        ["split-frames-wrong"] = ["MSG-4"],
        ["header-4096-two-frames"] = ["MSG-4"],
        ["header-cut-at-4096"] = ["MSG-5", "HDR-2"],
        ["octets-unsupported"] = [],
        ["octets-request-short"] = ["RPC-9"],
        ["end-flag-only-0x01"] = ["FRAME-4"],
        ["frame-type-not-checked"] = ["MSG-3", "FRAME-2", "FRAME-10"],
        ["rst-ignored"] = ["CONN-2"],
        ["no-frame-length-limit"] = ["FRAME-6"],
        ["eof-ends-body"] = ["CLI-4"],
        ["short-read-is-whole"] = ["MSG-2", "FRAME-7", "CLI-4"],
        ["json-trailing-text-accepted"] = ["RPC-7"],
        ["stops-at-json-value"] = ["CLI-7"],
        ["case-sensitive-field-names"] = ["HDR-4"],
        ["unknown-fields-rejected"] = ["HDR-4"],
        ["header-trailing-text-accepted"] = ["HDR-5"],
        ["crash-on-null-header"] = ["CLI-8"],
        ["status-zero-accepted"] = ["CLI-2"],
        ["datatype-not-checked"] = ["CLI-3"],
        ["error-status-as-ok"] = ["CLI-1"],
        ["no-rst-after-close"] = ["FACLI-3"],
        ["no-close-handshake"] = ["FACLI-1"],
    };
}
