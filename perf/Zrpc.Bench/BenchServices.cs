using Zrpc.Rpc;
using Zrpc.TestService;

namespace Zrpc.Bench;

/// <summary>
/// Source and Sink with the Conformance Test Service's names and body types but no payload work
/// (no pattern generation, no SHA-256), so the figures show what the protocol itself costs.
/// </summary>
public static class NullService
{
    public static void Register(RpcServer server)
    {
        server.Register<ConformanceService.SourceRequest, Stream>(ConformanceService.Source, (request, _) =>
            Task.FromResult<Stream>(new UnfilledStream((long)(request?.Length ?? 0))));
        // One spare read buffer per server, not ArrayPool.Shared: the shared pool parks a returned
        // array in the returning thread's slot, so a call continued on another thread rented a fresh
        // 1 MiB array now and then, and that showed up as protocol allocation per GiB.
        var spare = new System.Runtime.CompilerServices.StrongBox<byte[]?>(new byte[1 << 20]);
        server.Register<Stream, ConformanceService.SinkResponse>(ConformanceService.Sink, async (body, ct) =>
        {
            byte[] chunk = Interlocked.Exchange(ref spare.Value, null) ?? new byte[1 << 20];
            ulong length = 0;
            try
            {
                int n;
                while ((n = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
                {
                    length += (ulong)n;
                }
            }
            finally
            {
                spare.Value = chunk;
            }

            return new ConformanceService.SinkResponse { Length = length };
        });
        server.Register<System.Text.Json.JsonElement, System.Text.Json.JsonElement>(ConformanceService.Echo, (value, _) => Task.FromResult(value.Clone()));
    }
}

/// <summary>
/// A stream of a given length whose reads leave the caller's buffer as it is: a body source that
/// costs nothing, like a file already in the page cache costs little.
/// </summary>
internal sealed class UnfilledStream(long length, CostMeter? meter = null) : GeneratedReadStream
{
    private readonly long _length = length;
    private long _left = length;

    public override long Length => _length;
    public override long Position { get => _length - _left; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, _left);
        _left -= n;
        if (meter is not null && _length - _left >= meter.MarkAt) meter.Mark(_length - _left);
        return n;
    }
}
