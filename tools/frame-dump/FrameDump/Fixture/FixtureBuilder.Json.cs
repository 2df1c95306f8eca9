using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FrameDump.Output;
using Zrpc.Frames;

namespace FrameDump.Fixture;

// The fixture's JSON: a case's input bytes, its segments and its decoded messages.
public sealed partial class FixtureBuilder
{
    /// <summary>Frame headers as hex, payloads as text, repeat or hex; bytes outside frames as hex.</summary>
    private static void WriteInput(Utf8JsonWriter json, byte[] input, List<FrameRecord> frames)
    {
        json.WriteStartArray();
        long position = 0;
        foreach (var f in frames)
        {
            if (f.Offset < position)
            {
                continue;
            }

            WriteSegments(json, SegmentEncoder.Encode(input.AsSpan((int)position, (int)(f.Offset - position)), preferText: false));
            long headerEnd = Math.Min(input.Length, f.Offset + FrameLimits.HeaderSize);
            WriteSegments(json, [Segment.Hex(input[(int)f.Offset..(int)headerEnd])]);
            position = headerEnd;
            bool payloadRead = f.RawType != (byte)FrameType.Rst && f.Length <= FrameLimits.MaxPayload;
            if (payloadRead)
            {
                long payloadEnd = Math.Min(input.Length, headerEnd + f.Length);
                WriteSegments(json, SegmentEncoder.Encode(input.AsSpan((int)headerEnd, (int)(payloadEnd - headerEnd)), preferText: f.RawType == (byte)FrameType.Header || f.Length < 1024));
                position = payloadEnd;
            }
        }

        WriteSegments(json, SegmentEncoder.Encode(input.AsSpan((int)position), preferText: false));
        json.WriteEndArray();
    }

    private static void WriteSegments(Utf8JsonWriter json, List<Segment> segments)
    {
        foreach (var s in segments)
        {
            json.WriteStartObject();
            json.WriteString(s.Kind, s.Kind == "hex" ? Spaced(s.Value) : s.Value);
            if (s.Kind == "repeat")
            {
                json.WriteNumber("count", s.Count);
            }

            json.WriteEndObject();
        }
    }

    private static void WriteMessage(Utf8JsonWriter json, MessageRecord m, byte[] input, List<FrameRecord> frames)
    {
        // The content is the concatenation of the message's frame payloads (MSG-1).
        int first = frames.FindIndex(f => f.Offset == m.Offset);
        using var content = new MemoryStream();
        foreach (var f in frames.Skip(first).Take(m.Frames))
        {
            content.Write(input, (int)f.Offset + FrameLimits.HeaderSize, (int)f.Length);
        }

        byte[] bytes = content.ToArray();
        json.WriteStartObject();
        json.WriteString("type", Names.FrameType(m.RawType));
        json.WriteNumber("frames", m.Frames);
        json.WriteNumber("length", bytes.Length);
        if (bytes.Length > 1024)
        {
            json.WriteString("sha256", Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
        else if (SegmentEncoder.IsReadableUtf8(bytes))
        {
            json.WriteString("utf8", Encoding.UTF8.GetString(bytes));
        }
        else
        {
            json.WriteString("hex", Spaced(Convert.ToHexStringLower(bytes)));
        }

        if (m.RpcHeader is { } h)
        {
            json.WritePropertyName("header");
            json.WriteStartObject();
            json.WriteString("Endpoint", h.Endpoint);
            json.WriteNumber("DataType", h.DataType);
            json.WriteNumber("Accept", h.Accept);
            json.WriteNumber("Error", h.Error);
            json.WriteString("ErrorMessage", h.ErrorMessage);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static string Spaced(string hex)
    {
        if (hex.Length > 128)
        {
            return hex;
        }

        var builder = new StringBuilder(hex.Length * 3 / 2);
        for (int i = 0; i < hex.Length; i += 2)
        {
            builder.Append(i == 0 ? "" : " ").Append(hex, i, 2);
        }

        return builder.ToString();
    }

    private static string Slug(string text)
    {
        var builder = new StringBuilder();
        foreach (char ch in text.ToLowerInvariant())
        {
            builder.Append(ch is >= 'a' and <= 'z' or >= '0' and <= '9' ? ch : '-');
        }

        string slug = string.Join('-', builder.ToString().Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length == 0 ? "stream" : slug;
    }
}
