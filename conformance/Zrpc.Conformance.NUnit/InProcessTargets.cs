using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.ClientRole;

namespace Zrpc.Conformance.NUnit;

/// <summary>A server under test reached through a factory of connected streams, one per connection the kit opens.</summary>
public sealed class StreamFactoryTarget(string name, Func<CancellationToken, ValueTask<Stream>> connect) : IServerTarget
{
    public string Name { get; } = name;

    /// <summary>None: no runner command line reaches an in-process server.</summary>
    public string? TargetArgument => null;

    /// <summary>How long the factory may take to give a connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            return await connect(timeout.Token).ConfigureAwait(false)
                   ?? throw new TargetUnreachableException(Name, "the connection factory returned null");
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TargetUnreachableException(Name, $"the connection factory gave no stream within {ConnectTimeout.TotalSeconds:0.#} s", e);
        }
        catch (Exception e) when (e is not OperationCanceledException and not TargetUnreachableException)
        {
            throw new TargetUnreachableException(Name, $"the connection factory failed: {e.GetType().Name}: {e.Message}", e);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public override string ToString() => Name;
}

/// <summary>
/// A client under test called in-process: runs a client-role script (CLIENT-DRIVER.md) through
/// <see cref="IConformanceClient"/> and turns each outcome into the result line a driver process
/// would print, so that the kit judges it exactly as it judges a driver.
/// </summary>
public sealed class InProcessClientTarget(string name, IConformanceClient client) : IClientTarget
{
    /// <summary>How long the kit waits for a client it stopped (cancelled) to give up before reporting it killed.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    public string Name { get; } = name;

    public string? TargetArgument => null;

    public Task<string?> ProbeAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public async Task<DriverRunResult> RunScriptAsync(string address, string script, TimeSpan hardLimit, Action<DriverLine>? onLine, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (timeout, calls) = Parse(script);
        var lines = new List<DriverLine>();
        var log = new System.Text.StringBuilder();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = Task.Run(() => RunCallsAsync(address, timeout, calls, lines, log, onLine, stop.Token), CancellationToken.None);
        var killed = false;
        int? exitCode = 0;
        try
        {
            await run.WaitAsync(hardLimit, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && !run.IsCompleted))
        {
            killed = true;
            exitCode = null;
            await stop.CancelAsync().ConfigureAwait(false);
            // A client that ignores cancellation is abandoned: its task is left to the thread pool.
            await Task.WhenAny(run, Task.Delay(StopGrace, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Only a defect of this loop gets here (every exception of the client is a call's
            // outcome): reported as a driver that crashed, with the exception on its stderr.
            lock (log) log.AppendLine(e.ToString());
            exitCode = 1;
        }

        List<DriverLine> copy;
        lock (lines) copy = lines.ToList();
        string errText;
        lock (log) errText = log.ToString();
        return new DriverRunResult(copy, exitCode, killed, errText, null, clock.Elapsed);
    }

    private async Task RunCallsAsync(string address, TimeSpan timeout, IReadOnlyList<ClientCall> calls, List<DriverLine> lines,
        System.Text.StringBuilder log, Action<DriverLine>? onLine, CancellationToken stop)
    {
        IConformanceClientConnection? connection = null;
        try
        {
            foreach (var call in calls)
            {
                ClientCallOutcome outcome;
                try
                {
                    connection ??= await client.ConnectAsync(address, timeout, stop).ConfigureAwait(false);
                    outcome = await connection.CallAsync(call, stop).ConfigureAwait(false)
                              ?? ClientCallOutcome.Error("the client returned no outcome (null)");
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    lock (log) log.AppendLine($"call {call.Number}: {e}");
                    outcome = ClientCallOutcome.Error($"{e.GetType().Name}: {e.Message}");
                }

                var line = new DriverLine(outcome.ToLine(call.Number).ToJsonString(), Stopwatch.GetTimestamp());
                lock (lines) lines.Add(line);
                onLine?.Invoke(line);
                if (outcome.Kind == "error" && connection is not null)
                {
                    await DisposeQuietlyAsync(connection, log).ConfigureAwait(false);
                    connection = null;
                }
            }
        }
        finally
        {
            if (connection is not null) await DisposeQuietlyAsync(connection, log).ConfigureAwait(false);
        }
    }

    private static async Task DisposeQuietlyAsync(IConformanceClientConnection connection, System.Text.StringBuilder log)
    {
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            lock (log) log.AppendLine($"closing the connection: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The script the kit wrote (CLIENT-DRIVER.md section 2); the kit's own, so malformed means a kit defect.</summary>
    private static (TimeSpan Timeout, IReadOnlyList<ClientCall> Calls) Parse(string script)
    {
        try
        {
            var root = JsonNode.Parse(script) as JsonObject ?? throw new FormatException("the script is not a JSON object");
            var seconds = root["timeout"]?.GetValue<double>() ?? 10;
            var calls = (root["calls"] as JsonArray ?? throw new FormatException("the script has no 'calls' array"))
                .Select((node, index) =>
                {
                    var call = node as JsonObject ?? throw new FormatException($"call {index + 1} is not an object");
                    var accept = call["accept"]?.GetValue<string>() switch
                    {
                        "json" => BodyType.MarshaledJson,
                        "octets" => BodyType.Octets,
                        "none" => BodyType.None,
                        var other => throw new FormatException($"call {index + 1}: accept '{other}'"),
                    };
                    var octets = call["octets"] as JsonObject;
                    var hex = octets?["hex"]?.GetValue<string>() is { } text ? Convert.FromHexString(text) : null;
                    return new ClientCall(index + 1, call["endpoint"]?.GetValue<string>() ?? throw new FormatException($"call {index + 1} has no endpoint"), accept, call["json"]?.DeepClone(), call.ContainsKey("json"),
                        octets?["length"]?.GetValue<long>() ?? 0, hex);
                })
                .ToList();
            return (TimeSpan.FromSeconds(seconds), calls);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new FormatException($"the kit's client script is malformed: {e.Message}", e);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public override string ToString() => Name;
}
