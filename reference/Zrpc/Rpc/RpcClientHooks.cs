namespace Zrpc.Rpc;

/// <summary>
/// Seam for the deliberately broken clients of conformance/SelfTest/Zrpc.SelfTest (the kit's self-test),
/// like <see cref="RpcServerHooks"/> for the server: the points where <see cref="RpcClient"/>
/// makes a decision a mutant may get wrong. The base class is the correct behaviour and the only
/// one the library itself ever uses; no defect lives here.
/// </summary>
internal class RpcClientHooks
{
    public static readonly RpcClientHooks Correct = new();

    /// <summary>The byte stream the client speaks on (wire-level mutants rewrite frames here); called once per client.</summary>
    public virtual Stream WrapConnection(Stream connection) => connection;

    /// <summary>
    /// Decides what happens to a request header over the 4096-byte limit (MSG-5): the call is
    /// refused before anything is sent. Returns the header to send instead (only a mutant does).
    /// </summary>
    public virtual byte[] RequestHeaderOverLimit(byte[] header, string endpoint)
        => throw new ArgumentException($"the request header would be {header.Length} bytes, over the {Frames.FrameLimits.MaxHeaderMessage}-byte limit (MSG-5)", nameof(endpoint));

    /// <summary>Parses a response header (HDR-4/HDR-5); <paramref name="accept"/> is the request's Accept.</summary>
    public virtual RpcHeader ParseResponseHeader(ReadOnlySpan<byte> content, DataType accept) => RpcHeader.Parse(content);
}
