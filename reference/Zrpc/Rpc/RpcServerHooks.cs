using Zrpc.Frames;
using Zrpc.Messages;

namespace Zrpc.Rpc;

/// <summary>
/// Seam for the deliberately broken servers of conformance/SelfTest/Zrpc.SelfTest (the kit's self-test):
/// the points where <see cref="RpcServer"/> makes a decision a mutant may get wrong. The base
/// class is the correct behaviour and the only one the library itself ever uses; no defect
/// lives here.
/// </summary>
internal class RpcServerHooks
{
    public static readonly RpcServerHooks Correct = new();

    /// <summary>The byte stream the server speaks on (wire-level mutants rewrite frames here).</summary>
    public virtual Stream WrapConnection(Stream connection) => connection;

    /// <summary>Parses a request header (HDR-4/HDR-5).</summary>
    public virtual RpcHeader ParseRequestHeader(ReadOnlySpan<byte> content) => RpcHeader.Parse(content);

    /// <summary>Whether the body of a rejected request is drained before the answer (SRV-7).</summary>
    public virtual bool DrainRejectedBody(DataMessageReadStream body) => true;

    /// <summary>The stream a MarshaledJSON request body is decoded from.</summary>
    public virtual Stream JsonBodySource(DataMessageReadStream body, FrameReader frames) => body;

    /// <summary>Whether the rest of the request body is drained after the handler (SRV-7/SRV-8).</summary>
    public virtual bool DrainAfterHandler(DataMessageReadStream body) => true;

    /// <summary>The Header message content of an error response (RPC-5, HDR-8).</summary>
    public virtual byte[] EncodeFailure(Status status, string message) => RpcHeader.Failure(status, message).ToCanonicalBytes();
}
