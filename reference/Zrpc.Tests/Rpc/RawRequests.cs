using System.Text;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Rpc;
using Zrpc.Tests.Frames;

namespace Zrpc.Tests.Rpc;

/// <summary>Hand-built request bytes and a response reader for driving a server directly.</summary>
public static class RawRequests
{
    public static byte[] Header(string endpoint, byte dataType, byte accept)
        => Wire.Frame(FrameType.Header, true, RpcHeader.Request(endpoint, (DataType)dataType, (DataType)accept).ToCanonicalBytes());

    public static byte[] Request(string endpoint, byte dataType, byte accept, params byte[][] bodyFrames)
        => Wire.Concat([Header(endpoint, dataType, accept), .. bodyFrames]);

    public static byte[] JsonRequest(string endpoint, string json, byte accept = 2)
        => Request(endpoint, 2, accept, Wire.Frame(FrameType.Data, true, Encoding.UTF8.GetBytes(json)));

    /// <summary>A JSON body split into 1-byte frames followed by an empty end frame (SRV-8, MSG-2).</summary>
    public static byte[] JsonRequestBytewise(string endpoint, string json)
    {
        var frames = Encoding.UTF8.GetBytes(json).Select(b => Wire.Frame(FrameType.Data, false, [b])).ToList();
        frames.Add(Wire.Frame(FrameType.Data, true, []));
        return Request(endpoint, 2, 2, frames.ToArray());
    }

    public sealed record Response(RpcHeader Header, byte[]? Body);

    /// <summary>Reads one response (header, and the body when OK).</summary>
    public static async Task<Response?> ReadResponseAsync(MessageReader reader, CancellationToken ct = default)
    {
        var header = await reader.ReadHeaderMessageAsync(ct);
        if (header is null)
        {
            return null;
        }

        var parsed = RpcHeader.Parse(header.Value.Span);
        if (parsed.Error != 1)
        {
            return new Response(parsed, null);
        }

        var ms = new MemoryStream();
        await reader.OpenDataMessage().CopyToAsync(ms, ct);
        return new Response(parsed, ms.ToArray());
    }
}
