using Zrpc.Spec;
using System.CommandLine;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Cli;

/// <summary>
/// <c>zrpc client-driver</c>: the reference client under the conformance kit's client-driver
/// contract (conformance/CLIENT-DRIVER.md). Reads one JSON script from stdin, makes its calls
/// with <see cref="RpcClient"/> and prints one JSON line per call. The client's own timeouts
/// (CLI-6, CONN-5) are the only bound on a call, so a client that would hang is seen hanging.
/// </summary>
internal static class ClientDriverCommand
{
    private const int ScriptUnusable = 2;

    /// <param name="program">The command's name in its messages.</param>
    /// <param name="variant">What another host adds (the kit's self-test); null for <c>zrpc</c>.</param>
    public static Command Create(string program = "zrpc", CommandVariant<ClientChange>? variant = null)
    {
        var connect = AddressOption.Create("--connect", "-c",
            "Server the calls go to: tcp://HOST:PORT, unix:///PATH or exec:COMMAND ARGS.",
            TransportKind.Tcp, TransportKind.Unix, TransportKind.Exec);
        var profile = ProfileOption.Create("of the connection (fa4d209: the client ends each connection with the Close handshake)");
        connect.Required = false;
        var command = new Command("client-driver",
            "Conformance client driver: read a JSON call script on stdin, make the calls on one connection, " +
            "print one JSON result line per call (see conformance/CLIENT-DRIVER.md). Exit 0 when the script ran, 2 when it is unusable.")
        {
            connect,
            profile,
        };
        foreach (var option in variant?.Options ?? [])
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (variant?.Answer(parseResult) is { } answered)
            {
                return answered;
            }

            if (parseResult.GetValue(connect) is not { } address)
            {
                Console.Error.WriteLine($"{program} client-driver: --connect is required");
                return ExitCodes.Usage;
            }

            ClientChange? chosen;
            try
            {
                chosen = variant?.Choose(parseResult);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"{program} client-driver: {e.Message}");
                return ExitCodes.Usage;
            }

            if (chosen is not null)
            {
                // Loud on purpose: a variant must never be mistaken for the reference client.
                Console.Error.WriteLine($"{program} client-driver: WARNING: {chosen.Warning}");
            }

            if (ProfileOption.Read(parseResult, profile, "client-driver") is not { } chosenProfile)
            {
                return ExitCodes.Usage;
            }

            DriverScript script;
            try
            {
                using var stdin = Console.OpenStandardInput();
                script = DriverScript.Parse(await new StreamReader(stdin, Encoding.UTF8).ReadToEndAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"{program} client-driver: unusable script: {e.Message}");
                return ScriptUnusable;
            }

