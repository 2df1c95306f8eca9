using System.Buffers;
using System.Text;

namespace Zrpc.Rpc;

// The canonical encoding of a header (HDR-2/HDR-3); the strict decoding is in RpcHeader.cs.
public sealed partial record RpcHeader
{
    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    /// <summary>Length in bytes of <see cref="ToCanonicalBytes"/>.</summary>
    public int CanonicalLength()
        => "{\"Endpoint\":\"\",\"DataType\":,\"Accept\":,\"Error\":,\"ErrorMessage\":\"\"}\n".Length
           + EscapedLength(Endpoint) + EscapedLength(ErrorMessage)
           + DecimalLength(DataType) + DecimalLength(Accept) + DecimalLength(Error);

    /// <summary>The canonical encoding (HDR-2/HDR-3), byte-identical to Go's encoding/json plus '\n'.</summary>
    public byte[] ToCanonicalBytes()
    {
        byte[] bytes = new byte[CanonicalLength()];
        int n = WriteCanonical(bytes);
        return n == bytes.Length ? bytes : bytes[..n];
    }

    /// <summary>Writes the canonical encoding; returns the number of bytes written.</summary>
    public int WriteCanonical(Span<byte> destination)
    {
        int length = CanonicalLength();
        if (destination.Length < length)
        {
            throw new ArgumentException($"the canonical header needs {length} bytes", nameof(destination));
        }

        int p = 0;
        Put(destination, ref p, "{\"Endpoint\":"u8);
        PutString(destination, ref p, Endpoint);
        Put(destination, ref p, ",\"DataType\":"u8);
        PutNumber(destination, ref p, DataType);
        Put(destination, ref p, ",\"Accept\":"u8);
        PutNumber(destination, ref p, Accept);
        Put(destination, ref p, ",\"Error\":"u8);
        PutNumber(destination, ref p, Error);
        Put(destination, ref p, ",\"ErrorMessage\":"u8);
        PutString(destination, ref p, ErrorMessage);
        Put(destination, ref p, "}\n"u8);
        return p;
    }

    private static void Put(Span<byte> destination, ref int p, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[p..]);
        p += bytes.Length;
    }

    private static void PutNumber(Span<byte> destination, ref int p, ulong value)
    {
        value.TryFormat(destination[p..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        p += written;
    }

    private static void PutString(Span<byte> destination, ref int p, string value)
    {
        destination[p++] = (byte)'"';
        for (int i = 0; i < value.Length;)
        {
            p += WriteEscaped(NextRune(value, ref i), destination[p..]);
        }

        destination[p++] = (byte)'"';
    }

    private static int WriteEscaped(Rune rune, Span<byte> destination)
    {
        int v = rune.Value;
        switch (v)
        {
            case '"': destination[0] = (byte)'\\'; destination[1] = (byte)'"'; return 2;
            case '\\': destination[0] = (byte)'\\'; destination[1] = (byte)'\\'; return 2;
            case '\n': destination[0] = (byte)'\\'; destination[1] = (byte)'n'; return 2;
            case '\r': destination[0] = (byte)'\\'; destination[1] = (byte)'r'; return 2;
            case '\t': destination[0] = (byte)'\\'; destination[1] = (byte)'t'; return 2;
        }

        if (v < 0x20 || v is '<' or '>' or '&' or 0x2028 or 0x2029)
        {
            "\\u"u8.CopyTo(destination);
            destination[2] = Hex[(v >> 12) & 0xF];
            destination[3] = Hex[(v >> 8) & 0xF];
            destination[4] = Hex[(v >> 4) & 0xF];
            destination[5] = Hex[v & 0xF];
            return 6;
        }

        return rune.EncodeToUtf8(destination);
    }

    private static int EscapedLength(Rune rune)
    {
        int v = rune.Value;
        if (v is '"' or '\\' or '\n' or '\r' or '\t')
        {
            return 2;
        }

        if (v < 0x20 || v is '<' or '>' or '&' or 0x2028 or 0x2029)
        {
            return 6;
        }

        return rune.Utf8SequenceLength;
    }

    private static int EscapedLength(string value)
    {
        int n = 0;
        for (int i = 0; i < value.Length;)
        {
            n += EscapedLength(NextRune(value, ref i));
        }

        return n;
    }

    private static int DecimalLength(ulong value)
    {
        int n = 1;
        while (value >= 10)
        {
            value /= 10;
            n++;
        }

        return n;
    }

    // The rune at value[i] (a lone surrogate read as U+FFFD, as in EnumerateRunes); i moves past it.
    // A loop over this instead of the iterator: the header of every call is encoded with it.
    private static Rune NextRune(string value, ref int i)
    {
        var status = Rune.DecodeFromUtf16(value.AsSpan(i), out Rune rune, out int consumed);
        if (status != OperationStatus.Done)
        {
            rune = Rune.ReplacementChar;
            consumed = Math.Max(consumed, 1);
        }

        i += consumed;
        return rune;
    }

    // Runes of a .NET string with lone surrogates replaced by U+FFFD (a C# string's only way to be
    // invalid Unicode; Go's encoder does the same for invalid UTF-8). End = index after the rune.
    private static IEnumerable<(Rune Rune, int End)> EnumerateRunes(string value)
    {
        int i = 0;
        while (i < value.Length)
        {
            var status = Rune.DecodeFromUtf16(value.AsSpan(i), out Rune rune, out int consumed);
            if (status != OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
                consumed = Math.Max(consumed, 1);
            }

            i += consumed;
            yield return (rune, i);
        }
    }
}
