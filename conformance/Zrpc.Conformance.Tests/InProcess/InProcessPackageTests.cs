using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.NUnit;
using Zrpc.Rpc;
using Zrpc.Transport;

namespace Zrpc.Conformance.Tests.InProcess;

/// <summary>
/// Zrpc.Conformance.NUnit, the package a .NET implementer's NUnit project uses: its test cases,
/// its verdicts against in-process servers and clients, and the client-driver contract of its
/// in-process client target.
/// </summary>
[TestFixture]
public sealed class InProcessPackageTests
{
    [Test]
    public void Test_cases_are_named_by_scenario_id_and_categorised_by_requirement_and_section()
    {
        var server = ConformanceScenarios.Server().ToList();
        var client = ConformanceScenarios.Client().ToList();
        Assert.That(server, Has.Count.GreaterThan(50));
        Assert.That(client, Has.Count.GreaterThan(20));
        var basic = server.Single(c => c.TestName == "frame-basic-call");
        var categories = basic.Properties[PropertyNames.Category].Cast<string>().ToList();
        Assert.That(categories, Is.SupersetOf(new[] { "FRAME-1", "FRAME-7", "must", "section:frame" }));
        Assert.That(basic.Arguments, Is.EqualTo(new object[] { "frame-basic-call" }));
        var clientIds = Zrpc.Conformance.ClientRole.Roles.ForRole(ConformanceScenarios.All, Zrpc.Conformance.ClientRole.Roles.Client).Select(c => c.Id).ToHashSet();
        Assert.That(clientIds, Is.Not.Empty);
        Assert.That(client.Select(c => c.TestName), Is.EquivalentTo(clientIds), "client-role scenarios, all of them");
        Assert.That(server.Select(c => c.TestName).Where(name => name is not null && clientIds.Contains(name)), Is.Empty, "no client-role scenario against a server");
    }

    [Test]
    public void Every_later_target_of_a_process_gets_scenarios_of_its_own_run_for_Reqnroll_reports()
    {
        // Reqnroll's formatters track test cases per feature source: two targets sharing one copy
        // of the scenarios lose or reuse test case ids, and a report then says "passed" over failures.
        var scenarios = ConformanceScenarios.All.Where(s => s.Section == "frame").ToList();
        ConformanceScenarios.ForTarget(scenarios, "one");
        var second = ConformanceScenarios.ForTarget(scenarios, "two");
        var third = ConformanceScenarios.ForTarget(scenarios, "three");
        Assert.That(second.Select(s => s.Id), Is.EqualTo(scenarios.Select(s => s.Id)), "the same scenarios, in order");
        Assert.That(second.Select(s => s.Feature.RunLabel).Distinct().Single(), Does.Match("^target [0-9]+: two$"));
        Assert.That(third.Select(s => s.Feature.RunLabel).Distinct().Single(), Does.Match("^target [0-9]+: three$"));
        var pickles = scenarios.Concat(second).Concat(third).Select(s => s.Pickle!.Id).ToList();
        Assert.That(pickles, Is.Unique);
    }

    [Test]
    public async Task A_server_that_breaks_FRAME_1_fails_its_scenario_citing_FRAME_1()
    {
        await using var reference = new ReferenceServerTarget();
        var run = new ConformanceTargetRun(Roles.Server);
        await run.StartAsync(new StreamFactoryTarget("swapped lengths", async ct => new ByteSwappedLengths(await reference.ConnectAsync(ct))),
            TimeSpan.FromSeconds(2), null, GetType());
        var (state, message) = await OutcomeOf(() => run.RunAsync("frame-basic-call"));
        Assert.That(state.Status, Is.EqualTo(TestStatus.Failed), message);
        Assert.That(message, Does.StartWith("FRAME-1 (MUST)"));
        Assert.That(message, Does.Contain("replay: dotnet test --filter \"FullyQualifiedName~" + GetType().FullName + "&Name=frame-basic-call\""));
        await run.StopAsync();
    }

