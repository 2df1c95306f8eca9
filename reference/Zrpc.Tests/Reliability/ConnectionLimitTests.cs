using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using Zrpc.Rpc;

namespace Zrpc.Tests.Reliability;

/// <summary>
/// Hostile clients up to the connection limit. What the reference server does, and
/// what this test holds it to:
/// <list type="bullet">
/// <item>At <see cref="RpcServerOptions.MaxConnections"/> it neither queues nor waits: a connection
/// accepted beyond the limit is closed at once, without a byte, and logged.</item>
/// <item>Its read timeout (CONN-5) bounds each read inside an incomplete frame or message, and a
/// whole Header message from its first byte: a sender that trickles one byte a second holds its
/// slot for one read timeout at most, though none of its reads ever times out.</item>
/// <item>A client that never speaks is ended by the idle timeout (CONN-6), one that stops mid-frame
/// by the read timeout, one that announces more than 4 MiB at once (FRAME-6).</item>
/// </list>
/// Normal clients that hold the remaining slots keep getting verified answers, with latencies
/// compared (generously) with a baseline measured in the same test.
/// </summary>
[Category("Reliability"), Category("TRANS-2"), Category("TRANS-3"), Category("CONN-5"), Category("CONN-6"), Category("FRAME-6")]
public sealed class ConnectionLimitTests
{
    const int Limit = 12;
    const int Normal = 4;
    const int QuickHostile = 3; // never speaks, stops mid-frame, oversize length
    const int BaselineCalls = 8;
    // Long enough that the slow senders, all started within a second, still hold their slots
    // while the test checks that the server is full, on a loaded machine too.
    static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(8);
    static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(6);
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>A slow-loris client: a Header frame one byte a second until told to stall, then silence.</summary>
    sealed class SlowSender : IAsyncDisposable
    {
        readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp);
        readonly CancellationTokenSource _stall = new();
        readonly Stopwatch _clock = Stopwatch.StartNew();
        Task<string> _cutOff = null!;
        Task _trickle = null!;

        public int BytesSent { get; private set; }
        public TimeSpan? StalledAt { get; private set; }
        public TimeSpan? CutOffAt { get; private set; }
        public string Outcome => _cutOff.IsCompleted ? _cutOff.Result : "still open";
        public bool IsCutOff => _cutOff.IsCompleted && _cutOff.Result.StartsWith("cut off", StringComparison.Ordinal);

        public static async Task<SlowSender> StartAsync(IPEndPoint endPoint, int index)
        {
            var sender = new SlowSender();
            await sender._socket.ConnectAsync(endPoint);
            var stream = new NetworkStream(sender._socket, ownsSocket: false);
            sender._cutOff = Watch(sender, stream, $"slow sender {index}");
            sender._trickle = sender.TrickleAsync(stream);
            return sender;
        }

        static async Task<string> Watch(SlowSender sender, NetworkStream stream, string name)
        {
            var outcome = await HostileClients.AwaitCutOffAsync(stream, name, sender._clock, TimeSpan.FromMinutes(5));
            sender.CutOffAt = sender._clock.Elapsed;
            return outcome;
        }

