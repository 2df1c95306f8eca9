using FrameDump.Protocol;

namespace FrameDump.Output;

/// <summary>The words used for protocol values in both output formats.</summary>
public static class Names
{
    public static string Dir(Direction direction) => direction == Direction.ClientToServer ? "c2s" : "s2c";

    public static string Arrow(Direction direction) => direction == Direction.ClientToServer ? "C>S" : "S>C";

    public static string FrameType(byte raw) => MessageAssembler.TypeName(raw);

    /// <summary>The name of a DataType number as <paramref name="profile"/> reads it (HDR-9, FAHDR-1).</summary>
    public static string DataType(byte value, Zrpc.Rpc.Profile profile = Zrpc.Rpc.Profile.P6ab05ee) => (profile, value) switch
    {
        (_, 0) => "unset",
        (_, 1) => "None",
        (Zrpc.Rpc.Profile.Fa4d209, 2) => "Control",
        (Zrpc.Rpc.Profile.Fa4d209, 3) => "MarshaledJSON",
        (Zrpc.Rpc.Profile.Fa4d209, 4) => "Octets",
        (Zrpc.Rpc.Profile.P6ab05ee, 2) => "MarshaledJSON",
        (Zrpc.Rpc.Profile.P6ab05ee, 3) => "Octets",
        _ => "unknown",
    };

    /// <summary>The DataType number of a MarshaledJSON body in <paramref name="profile"/>.</summary>
    public static byte JsonType(Zrpc.Rpc.Profile profile) => profile == Zrpc.Rpc.Profile.Fa4d209 ? (byte)3 : (byte)2;

    public static string Status(ulong value) => value switch
    {
        0 => "unset",
        1 => "OK",
        2 => "RequestError",
        3 => "ServerError",
        4 => "Error",
        _ => "unknown",
    };

    public static string Completion(FrameCompletion completion) => completion switch
    {
        FrameCompletion.Complete => "complete",
        FrameCompletion.PayloadLost => "payload-lost",
        FrameCompletion.Truncated => "truncated",
        _ => "abandoned",
    };

    /// <summary>
    /// The frame fields shared by JSON frame records and golden fixtures: one writer, so the two
    /// schemas cannot drift apart.
    /// </summary>
    public static void WriteFrameFields(System.Text.Json.Utf8JsonWriter writer, long offset, byte rawType, byte rawEndFlag, uint length)
    {
        writer.WriteNumber("offset", offset);
        writer.WriteString("type", FrameType(rawType));
        writer.WriteNumber("type_byte", rawType);
        writer.WriteBoolean("end", rawEndFlag != 0);
        writer.WriteNumber("end_byte", rawEndFlag);
        writer.WriteNumber("length", length);
    }
}

/// <summary>Capture time zero: relative times count from the first packet of the capture.</summary>
public sealed class TimeOrigin
{
    public DateTime? Value { get; set; }

    public double Seconds(DateTime time) => Value is DateTime origin ? (time - origin).TotalSeconds : 0;
}