            // CLIENT-DRIVER.md: the script's "profile" is the kit's choice for this run; --profile serves scripts without one.
            await RunAsync(address, chosen, script.Profile ?? chosenProfile, script, Console.Out, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task RunAsync(TransportAddress address, ClientChange? change, Profile profile, DriverScript script, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new RpcClientOptions { CallTimeout = script.Timeout, ReadTimeout = script.Timeout, Profile = profile };
        change?.Apply(options);
        RpcClient? client = null;
        for (var i = 0; i < script.Calls.Count; i++)
        {
            var line = new JsonObject { ["call"] = i + 1 };
            try
            {
                if (client is null || client.IsEnded)
                {
                    if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
                    client = null;
                    var connection = await Connector.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
                    client = new RpcClient(connection, options);
                }

                await CallAsync(client, script.Calls[i], line, cancellationToken).ConfigureAwait(false);
            }
            catch (ProtocolException e)
            {
                Fail(line, e.Message, e.RequirementId);
            }
            catch (LocalLimitException e)
            {
                // The client's own limit, not the server's fault: no requirement is cited.
                Fail(line, e.Message, null);
            }
            catch (TimeoutException e)
            {
                Fail(line, e.Message, RequirementId.Cli6);
            }
            catch (NotSupportedException e)
            {
                // CLIENT-DRIVER.md: a call this client cannot make at all (the real client never says so).
                line["outcome"] = "unsupported";
                line["message"] = e.Message;
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                Fail(line, $"transport error: {e.Message}", null);
            }
            catch (Exception e)
            {
                // The contract forbids a crash: anything else is this call's failure, never a stack trace.
                Fail(line, $"{e.GetType().Name}: {e.Message}", null);
            }

            if (line["outcome"]?.GetValue<string>() == "error" && client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
                client = null;
            }

            await output.WriteLineAsync(line.ToJsonString()).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (profile == Profile.Fa4d209)
        {
            // CLIENT-DRIVER.md: in fa4d209 the driver closes the client explicitly and reports how it went.
            await output.WriteLineAsync(await CloseLineAsync(client, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<string> CloseLineAsync(RpcClient? client, CancellationToken cancellationToken)
    {
        var line = new JsonObject();
        if (client is null || client.IsEnded)
        {
            line["close"] = "none";
            return line.ToJsonString();
        }

        try
        {
            await client.CloseAsync(cancellationToken).ConfigureAwait(false);
            line["close"] = "ok";
        }
        catch (Exception e) when (e is ProtocolException or TimeoutException or RpcStatusException or IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            line["close"] = "error";
            line["message"] = e.Message;
            if (e is ProtocolException p) line["requirement"] = p.RequirementId;
        }

        return line.ToJsonString();
    }

    private static void Fail(JsonObject line, string message, string? requirement)
    {
        line["outcome"] = "error";
        line["message"] = message;
        if (requirement is not null) line["requirement"] = requirement;
    }

    private static async Task CallAsync(RpcClient client, DriverCall call, JsonObject line, CancellationToken ct)
    {
        RpcResponse response = call.Octets is { } octets
            ? await client.CallRawAsync(call.Endpoint, DataType.Octets, call.Accept, octets(), ct).ConfigureAwait(false)
            : await client.CallRawAsync(call.Endpoint, DataType.MarshaledJson, call.Accept, call.Json!, ct).ConfigureAwait(false);
        await using var _ = response.ConfigureAwait(false);
        if (!response.IsOk)
        {
            line["outcome"] = "status"; // CLI-1
            line["status"] = response.Header.Error;
            line["message"] = response.Header.ErrorMessage;
            return;
        }

        if (call.Accept == DataType.MarshaledJson)
        {
            var body = (MemoryStream)response.Body;
            JsonNode? value;
            try
            {
                value = JsonNode.Parse(body.GetBuffer().AsMemory(0, (int)body.Length).Span.ToArray());
            }
            catch (JsonException e)
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw new ProtocolException(RequirementId.Rpc7, $"the MarshaledJSON response body is not one JSON value: {e.Message}", e);
            }

            line["outcome"] = "ok";
            line["datatype"] = "json";
            line["json"] = value;
            return;
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long length = 0;
        int n;
        while ((n = await response.Body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            length += n;
        }

        line["outcome"] = "ok";
        line["datatype"] = call.Accept == DataType.Octets ? "octets" : "none";
        line["length"] = length;
        line["sha256"] = Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>One call of the script.</summary>
    private sealed record DriverCall(string Endpoint, DataType Accept, byte[]? Json, Func<Stream>? Octets);

    /// <summary>The script of CLIENT-DRIVER.md section 2.</summary>
    private sealed record DriverScript(TimeSpan Timeout, IReadOnlyList<DriverCall> Calls, Profile? Profile)
    {
        public static DriverScript Parse(string text)
        {
            try
            {
                if (JsonNode.Parse(text) is not JsonObject root || root["calls"] is not JsonArray calls)
                    throw new FormatException("the script must be a JSON object with an array 'calls'");
                var seconds = root["timeout"]?.GetValue<double>() ?? 10;
                if (!(seconds > 0)) throw new FormatException("'timeout' must be a positive number of seconds");
                var profile = root["profile"]?.GetValue<string>() is { } name ? Profiles.Parse(name) : (Profile?)null;
                return new DriverScript(TimeSpan.FromSeconds(seconds), calls.Select(ParseCall).ToList(), profile);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
            {
                throw new FormatException(e.Message, e);
            }
        }

        private static DriverCall ParseCall(JsonNode? node, int index)
        {
            if (node is not JsonObject call || call["endpoint"]?.GetValue<string>() is not { } endpoint)
                throw new FormatException($"call {index + 1} has no 'endpoint'");
            var accept = call["accept"]?.GetValue<string>() switch
            {
                "json" => DataType.MarshaledJson,
                "octets" => DataType.Octets,
                "none" => DataType.None,
                var other => throw new FormatException($"call {index + 1}: 'accept' is '{other}', not json, octets or none"),
            };
            var hasJson = call.ContainsKey("json");
            if (hasJson == call.ContainsKey("octets"))
                throw new FormatException($"call {index + 1} needs exactly one of 'json' and 'octets'");
            if (hasJson)
                return new DriverCall(endpoint, accept, Encoding.UTF8.GetBytes((call["json"]?.ToJsonString() ?? "null") + "\n"), null);

            var octets = call["octets"] as JsonObject ?? throw new FormatException($"call {index + 1}: 'octets' must be an object");
            if (octets["hex"]?.GetValue<string>() is { } hex)
            {
                var bytes = Convert.FromHexString(hex);
                return new DriverCall(endpoint, accept, null, () => new MemoryStream(bytes, writable: false));
            }

            var length = octets["length"]?.GetValue<ulong>() ?? throw new FormatException($"call {index + 1}: 'octets' needs 'length' or 'hex'");
            return new DriverCall(endpoint, accept, null, () => new PatternStream(length)); // byte i = i mod 251
        }
    }
}
