using FrameDump.Protocol;

namespace FrameDump.Output;

/// <summary>The words used for protocol values in both output formats.</summary>
public static class Names
{
    public static string Dir(Direction direction) => direction == Direction.ClientToServer ? "c2s" : "s2c";

    public static string Arrow(Direction direction) => direction == Direction.ClientToServer ? "C>S" : "S>C";

    public static string FrameType(byte raw) => MessageAssembler.TypeName(raw);

    public static string DataType(byte value) => value switch
    {
        0 => "unset",
        1 => "None",
        2 => "MarshaledJSON",
        3 => "Octets",
        _ => "unknown",
    };

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