    [Test]
    public async Task A_conforming_in_process_server_passes()
    {
        await using var reference = new ReferenceServerTarget();
        var run = new ConformanceTargetRun(Roles.Server);
        await run.StartAsync(new StreamFactoryTarget("reference through a factory", ct => new ValueTask<Stream>(reference.ConnectAsync(ct))),
            TimeSpan.FromSeconds(2), null, GetType());
        var (state, message) = await OutcomeOf(() => run.RunAsync("frame-basic-call"));
        Assert.That(state.Status, Is.EqualTo(TestStatus.Passed), message);
    }

    [Test]
    public async Task A_server_that_goes_down_fails_that_scenario_citing_TRANS_2_and_the_next_is_not_run()
    {
        await using var reference = new ReferenceServerTarget();
        var down = false;
        var run = new ConformanceTargetRun(Roles.Server);
        await run.StartAsync(new StreamFactoryTarget("dies after its first scenario", async ct =>
        {
            if (Volatile.Read(ref down)) throw new SocketException((int)SocketError.ConnectionRefused);
            return new OnDispose(await reference.ConnectAsync(ct), () => Volatile.Write(ref down, true));
        }), TimeSpan.FromSeconds(2), null, GetType());
        // The probe of StartAsync closed a connection already: back up.
        Volatile.Write(ref down, false);

        var (first, firstMessage) = await OutcomeOf(() => run.RunAsync("frame-basic-call"));
        Assert.That(first.Status, Is.EqualTo(TestStatus.Failed), firstMessage);
        Assert.That(firstMessage, Does.StartWith("TRANS-2 (MUST)"));
        Assert.That(firstMessage, Does.Contain("the target went down during this scenario"));

        var next = ConformanceScenarios.Server().Select(c => c.TestName!).First(id => id != "frame-basic-call");
        var (second, secondMessage) = await OutcomeOf(() => run.RunAsync(next));
        Assert.That(second.Status, Is.EqualTo(TestStatus.Inconclusive), secondMessage);
        Assert.That(secondMessage, Does.StartWith("NOT RUN: target down"));
    }

    [Test]
    public async Task An_in_process_client_is_judged_and_its_unsupported_calls_skip_the_scenario()
    {
        var run = new ConformanceTargetRun(Roles.Client);
        await run.StartAsync(new InProcessClientTarget("json-only reference client", new ReferenceClient(jsonOnly: true)), TimeSpan.FromSeconds(5), null, GetType());

        var (json, jsonMessage) = await OutcomeOf(() => run.RunAsync("client-request-canonical-json"));
        Assert.That(json.Status, Is.EqualTo(TestStatus.Passed), jsonMessage);

        var (octets, octetsMessage) = await OutcomeOf(() => run.RunAsync("client-request-canonical-octets/empty"));
        Assert.That(octets.Status, Is.EqualTo(TestStatus.Skipped), octetsMessage);
        Assert.That(octetsMessage, Does.StartWith("unsupported by the client: call 1"));
        Assert.That(octetsMessage, Does.Contain("sends MarshaledJSON request bodies only"));
    }

    [Test]
    public async Task A_client_that_accepts_a_wrong_datatype_fails_citing_CLI_3()
    {
        var run = new ConformanceTargetRun(Roles.Client);
        await run.StartAsync(new InProcessClientTarget("credulous client", new CredulousClient()), TimeSpan.FromSeconds(5), null, GetType());
        var (state, message) = await OutcomeOf(() => run.RunAsync("client-ok-wrong-datatype/octets"));
        Assert.That(state.Status, Is.EqualTo(TestStatus.Failed), message);
        Assert.That(message, Does.StartWith("CLI-3 (MUST)"));
    }

