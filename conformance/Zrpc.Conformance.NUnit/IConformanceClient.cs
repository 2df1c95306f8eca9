using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Zrpc.TestService;

namespace Zrpc.Conformance.NUnit;

/// <summary>
/// Your client, called in-process by the kit's client-role scenarios. It is the client-driver
/// contract (conformance/CLIENT-DRIVER.md) without the process: the kit makes the script's calls
/// in order, one at a time; it connects before the first call and after every call whose outcome
/// was <see cref="ClientCallOutcome.Error"/> (the connection is then over and the kit disposes it),
/// and reuses the connection otherwise; after the last call it disposes the connection.
/// </summary>
public interface IConformanceClient
{
    /// <summary>
    /// Connects your client to the kit's fake server at <paramref name="address"/>
    /// (<c>tcp://127.0.0.1:PORT</c>). <paramref name="callTimeout"/> is the bound on each call,
    /// from its start until its outcome is known including the whole response body (CLI-6,
    /// CONN-5): set your client's own timeouts from it and add no watchdog of your own, or a
    /// client that would hang is not seen hanging. A failure to connect (an exception) becomes
    /// the error outcome of the call that needed the connection.
    /// </summary>
    ValueTask<IConformanceClientConnection> ConnectAsync(string address, TimeSpan callTimeout, CancellationToken cancellationToken);
}

/// <summary>One connection of your client to the kit's fake server.</summary>
public interface IConformanceClientConnection : IAsyncDisposable
{
    /// <summary>
    /// Makes one call and says how it ended. An exception is taken as the outcome
    /// <see cref="ClientCallOutcome.Error"/> with the exception's type and message, as a driver
    /// that catches every exception of a call would print it.
    /// </summary>
    ValueTask<ClientCallOutcome> CallAsync(ClientCall call, CancellationToken cancellationToken);
}

/// <summary>The type of a request or response body (the header's DataType and Accept values).</summary>
public enum BodyType
{
    None = 1,
    MarshaledJson = 2,
    Octets = 3,
}

/// <summary>One call of a client-role scenario's script (CLIENT-DRIVER.md section 2).</summary>
public sealed class ClientCall
{
    private readonly byte[]? _hex;

    internal ClientCall(int number, string endpoint, BodyType accept, JsonNode? json, bool hasJson, long octetsLength, byte[]? hex)
    {
        Number = number;
        Endpoint = endpoint;
        Accept = accept;
        Json = json;
        RequestType = hasJson ? BodyType.MarshaledJson : BodyType.Octets;
        OctetsLength = hasJson ? 0 : hex?.LongLength ?? octetsLength;
        _hex = hex;
    }

    /// <summary>1-based position of the call in the script.</summary>
    public int Number { get; }

    /// <summary>The endpoint name, sent as the header's <c>Endpoint</c>.</summary>
    public string Endpoint { get; }

    /// <summary>What the call accepts as response body (the header's <c>Accept</c>).</summary>
    public BodyType Accept { get; }

    /// <summary><see cref="BodyType.MarshaledJson"/> (send <see cref="Json"/>) or <see cref="BodyType.Octets"/> (send <see cref="OpenOctets"/>).</summary>
    public BodyType RequestType { get; }

    /// <summary>The request body's JSON value when <see cref="RequestType"/> is MarshaledJSON (may be a JSON null); encode it as your client normally does.</summary>
    public JsonNode? Json { get; }

    /// <summary>Length of the Octets request body; 0 for a JSON request.</summary>
    public long OctetsLength { get; }

    /// <summary>A fresh read-only stream of the Octets request body (for a JSON request: empty).</summary>
    public Stream OpenOctets()
        => RequestType != BodyType.Octets ? Stream.Null
            : _hex is not null ? new MemoryStream(_hex, writable: false)
            : new PatternStream((ulong)OctetsLength);

    public override string ToString()
        => $"call {Number}: {Endpoint}, {(RequestType == BodyType.MarshaledJson ? "JSON " + (Json?.ToJsonString() ?? "null") : $"{OctetsLength} octets")}, accept {Accept}";
}

/// <summary>How one call ended (CLIENT-DRIVER.md section 3).</summary>
public sealed class ClientCallOutcome
{
    private readonly Func<int, JsonObject> _line;

    private ClientCallOutcome(string kind, Func<int, JsonObject> line)
    {
        Kind = kind;
        _line = line;
    }

    /// <summary>ok, status, error or unsupported.</summary>
    public string Kind { get; }

    /// <summary>OK with a MarshaledJSON body: its decoded value. Only for a complete, well-formed response (CLI-2, CLI-3, CLI-4).</summary>
    public static ClientCallOutcome Json(JsonNode? value)
        => new("ok", call => new JsonObject { ["call"] = call, ["outcome"] = "ok", ["datatype"] = "json", ["json"] = value?.DeepClone() });

    /// <summary>OK with an Octets or None body: all of its bytes.</summary>
    public static ClientCallOutcome Body(BodyType type, ReadOnlySpan<byte> body)
    {
        RequireRawType(type);
        var sha = Convert.ToHexStringLower(SHA256.HashData(body));
        var length = body.Length;
        return new("ok", call => BodyLine(call, type, length, sha));
    }

    /// <summary>OK with an Octets or None body, read to its end here (any length, never held whole).</summary>
    public static async ValueTask<ClientCallOutcome> BodyAsync(BodyType type, Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        RequireRawType(type);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long length = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            length += n;
        }

        var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        return new("ok", call => BodyLine(call, type, length, hash));
    }

    /// <summary>The server answered with an error status (anything but 1), as received (CLI-1).</summary>
    public static ClientCallOutcome Status(ulong status, string message)
        => new("status", call => new JsonObject { ["call"] = call, ["outcome"] = "status", ["status"] = status, ["message"] = message });

    /// <summary>
    /// The call failed: a protocol error of the server, a transport error, a timeout or a local
    /// failure. <paramref name="requirement"/>: the requirement id your client enforced, when it knows one.
    /// </summary>
    public static ClientCallOutcome Error(string message, string? requirement = null)
        => new("error", call =>
        {
            var line = new JsonObject { ["call"] = call, ["outcome"] = "error", ["message"] = message };
            if (requirement is not null) line["requirement"] = requirement;
            return line;
        });

    /// <summary>
    /// Your client has no way to make this kind of call at all (for example it sends MarshaledJSON
    /// request bodies only): the scenario is skipped with <paramref name="reason"/>. Never for a
    /// call that went wrong, and never for a JSON call to Echo accepting JSON.
    /// </summary>
    public static ClientCallOutcome Unsupported(string reason)
        => new("unsupported", call => new JsonObject { ["call"] = call, ["outcome"] = "unsupported", ["message"] = reason });

    /// <summary>The result line a driver would print for call <paramref name="call"/>.</summary>
    public JsonObject ToLine(int call) => _line(call);

    private static void RequireRawType(BodyType type)
    {
        if (type is not (BodyType.Octets or BodyType.None))
            throw new ArgumentException($"a body of type {type} is reported with Json(value), not as raw bytes", nameof(type));
    }

    private static JsonObject BodyLine(int call, BodyType type, long length, string sha256) => new()
    {
        ["call"] = call,
        ["outcome"] = "ok",
        ["datatype"] = type == BodyType.Octets ? "octets" : "none",
        ["length"] = length,
        ["sha256"] = sha256,
    };
}
