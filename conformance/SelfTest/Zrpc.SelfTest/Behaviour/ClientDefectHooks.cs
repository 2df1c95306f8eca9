using Zrpc.SelfTest.Wire;
using Zrpc.Rpc;

namespace Zrpc.SelfTest.Behaviour;

/// <summary>
/// The client decisions a behavioural mutant gets wrong; everything not set stays correct.
/// </summary>
internal sealed class ClientDefectHooks : RpcClientHooks
{
    /// <summary>Rewrites requests and/or the response lengths (a fresh rule set per connection).</summary>
    public Func<WireRules>? Wire { get; init; }

    /// <summary>Rewrites what the client's reader is shown (a fresh rule set per connection).</summary>
    public Func<ResponseRules>? Responses { get; init; }

    /// <summary>The defective response-header parser; the request's Accept is its second argument.</summary>
    public Func<ReadOnlySpan<byte>, DataType, RpcHeader>? ParseHeader { get; init; }

    /// <summary>What the client sends instead of refusing a request header over 4096 bytes; null: it refuses, as it should.</summary>
    public Func<byte[], byte[]>? OversizeHeader { get; init; }

    public override byte[] RequestHeaderOverLimit(byte[] header, string endpoint)
        => OversizeHeader is null ? base.RequestHeaderOverLimit(header, endpoint) : OversizeHeader(header);

    public override Stream WrapConnection(Stream connection)
    {
        if (Wire is not null)
        {
            connection = new FrameRewritingStream(connection, Wire());
        }

        return Responses is null ? connection : new ResponseRewritingStream(connection, Responses());
    }

    public override RpcHeader ParseResponseHeader(ReadOnlySpan<byte> content, DataType accept)
        => ParseHeader is null ? base.ParseResponseHeader(content, accept) : ParseHeader(content, accept);
}
