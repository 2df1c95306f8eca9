using System.Security.Cryptography;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.ClientRole;

// Bodies: reading what a client sends, and the Source pattern the fake server answers with.
public sealed partial class FakeServer
{
    /// <summary>Fills the buffer; returns fewer bytes only at end of stream.</summary>
    private async Task<int> ReadUpToAsync(Stream stream, Memory<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[total..], _stop.Token).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }

        return total;
    }

    private async Task DiscardUntilEndAsync(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        while (await stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false) > 0)
        {
        }
    }

    private async Task SendPatternAsync(Stream stream, long length)
    {
        var header = new byte[WireConstants.FrameHeaderSize];
        long offset = 0;
        while (true)
        {
            var size = (int)Math.Min(length - offset, WireConstants.MaxPayload);
            var last = length - offset < WireConstants.MaxPayload; // MSG-4: an exact multiple ends with an empty frame
            FrameBytes.WriteHeader(header, WireConstants.Data, last ? (byte)1 : (byte)0, (uint)size);
            await stream.WriteAsync(header, _stop.Token).ConfigureAwait(false);
            await stream.WriteAsync(Pattern.AsMemory((int)(offset % 251), size), _stop.Token).ConfigureAwait(false);
            offset += size;
            _context.ReportProgress();
            if (last) return;
        }
    }

    private static byte[] BuildPattern()
    {
        var pattern = new byte[WireConstants.MaxPayload + 251];
        for (var i = 0; i < pattern.Length; i++) pattern[i] = (byte)(i % 251);
        return pattern;
    }

    /// <summary>SHA-256 of the first <paramref name="length"/> bytes of the i mod 251 pattern.</summary>
    public static string PatternSha256(long length)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long offset = 0;
        while (offset < length)
        {
            var size = (int)Math.Min(length - offset, WireConstants.MaxPayload);
            sha.AppendData(Pattern, (int)(offset % 251), size);
            offset += size;
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
