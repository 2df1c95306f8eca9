using System.Text.Json;
using Zrpc.Rpc;

namespace Zrpc.TestService;

/// <summary>The Conformance Test Service endpoints (CTS-1..CTS-6).</summary>
public static class ConformanceService
{
    public const string Echo = "Echo";
    public const string Fail = "Fail";
    public const string Source = "Source";
    public const string Sink = "Sink";

    public static void Register(RpcServer server)
    {
        ArgumentNullException.ThrowIfNull(server);

        // CTS-2: the value comes back as decoded (JsonElement keeps numbers' text, so they stay equal).
        server.Register<JsonElement, JsonElement>(Echo, (value, _) => Task.FromResult(value.Clone()));

        // CTS-3: the handler fails with the given message; the server turns that into status 4.
        server.Register<FailRequest, JsonElement>(Fail, (request, _) =>
            throw new ConformanceFailure(request?.Message ?? ""));

        // CTS-4: bytes are generated as they are read, never held (CTS-6).
        server.Register<SourceRequest, Stream>(Source, (request, _) =>
            Task.FromResult<Stream>(new PatternStream(request?.Length ?? 0)));

        // CTS-5: hashed incrementally while the body streams in, the hash overlapping the next read.
        server.Register<Stream, SinkResponse>(Sink, async (body, ct) =>
        {
            var (length, sha256) = await SinkHasher.HashAsync(body, ct).ConfigureAwait(false);
            return new SinkResponse { Length = length, SHA256 = Convert.ToHexStringLower(sha256) };
        });
    }

    /// <summary>Request body of Fail.</summary>
    public sealed class FailRequest
    {
        public string? Message { get; set; }
    }

    /// <summary>Request body of Source.</summary>
    public sealed class SourceRequest
    {
        // Nullable because CTS-7 reads a null Length as 0, where a plain ulong would refuse it.
        public ulong? Length { get; set; }
    }

    /// <summary>Response body of Sink.</summary>
    public sealed class SinkResponse
    {
        public ulong Length { get; set; }

        public string SHA256 { get; set; } = "";
    }

    /// <summary>The deliberate failure of the Fail endpoint; its message is the ErrorMessage.</summary>
    public sealed class ConformanceFailure(string message) : Exception(message);
}
