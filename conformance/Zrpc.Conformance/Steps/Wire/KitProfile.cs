namespace Zrpc.Conformance.Steps.Wire;

/// <summary>
/// The protocol profile a run checks (docs/profiles.md). The kit keeps its own notion of the
/// profiles, like its own copy of the numbers (<see cref="WireConstants"/>), so that a verdict
/// never depends on the reference implementation's code.
/// </summary>
public enum KitProfile
{
    /// <summary>spec/protocol.md: None 1, MarshaledJSON 2, Octets 3.</summary>
    P6ab05ee,

    /// <summary>spec/profile-fa4d209.md: None 1, Control 2, MarshaledJSON 3, Octets 4.</summary>
    Fa4d209,
}

/// <summary>Names, tags and the profile of the scenario in progress.</summary>
public static class KitProfiles
{
    public const string Default = "6ab05ee";

    /// <summary>Tag prefix of a scenario that belongs to one profile only; an untagged scenario is shared.</summary>
    public const string TagPrefix = "@profile-";

    private static readonly AsyncLocal<KitProfile> CurrentValue = new();

    /// <summary>The profile of the scenario running on this async flow (set by the runner per scenario).</summary>
    public static KitProfile Current
    {
        get => CurrentValue.Value;
        set => CurrentValue.Value = value;
    }

    public static IReadOnlyList<string> Names { get; } = ["6ab05ee", "fa4d209"];

    public static string Name(this KitProfile profile) => profile == KitProfile.Fa4d209 ? "fa4d209" : "6ab05ee";

    public static string Tag(this KitProfile profile) => TagPrefix + profile.Name();

    public static KitProfile Other(this KitProfile profile) => profile == KitProfile.Fa4d209 ? KitProfile.P6ab05ee : KitProfile.Fa4d209;

    /// <summary>Parses "6ab05ee" or "fa4d209" (case-insensitive); <see cref="FormatException"/> otherwise.</summary>
    public static KitProfile Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "6ab05ee" => KitProfile.P6ab05ee,
        "fa4d209" => KitProfile.Fa4d209,
        _ => throw new FormatException($"unknown profile '{name}': expected 6ab05ee or fa4d209"),
    };

    /// <summary>True when a scenario with these tags runs in <paramref name="profile"/>: it names that profile, or none.</summary>
    public static bool Applies(IEnumerable<string> tags, KitProfile profile)
    {
        var named = tags.Where(t => t.StartsWith(TagPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        return named.Count == 0 || named.Any(t => string.Equals(t, profile.Tag(), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Replaces the feature files' <c>{MarshaledJSON}</c> and <c>{Octets}</c> with the numbers of
    /// the profile in use, so that one scenario text holds in both profiles.
    /// </summary>
    public static string Substitute(string text) => text.Contains('{', StringComparison.Ordinal)
        ? text.Replace("{MarshaledJSON}", Current.Json().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
              .Replace("{Octets}", Current.Octets().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        : text;

    /// <summary>A DataType written in a step: a number, or <c>{MarshaledJSON}</c> / <c>{Octets}</c> for the profile's number.</summary>
    public static int DataTypeOf(string text) => int.Parse(Substitute(text.Trim()), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>MarshaledJSON in <paramref name="profile"/> (HDR-9, FAHDR-1).</summary>
    public static int Json(this KitProfile profile) => profile == KitProfile.Fa4d209 ? 3 : 2;

    /// <summary>Octets in <paramref name="profile"/> (HDR-9, FAHDR-1).</summary>
    public static int Octets(this KitProfile profile) => profile == KitProfile.Fa4d209 ? 4 : 3;

    /// <summary>The name a DataType number has in <paramref name="profile"/>.</summary>
    public static string DataTypeName(this KitProfile profile, ulong value) => (profile, value) switch
    {
        (_, 0) => "unset",
        (_, 1) => "None",
        (KitProfile.Fa4d209, 2) => "Control",
        (KitProfile.Fa4d209, 3) or (KitProfile.P6ab05ee, 2) => "MarshaledJSON",
        (KitProfile.Fa4d209, 4) or (KitProfile.P6ab05ee, 3) => "Octets",
        _ => "unassigned",
    };

    /// <summary>
    /// When a response's DataType is what the other profile would send for the body expected, the
    /// hint that names the likely cause; empty otherwise. A run never switches profile on its own.
    /// </summary>
    public static string MismatchHint(ulong expected, ulong actual, string peer = "server")
    {
        var profile = Current;
        var other = profile.Other();
        var mapped = expected == (ulong)profile.Json() ? (ulong)other.Json()
            : expected == (ulong)profile.Octets() ? (ulong)other.Octets()
            : ulong.MaxValue;
        return actual == mapped
            ? $"; {actual} is {profile.DataTypeName(expected)} in profile {other.Name()}: this looks like a {other.Name()} {peer}; try --profile {other.Name()} (or --detect-profile)"
            : "";
    }
}
