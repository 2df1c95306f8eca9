using System.Text;

namespace FrameDump.Fixture;

/// <summary>
/// Writes bytes as the fixture format's byte-string segments (fixtures/README.md, "Byte strings"):
/// readable UTF-8 as <c>utf8</c>, a long periodic run (an Octets body such as Source's i mod 251)
/// as <c>repeat</c> + <c>count</c>, anything else as <c>hex</c>. Periodic runs keep a fixture of a
/// multi-megabyte transfer small; arbitrary bytes stay hex.
/// </summary>
public static class SegmentEncoder
{
    /// <summary>Longest repeating unit looked for; Source's is 251 bytes.</summary>
    public const int MaxPeriod = 1024;

    /// <summary>Payloads shorter than this are never searched for a period.</summary>
    public const int MinRepeatRun = 4096;

    public static List<Segment> Encode(ReadOnlySpan<byte> bytes, bool preferText)
    {
        var segments = new List<Segment>();
        if (bytes.IsEmpty)
        {
            return segments;
        }

        if (bytes.Length >= MinRepeatRun && FindPeriod(bytes) is int period)
        {
            long count = bytes.Length / period;
            segments.Add(Segment.Repeat(bytes[..period].ToArray(), count));
            int rest = (int)(bytes.Length - count * period);
            if (rest > 0)
            {
                segments.Add(Segment.Hex(bytes.Slice((int)(count * period), rest).ToArray()));
            }

            return segments;
        }

        segments.Add(preferText && IsReadableUtf8(bytes) ? Segment.Text(Encoding.UTF8.GetString(bytes)) : Segment.Hex(bytes.ToArray()));
        return segments;
    }

    /// <summary>The smallest p ≤ MaxPeriod with bytes[i] == bytes[i - p] for every i ≥ p, if any.</summary>
    public static int? FindPeriod(ReadOnlySpan<byte> bytes)
    {
        int probe = Math.Min(32, bytes.Length / 2);
        for (int p = 1; p <= MaxPeriod && p + probe <= bytes.Length / 2; p++)
        {
            // Cheap filter first: most candidates fail within the first bytes.
            if (!bytes.Slice(p, probe).SequenceEqual(bytes[..probe]))
            {
                continue;
            }

            if (bytes[p..].SequenceEqual(bytes[..^p]))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>Valid UTF-8 without control characters other than tab, CR and LF.</summary>
    public static bool IsReadableUtf8(ReadOnlySpan<byte> bytes)
    {
        if (!Utf8Validity(bytes))
        {
            return false;
        }

        foreach (byte b in bytes)
        {
            if ((b < 0x20 && b is not (byte)'\n' and not (byte)'\r' and not (byte)'\t') || b == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Utf8Validity(ReadOnlySpan<byte> bytes)
    {
        try
        {
            new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}

/// <summary>One segment of a fixture byte string.</summary>
public sealed record Segment(string Kind, string Value, long Count = 0)
{
    public static Segment Hex(byte[] bytes) => new("hex", Convert.ToHexStringLower(bytes));

    public static Segment Text(string text) => new("utf8", text);

    public static Segment Repeat(byte[] unit, long count) => new("repeat", Convert.ToHexStringLower(unit), count);
}