        async Task TrickleAsync(NetworkStream stream)
        {
            // A Header frame that announces 4000 bytes (within MSG-5's 4096) and delivers them at 1 B/s.
            var bytes = HostileClients.HeaderFrameStart(4000).Concat(Encoding.ASCII.GetBytes("{\"Endpoint\":\"Echo\",\"ErrorMessage\":\"" + new string('z', 4000))).ToArray();
            try
            {
                foreach (var b in bytes)
                {
                    await stream.WriteAsync(new[] { b }, _stall.Token);
                    BytesSent++;
                    await Task.Delay(1000, _stall.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (IOException)
            {
                // Cut off while trickling: the watcher sees it too.
            }
            StalledAt = _clock.Elapsed;
        }

        public async Task AwaitCutOffAsync(TimeSpan patience)
        {
            await _cutOff.WaitAsync(patience).ContinueWith(_ => { });
            await _stall.CancelAsync();
            await _trickle;
        }

        public async ValueTask DisposeAsync()
        {
            await _stall.CancelAsync();
            _socket.Dispose();
            try { await _trickle; } catch { }
            try { await _cutOff; } catch { }
            _stall.Dispose();
        }
    }

    [Test]
    public async Task Slow_senders_fill_the_connection_limit_and_normal_clients_on_the_other_slots_are_still_served()
    {
        await using var server = LoadServer.Start(new RpcServerOptions
        {
            MaxConnections = Limit,
            ReadTimeout = ReadTimeout,
            IdleTimeout = IdleTimeout,
        });
        var endPoint = server.EndPoint;
        var clients = Enumerable.Range(0, Normal).Select(i => new LoadClient(i)).ToArray();

        // Baseline: the same clients on an otherwise empty server, on this machine, now (after a
        // first round that compiles and warms what the rest of the test uses).
        Assert.That((await Task.WhenAll(clients.Select(c => c.RunAsync(endPoint, BaselineCalls, new LatencyRecorder())))).Where(f => f is not null), Is.Empty, "warm-up calls");
        var baseline = new LatencyRecorder();
        var baselineFailures = await Task.WhenAll(clients.Select(c => c.RunAsync(endPoint, BaselineCalls, baseline)));
        Assert.That(baselineFailures.Where(f => f is not null), Is.Empty, "baseline calls");
        Assert.That(await server.WaitForAsync(s => s.Closed == s.Opened, Patience), Is.True, "baseline connections closed");

        // Slow senders take every slot but the normal clients' ones.
        var slow = new List<SlowSender>();
        await using var cleanup = new AsyncCleanup(slow);
        using var stopNormal = new CancellationTokenSource();
        var underAttack = new LatencyRecorder();
        var normal = clients.Select(c => c.RunAsync(endPoint, 0, underAttack, stopNormal.Token)).ToArray();
        for (var i = 0; i < Limit - Normal; i++)
        {
            var opened = server.Opened;
            slow.Add(await SlowSender.StartAsync(endPoint, i));
            await server.WaitForAsync(s => s.Opened > opened, Patience);
        }

        var atLimit = await server.WaitForAsync(s => s.Opened - s.Closed == Limit, Patience);
        var refusedBefore = server.Refused;
        var probeClock = Stopwatch.StartNew();
        var probe = await ProbeAsync(endPoint);
        var probeSeconds = probeClock.Elapsed.TotalSeconds;
        var refusedAtLimit = server.Refused - refusedBefore;
        var slowStillTrickling = slow.Count(s => !s.IsCutOff);

        // Still trickling, each must be cut off about one read timeout after its first byte (CONN-5).
        await Task.WhenAll(slow.Select(s => s.AwaitCutOffAsync(ReadTimeout + Patience)));

        // The other hostile kinds, beside the same normal clients.
        var quickOutcomes = await Task.WhenAll(
            HostileClients.RunAsync(endPoint, "never speaks", HostileClients.NeverSpeaks, Patience),
            HostileClients.RunAsync(endPoint, "stops mid-frame", HostileClients.StopsMidFrame, Patience),
            HostileClients.RunAsync(endPoint, "oversize length then nothing", HostileClients.OversizeLengthThenNothing, Patience)).WaitAsync(Patience);
        await stopNormal.CancelAsync();
        var normalFailures = await Task.WhenAll(normal).WaitAsync(Patience);

        // Once they are gone, a newcomer gets a slot again.
        var newcomer = await new LoadClient(Normal).RunAsync(endPoint, 4, new LatencyRecorder());

        var before = baseline.All();
        var during = underAttack.All();
        var (baseP50, baseP99) = (LatencyRecorder.Quantile(before, 0.5), LatencyRecorder.Quantile(before, 0.99));
        var (attackP50, attackP99) = (LatencyRecorder.Quantile(during, 0.5), LatencyRecorder.Quantile(during, 0.99));
        var slowOutcomes = slow.Select(s => new
        {
            bytesSent = s.BytesSent,
            trickledSeconds = Math.Round(s.StalledAt?.TotalSeconds ?? -1, 1),
            cutOffSeconds = Math.Round(s.CutOffAt?.TotalSeconds ?? -1, 1),
            cutOffWhileTrickling = s.CutOffAt is { } c && s.StalledAt is { } st && c <= st,
            outcome = s.Outcome,
        }).ToArray();
        var out_ = TestContext.Out;
        out_.WriteLine($"limit {Limit}: {Normal} normal clients, {slow.Count} slow senders (1 B/s), {QuickHostile} quick hostile clients; read timeout {ReadTimeout.TotalSeconds} s, idle timeout {IdleTimeout.TotalSeconds} s");
        out_.WriteLine($"baseline: {before.Length} calls, p50 {baseP50:0.0} ms, p99 {baseP99:0.0} ms");
        out_.WriteLine($"beside the hostile clients: {during.Length} calls, p50 {attackP50:0.0} ms, p99 {attackP99:0.0} ms");
        out_.WriteLine($"probe at the limit: {probe} after {probeSeconds:0.00} s; refusals logged {refusedAtLimit}; slow senders still trickling then {slowStillTrickling}/{slow.Count}");
        out_.WriteLine("quick hostile: " + string.Join("; ", quickOutcomes));
        foreach (var s in slowOutcomes) out_.WriteLine($"slow sender: {s.bytesSent} bytes over {s.trickledSeconds} s, {s.outcome} (cut off at {s.cutOffSeconds} s, {(s.cutOffWhileTrickling ? "while trickling" : "after it stalled")})");
        out_.WriteLine($"newcomer after the slow senders were cut off: {newcomer ?? "served, 4 verified calls"}");

        ReliabilityFigures.Write("connection-limit", new
        {
            limit = Limit,
            normalClients = Normal,
            slowSenders = slow.Count,
            quickHostile = QuickHostile,
            readTimeoutSeconds = ReadTimeout.TotalSeconds,
            idleTimeoutSeconds = IdleTimeout.TotalSeconds,
            baselineCalls = before.Length,
            baselineP50Ms = Math.Round(baseP50, 1),
            baselineP99Ms = Math.Round(baseP99, 1),
            callsBesideHostile = during.Length,
            errors = normalFailures.Count(f => f is not null),
            p50Ms = Math.Round(attackP50, 1),
            p99Ms = Math.Round(attackP99, 1),
            probeAtLimit = probe,
            refusedAtLimit,
            newcomerServed = newcomer is null,
            quickOutcomes,
            slowOutcomes,
        });

        Assert.Multiple(() =>
        {
            Assert.That(normalFailures.Where(f => f is not null), Is.Empty, "normal clients beside the hostile ones: every call verified");
            Assert.That(during.Length, Is.GreaterThanOrEqualTo(Normal), "the normal clients kept calling");
            Assert.That(quickOutcomes, Has.All.StartsWith("cut off"), "never-speaking, mid-frame and oversize clients are cut off");
            Assert.That(atLimit, Is.True, $"the server reached its limit of {Limit} connections");
            Assert.That(probe, Is.EqualTo("closed without a byte"), "a connection beyond the limit is closed at once");
            Assert.That(refusedAtLimit, Is.GreaterThanOrEqualTo(1), "and logged as refused at the limit");
            Assert.That(slowStillTrickling, Is.EqualTo(slow.Count), "the slow senders held their slots while the server was checked full");
            Assert.That(slowOutcomes.Select(s => s.outcome), Has.All.StartsWith("cut off"), "every slow sender is cut off (CONN-5)");
            Assert.That(slowOutcomes.Select(s => s.cutOffWhileTrickling), Has.All.True, "cut off while still trickling: no single read timed out, the Header message did");
            Assert.That(slowOutcomes.Select(s => s.cutOffSeconds), Has.All.GreaterThanOrEqualTo(ReadTimeout.TotalSeconds - 1).And.All.LessThan((ReadTimeout + Patience).TotalSeconds), "about one read timeout after the first byte");
            Assert.That(newcomer, Is.Null, "a slot is free again once the slow senders are gone");
            // Generous: a server that let the hostile clients hold up the others would keep calls
            // waiting for whole read timeouts; a loaded 2-core machine only adds noise.
            Assert.That(attackP99, Is.LessThan(10 * baseP99 + ReadTimeout.TotalMilliseconds), "normal calls stay within a multiple of their baseline latency");
        });
    }

    /// <summary>Connects beyond the limit: the server must close the connection without sending anything.</summary>
    static async Task<string> ProbeAsync(IPEndPoint endPoint)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var buffer = new byte[16];
        try
        {
            using var limit = new CancellationTokenSource(Patience);
            var n = await stream.ReadAsync(buffer, limit.Token);
            return n == 0 ? "closed without a byte" : $"received {n} byte(s)";
        }
        catch (IOException)
        {
            return "closed without a byte";
        }
        catch (OperationCanceledException)
        {
            return "still open";
        }
    }

    sealed class AsyncCleanup(List<SlowSender> senders) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var s in senders) await s.DisposeAsync();
        }
    }
}
