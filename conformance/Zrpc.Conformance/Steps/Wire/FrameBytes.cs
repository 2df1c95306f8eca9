using System.Buffers.Binary;
using System.Text;

namespace Zrpc.Conformance.Steps.Wire;

/// <summary>Builds exact frame bytes, including deliberately malformed ones.</summary>
public static class FrameBytes
{
    public static byte[] Frame(byte type, byte endFlag, ReadOnlySpan<byte> payload) =>
        Frame(type, endFlag, payload, (uint)payload.Length);

    /// <summary>A frame whose length field may lie about the payload that follows it.</summary>
    public static byte[] Frame(byte type, byte endFlag, ReadOnlySpan<byte> payload, uint declaredLength)
    {
        var bytes = new byte[WireConstants.FrameHeaderSize + payload.Length];
        WriteHeader(bytes, type, endFlag, declaredLength);
        payload.CopyTo(bytes.AsSpan(WireConstants.FrameHeaderSize));
        return bytes;
    }

    public static void WriteHeader(Span<byte> destination, byte type, byte endFlag, uint length)
    {
        destination[0] = type;
        destination[1] = endFlag;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[2..], length);
    }

    /// <summary>A message in canonical framing (MSG-4): full 4 MiB frames, the remainder last.</summary>
    public static byte[] CanonicalMessage(byte type, ReadOnlySpan<byte> content)
    {
        using var output = new MemoryStream(content.Length + 16);
        var offset = 0;
        while (content.Length - offset >= WireConstants.MaxPayload)
        {
            output.Write(Frame(type, 0, content.Slice(offset, WireConstants.MaxPayload)));
            offset += WireConstants.MaxPayload;
        }
        output.Write(Frame(type, 1, content[offset..]));
        return output.ToArray();
    }

    /// <summary>A message cut into frames of <paramref name="frameSize"/> bytes (MSG-2 tests).</summary>
    public static byte[] SplitMessage(byte type, ReadOnlySpan<byte> content, int frameSize)
    {
        using var output = new MemoryStream();
        var offset = 0;
        while (content.Length - offset > frameSize)
        {
            output.Write(Frame(type, 0, content.Slice(offset, frameSize)));
            offset += frameSize;
        }
        output.Write(Frame(type, 1, content[offset..]));
        return output.ToArray();
    }

    /// <summary>
    /// Parses the payload notation of the feature files: <c>empty</c>, <c>text:...</c> (UTF-8,
    /// with \n \r \t \" \\ and \xNN escapes), <c>hex:0a 0b</c>, <c>fill:N</c> (N bytes 'x').
    /// </summary>
    public static byte[] ParsePayload(string notation)
    {
        notation = notation.Trim();
        if (notation is "" or "empty") return [];
        if (notation.StartsWith("text:", StringComparison.Ordinal)) return Unescape(notation[5..]);
        if (notation.StartsWith("hex:", StringComparison.Ordinal)) return ParseHex(notation[4..]);
        if (notation.StartsWith("fill:", StringComparison.Ordinal))
            return Enumerable.Repeat((byte)'x', int.Parse(notation[5..])).ToArray();
        throw new ArgumentException($"payload '{notation}' is not empty, text:..., hex:... or fill:N");
    }

    public static byte[] ParseHex(string hex)
    {
        var digits = new StringBuilder();
        foreach (var line in hex.Split('\n'))
        {
            var code = line.Split('#')[0];
            foreach (var c in code)
                if (Uri.IsHexDigit(c)) digits.Append(c);
                else if (!char.IsWhiteSpace(c)) throw new ArgumentException($"'{c}' is not a hex digit in '{hex}'");
        }
        if (digits.Length % 2 != 0) throw new ArgumentException($"odd number of hex digits in '{hex}'");
        return Convert.FromHexString(digits.ToString());
    }

    /// <summary>Feature-file escapes, so that a scenario can show control bytes and invalid UTF-8.</summary>
    public static byte[] Unescape(string text)
    {
        text = KitProfiles.Substitute(text);
        var output = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length)
            {
                // A character outside the BMP is two UTF-16 units: encode the pair, not each half (each alone would become U+FFFD).
                var units = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                output.AddRange(Encoding.UTF8.GetBytes(text.Substring(i, units)));
                i += units - 1;
                continue;
            }
            var next = text[++i];
            switch (next)
            {
                case 'n': output.Add(0x0A); break;
                case 'r': output.Add(0x0D); break;
                case 't': output.Add(0x09); break;
                case '\\': output.Add((byte)'\\'); break;
                case 'x':
                    output.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                default:
                    // Unknown escapes stay as written, so JSON escapes such as \" or \u0041 pass through.
                    output.Add((byte)'\\');
                    output.AddRange(Encoding.UTF8.GetBytes(next.ToString()));
                    break;
            }
        }
        return output.ToArray();
    }
}
