namespace Zrpc.Conformance.Steps.Wire;

/// <summary>
/// The protocol's numbers as the kit knows them from the spec. The kit keeps its own copy on
/// purpose: a verdict must not depend on the reference implementation's code, or a bug there
/// would hide the same bug in the implementation under test.
/// </summary>
public static class WireConstants
{
    public const byte Header = 0x01;
    public const byte Data = 0x02;
    public const byte Trailer = 0x03;
    public const byte Rst = 0xFF;

    public const int FrameHeaderSize = 6;
    public const int MaxPayload = 4 * 1024 * 1024;
    public const int MaxHeaderMessage = 4096;

    public const int DataTypeUnset = 0, DataTypeNone = 1;

    /// <summary>The DataType of Control requests and of their OK answers (profile fa4d209, FAHDR-1).</summary>
    public const int DataTypeControl = 2;

    /// <summary>MarshaledJSON in the profile of the scenario in progress (HDR-9, FAHDR-1).</summary>
    public static int DataTypeJson => KitProfiles.Current.Json();

    /// <summary>Octets in the profile of the scenario in progress (HDR-9, FAHDR-1).</summary>
    public static int DataTypeOctets => KitProfiles.Current.Octets();
    public const ulong StatusUnset = 0, StatusOk = 1, StatusRequestError = 2, StatusServerError = 3, StatusError = 4;

    public static readonly byte[] CanonicalRst = [0xFF, 0x01, 0x00, 0x00, 0x00, 0x00];

    public static string TypeName(byte type) => type switch
    {
        Header => "Header",
        Data => "Data",
        Trailer => "Trailer",
        Rst => "RST",
        _ => $"unknown(0x{type:X2})",
    };

    public static byte ParseType(string name) => name.Trim() switch
    {
        "Header" => Header,
        "Data" => Data,
        "Trailer" => Trailer,
        "RST" => Rst,
        var other when other.StartsWith("0x", StringComparison.OrdinalIgnoreCase) => Convert.ToByte(other[2..], 16),
        var other => throw new ArgumentException($"unknown frame type name '{other}' (use Header, Data, Trailer, RST or 0xNN)"),
    };

    public static ulong ParseStatus(string name) => name.Trim() switch
    {
        "OK" => StatusOk,
        "RequestError" => StatusRequestError,
        "ServerError" => StatusServerError,
        "Error" => StatusError,
        var other => throw new ArgumentException($"unknown status name '{other}'"),
    };

    public static string StatusName(ulong status) => status switch
    {
        StatusUnset => "unset(0)",
        StatusOk => "OK(1)",
        StatusRequestError => "RequestError(2)",
        StatusServerError => "ServerError(3)",
        StatusError => "Error(4)",
        _ => $"unknown({status})",
    };

    public static int ParseDataType(string name) => name.Trim() switch
    {
        "unset" => DataTypeUnset,
        "None" => DataTypeNone,
        "JSON" or "MarshaledJSON" => DataTypeJson,
        "Octets" => DataTypeOctets,
        "Control" => DataTypeControl,
        var other => int.Parse(other),
    };
}