    [Test]
    public async Task The_in_process_driver_keeps_the_contract_connections_and_lines()
    {
        var client = new ScriptedClient(
            _ => ClientCallOutcome.Json(new JsonObject { ["a"] = 1 }),
            _ => ClientCallOutcome.Status(4, "no such endpoint"),
            _ => throw new IOException("connection reset"),
            _ => ClientCallOutcome.Unsupported("no Octets"),
            _ => ClientCallOutcome.Body(BodyType.Octets, "abc"u8),
            _ => ClientCallOutcome.Error("bad frame", "FRAME-2"));
        var target = new InProcessClientTarget("scripted", client);
        var script = """
            {"timeout":2,"calls":[
              {"endpoint":"Echo","accept":"json","json":{"a":1}},
              {"endpoint":"Nope","accept":"json","json":null},
              {"endpoint":"Echo","accept":"json","json":1},
              {"endpoint":"Sink","accept":"json","octets":{"hex":"00ff10"}},
              {"endpoint":"Source","accept":"octets","json":{"Length":3}},
              {"endpoint":"Echo","accept":"none","octets":{"length":300}}]}
            """;
        var seen = new List<string>();
        var run = await target.RunScriptAsync("tcp://127.0.0.1:9", script, TimeSpan.FromSeconds(10), line => seen.Add(line.Text), CancellationToken.None);

        Assert.That(run.Killed, Is.False);
        Assert.That(run.ExitCode, Is.Zero);
        var lines = run.Lines.Select(l => JsonNode.Parse(l.Text)!.AsObject()).ToList();
        Assert.That(seen, Is.EqualTo(run.Lines.Select(l => l.Text)), "each line is reported as it comes");
        Assert.That(lines.Select(l => l["call"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(lines.Select(l => l["outcome"]!.GetValue<string>()), Is.EqualTo(new[] { "ok", "status", "error", "unsupported", "ok", "error" }));
        Assert.That(lines[0]["json"]!.ToJsonString(), Is.EqualTo("{\"a\":1}"));
        Assert.That(lines[1]["status"]!.GetValue<ulong>(), Is.EqualTo(4));
        Assert.That(lines[2]["message"]!.GetValue<string>(), Is.EqualTo("IOException: connection reset"));
        Assert.That(lines[4]["length"]!.GetValue<long>(), Is.EqualTo(3));
        Assert.That(lines[4]["sha256"]!.GetValue<string>(), Is.EqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        Assert.That(lines[5]["requirement"]!.GetValue<string>(), Is.EqualTo("FRAME-2"));
        // One connection for calls 1 to 3 (an error ends it), a new one for calls 4 to 6, each closed.
        Assert.That(client.Connections, Is.EqualTo(2));
        Assert.That(client.Disposed, Is.EqualTo(2));
        Assert.That(client.Calls.Select(c => c.Number), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(client.Calls[0].Json!.ToJsonString(), Is.EqualTo("{\"a\":1}"));
        Assert.That(client.Calls[3].RequestType, Is.EqualTo(BodyType.Octets));
        Assert.That(ReadAll(client.Calls[3].OpenOctets()), Is.EqualTo(new byte[] { 0x00, 0xff, 0x10 }));
        Assert.That(ReadAll(client.Calls[5].OpenOctets()), Is.EqualTo(Enumerable.Range(0, 300).Select(i => (byte)(i % 251)).ToArray()));
        Assert.That(client.Timeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public async Task A_client_that_hangs_is_stopped_at_the_hard_limit()
    {
        var client = new ScriptedClient(_ => throw new InvalidOperationException("unused"));
        client.Hang = true;
        var target = new InProcessClientTarget("hanging", client);
        var run = await target.RunScriptAsync("tcp://127.0.0.1:9", """{"timeout":1,"calls":[{"endpoint":"Echo","accept":"json","json":1}]}""",
            TimeSpan.FromMilliseconds(300), null, CancellationToken.None);
        Assert.That(run.Killed, Is.True);
        Assert.That(run.Lines, Is.Empty);
        Assert.That(run.ExitCode, Is.Null);
    }

    [Test]
    public async Task A_failure_of_the_in_process_driver_itself_is_a_crash_with_its_exception_not_an_escaping_exception()
    {
        var target = new InProcessClientTarget("scripted", new ScriptedClient(_ => ClientCallOutcome.Json(1)));
        var run = await target.RunScriptAsync("tcp://127.0.0.1:9", """{"timeout":1,"calls":[{"endpoint":"Echo","accept":"json","json":1}]}""",
            TimeSpan.FromSeconds(10), _ => throw new InvalidOperationException("observer broke"), CancellationToken.None);
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Killed, Is.False);
        Assert.That(run.StandardError, Does.Contain("observer broke"));
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Runs a test body that reports through NUnit asserts, in a context of its own, and returns what it reported.</summary>
    private static async Task<(ResultState State, string Message)> OutcomeOf(Func<Task> body)
    {
        using var isolated = new TestExecutionContext.IsolatedContext();
        try
        {
            await body();
            return (ResultState.Success, "");
        }
        catch (ResultStateException e)
        {
            return (e.ResultState, e.Message);
        }
    }

    private sealed class ScriptedClient(params Func<ClientCall, ClientCallOutcome>[] answers) : IConformanceClient
    {
        public int Connections, Disposed;
        public readonly List<ClientCall> Calls = [];
        public TimeSpan Timeout;
        public bool Hang;
        private readonly Func<ClientCall, ClientCallOutcome>[] _answers = answers;

        public ValueTask<IConformanceClientConnection> ConnectAsync(string address, TimeSpan callTimeout, CancellationToken cancellationToken)
        {
            Connections++;
            Timeout = callTimeout;
            return new ValueTask<IConformanceClientConnection>(new Connection(this));
        }

        private sealed class Connection(ScriptedClient owner) : IConformanceClientConnection
        {
            public async ValueTask<ClientCallOutcome> CallAsync(ClientCall call, CancellationToken cancellationToken)
            {
                if (owner.Hang) await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
                owner.Calls.Add(call);
                return owner._answers[call.Number - 1](call);
            }

            public ValueTask DisposeAsync()
            {
                owner.Disposed++;
                return ValueTask.CompletedTask;
            }
        }
    }

    /// <summary>Answers every call OK with its JSON body, whatever came: never checks the response's DataType.</summary>
    private sealed class CredulousClient : IConformanceClient
    {
        public async ValueTask<IConformanceClientConnection> ConnectAsync(string address, TimeSpan callTimeout, CancellationToken cancellationToken)
            => new Connection(await Connector.ConnectAsync(TransportAddress.Parse(address), cancellationToken));

        private sealed class Connection(Stream stream) : IConformanceClientConnection
        {
            public async ValueTask<ClientCallOutcome> CallAsync(ClientCall call, CancellationToken cancellationToken)
            {
                var header = Encoding.UTF8.GetBytes($"{{\"Endpoint\":\"{call.Endpoint}\",\"DataType\":2,\"Accept\":{(int)call.Accept},\"Error\":0,\"ErrorMessage\":\"\"}}\n");
                var body = Encoding.UTF8.GetBytes((call.Json?.ToJsonString() ?? "null") + "\n");
                await stream.WriteAsync(Frame(1, header), cancellationToken);
                await stream.WriteAsync(Frame(2, body), cancellationToken);
                var json = await ReadJsonBodyAsync(stream, cancellationToken);
                return ClientCallOutcome.Json(JsonNode.Parse(json));
            }

            private static byte[] Frame(byte type, byte[] payload)
            {
                var frame = new byte[6 + payload.Length];
                frame[0] = type;
                frame[1] = 1;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(2), (uint)payload.Length);
                payload.CopyTo(frame, 6);
                return frame;
            }

            /// <summary>Skips the header frame and returns the first end-flagged body frame's payload.</summary>
            private static async Task<byte[]> ReadJsonBodyAsync(Stream stream, CancellationToken ct)
            {
                var first = true;
                var body = new MemoryStream();
                while (true)
                {
                    var head = new byte[6];
                    await stream.ReadExactlyAsync(head, ct);
                    var payload = new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(2))];
                    await stream.ReadExactlyAsync(payload, ct);
                    if (first) { first = false; continue; }
                    body.Write(payload);
                    if (head[1] != 0) return body.ToArray();
                }
            }

            public ValueTask DisposeAsync() => stream.DisposeAsync();
        }
    }

    /// <summary>The reference RpcClient behind the in-process interface; <c>jsonOnly</c> makes it a client that sends MarshaledJSON bodies only.</summary>
    private sealed class ReferenceClient(bool jsonOnly) : IConformanceClient
    {
        public async ValueTask<IConformanceClientConnection> ConnectAsync(string address, TimeSpan callTimeout, CancellationToken cancellationToken)
        {
            var stream = await Connector.ConnectAsync(TransportAddress.Parse(address), cancellationToken);
            return new Connection(new RpcClient(stream, new RpcClientOptions { CallTimeout = callTimeout, ReadTimeout = callTimeout }), jsonOnly);
        }

        private sealed class Connection(RpcClient client, bool jsonOnly) : IConformanceClientConnection
        {
            public async ValueTask<ClientCallOutcome> CallAsync(ClientCall call, CancellationToken cancellationToken)
            {
                if (call.RequestType == BodyType.Octets && jsonOnly) return ClientCallOutcome.Unsupported("sends MarshaledJSON request bodies only");
                try
                {
                    await using var response = call.RequestType == BodyType.Octets
                        ? await client.CallRawAsync(call.Endpoint, DataType.Octets, (DataType)call.Accept, call.OpenOctets(), cancellationToken)
                        : await client.CallRawAsync(call.Endpoint, DataType.MarshaledJson, (DataType)call.Accept,
                            Encoding.UTF8.GetBytes((call.Json?.ToJsonString() ?? "null") + "\n"), cancellationToken);
                    if (!response.IsOk) return ClientCallOutcome.Status(response.Header.Error, response.Header.ErrorMessage);
                    if (call.Accept != BodyType.MarshaledJson) return await ClientCallOutcome.BodyAsync(call.Accept, response.Body, cancellationToken);
                    return ClientCallOutcome.Json(await JsonNode.ParseAsync(response.Body, cancellationToken: cancellationToken));
                }
                catch (ProtocolException e)
                {
                    return ClientCallOutcome.Error(e.Message, e.RequirementId);
                }
                catch (JsonException e)
                {
                    return ClientCallOutcome.Error(e.Message, "RPC-7");
                }
            }

            public ValueTask DisposeAsync() => client.DisposeAsync();
        }
    }

    /// <summary>Runs an action when the connection is closed.</summary>
    private sealed class OnDispose(Stream inner, Action closed) : DelegatingStream(inner)
    {
        public override ValueTask DisposeAsync()
        {
            closed();
            return base.DisposeAsync();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) closed();
            base.Dispose(disposing);
        }
    }

    /// <summary>Every frame header read through it has its length field byte-swapped (big-endian), as a server that breaks FRAME-1 sends it.</summary>
    private sealed class ByteSwappedLengths(Stream inner) : DelegatingStream(inner)
    {
        private readonly byte[] _header = new byte[6];
        private int _have;
        private int _given = 6;
        private long _payloadLeft;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty) return 0;
            if (_given < 6) return Give(buffer.Span);
            if (_payloadLeft > 0)
            {
                var n = await Inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _payloadLeft)], cancellationToken);
                _payloadLeft -= n;
                return n;
            }

            while (_have < 6)
            {
                var n = await Inner.ReadAsync(_header.AsMemory(_have), cancellationToken);
                if (n == 0) return 0;
                _have += n;
            }

            _payloadLeft = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(2));
            _header.AsSpan(2, 4).Reverse();
            _have = 0;
            _given = 0;
            return Give(buffer.Span);
        }

        private int Give(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, 6 - _given);
            _header.AsSpan(_given, n).CopyTo(buffer);
            _given += n;
            return n;
        }
    }

    private abstract class DelegatingStream(Stream inner) : Stream
    {
        protected Stream Inner => inner;
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override void Flush() => inner.Flush();
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override ValueTask DisposeAsync() => inner.DisposeAsync();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
