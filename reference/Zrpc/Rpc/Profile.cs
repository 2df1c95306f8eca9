namespace Zrpc.Rpc;

/// <summary>
/// The revision of the protocol a connection speaks. There is no negotiation (TRANS-1, protocol.md
/// Appendix B): both peers are configured with the same profile before the first byte.
/// </summary>
public enum Profile
{
    /// <summary>zrepl 6ab05ee (spec/protocol.md): None 1, MarshaledJSON 2, Octets 3; a client ends by RST and close.</summary>
    P6ab05ee = 0,

    /// <summary>
    /// zrepl fa4d209, released as 0.0.1 to 0.0.3 (spec/profile-fa4d209.md): None 1, Control 2,
    /// MarshaledJSON 3, Octets 4; a client ends with the Close handshake, both sides send RST.
    /// </summary>
    Fa4d209 = 1,
}

/// <summary>Names and DataType numbering of the profiles.</summary>
public static class Profiles
{
    /// <summary>The DataType of a control request and of the OK answer to it in profile fa4d209 (FAHDR-1).</summary>
    public const byte Fa4d209Control = 2;

    /// <summary>Every profile with the name used on command lines and in fixtures.</summary>
    public static IReadOnlyList<(string Name, Profile Profile)> All { get; } =
    [
        ("6ab05ee", Profile.P6ab05ee),
        ("fa4d209", Profile.Fa4d209),
    ];

    /// <summary>The commit name of the profile: "6ab05ee" or "fa4d209".</summary>
    public static string Name(this Profile profile) => profile switch
    {
        Profile.P6ab05ee => "6ab05ee",
        Profile.Fa4d209 => "fa4d209",
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown profile"),
    };

    /// <summary>Parses "6ab05ee" or "fa4d209" (case-insensitive).</summary>
    public static Profile Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var (n, p) in All)
        {
            if (string.Equals(n, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return p;
            }
        }

        throw new ArgumentException($"unknown profile '{name}': expected {string.Join(" or ", All.Select(a => a.Name))}", nameof(name));
    }

    /// <summary>
    /// The number a DataType is written as in <paramref name="profile"/> (HDR-9, FAHDR-1). The
    /// library's <see cref="DataType"/> values are the 6ab05ee numbers; a value without a name is
    /// passed through unchanged, so that raw calls can still send any number.
    /// </summary>
    public static byte Wire(this Profile profile, DataType type) => profile switch
    {
        Profile.Fa4d209 => type switch
        {
            DataType.MarshaledJson => 3,
            DataType.Octets => 4,
            _ => (byte)type, // Unset 0 and None 1 keep their numbers
        },
        _ => (byte)type,
    };

    private static readonly byte[][] OkHeaders =
    [
        RpcHeader.Ok(DataType.MarshaledJson).ToCanonicalBytes(),
        RpcHeader.Ok(DataType.Octets).ToCanonicalBytes(),
        new RpcHeader("", Profile.Fa4d209.Wire(DataType.MarshaledJson), 0, (ulong)Status.Ok, "").ToCanonicalBytes(),
        new RpcHeader("", Profile.Fa4d209.Wire(DataType.Octets), 0, (ulong)Status.Ok, "").ToCanonicalBytes(),
    ];

    /// <summary>The canonical OK response header for a MarshaledJSON or Octets body in <paramref name="profile"/> (RPC-4); shared, do not modify.</summary>
    public static byte[] OkHeader(Profile profile, DataType body)
    {
        int index = (profile == Profile.Fa4d209 ? 2 : 0) + (body == DataType.Octets ? 1 : 0);
        return body is DataType.MarshaledJson or DataType.Octets
            ? OkHeaders[index]
            : new RpcHeader("", profile.Wire(body), 0, (ulong)Status.Ok, "").ToCanonicalBytes();
    }

    /// <summary>The name of a DataType number as <paramref name="profile"/> reads it, in the 2017 server's spelling.</summary>
    public static string Describe(this Profile profile, byte dataType) => (profile, dataType) switch
    {
        (_, 0) => "DataType(0)",
        (_, 1) => "DataTypeNone",
        (Profile.Fa4d209, 2) => "DataTypeControl",
        (Profile.Fa4d209, 3) => "DataTypeMarshaledJSON",
        (Profile.Fa4d209, 4) => "DataTypeOctets",
        (Profile.P6ab05ee, 2) => "DataTypeMarshaledJSON",
        (Profile.P6ab05ee, 3) => "DataTypeOctets",
        _ => $"DataType({dataType})",
    };
}
