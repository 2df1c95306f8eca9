using System.Text.Json;
using NUnit.Framework;

namespace Zrpc.Bench.Tests;

/// <summary>
/// The benchmark harness itself: that a tiny run through one transport produces a
/// well-formed report. No figure is asserted against a threshold: timings on a shared machine are noise.
/// </summary>
[TestFixture]
public class BenchHarnessTests
{
    [Test]
    public void Sizes_accept_binary_suffixes_and_quick_shrinks_the_default()
    {
        Assert.That(BenchOptions.Parse(["all", "--bytes", "4G"]).Bytes, Is.EqualTo(4L << 30));
        Assert.That(BenchOptions.Parse(["raw", "--bytes", "3MiB"]).Bytes, Is.EqualTo(3L << 20));
        Assert.That(BenchOptions.Parse(["stream"]).Bytes, Is.EqualTo(1L << 30));
        Assert.That(BenchOptions.Parse(["calls", "--quick"]).Bytes, Is.EqualTo(256L << 20));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["all", "--transports", "carrier-pigeon"]));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["everything"]));
    }

    [Test, CancelAfter(60_000)]
    public async Task A_tiny_run_over_tcp_writes_a_report_with_every_section(CancellationToken ct)
    {
        string json = Path.Combine(Path.GetTempPath(), $"zrpc-bench-test-{Guid.NewGuid():N}.json");
        var options = BenchOptions.Parse(["all", "--bytes", "3M", "--runs", "1", "--duration", "0.05",
            "--transports", "tcp", "--concurrency", "1,2", "--capture-bytes", "3M", "--no-suite", "--warm-up", "0", "--out", json]);
        try
        {
            var report = await new Runner(options, TextWriter.Null).RunAsync(ct);
            ReportWriter.Save(report, options.Output);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json, ct));
            var root = doc.RootElement;

            var machine = root.GetProperty("machine");
            Assert.That(machine.GetProperty("cpu").GetString(), Is.Not.Empty);
            Assert.That(machine.GetProperty("cores").GetInt32(), Is.EqualTo(Environment.ProcessorCount));
            Assert.That(machine.GetProperty("dotnet").GetString(), Is.EqualTo(Environment.Version.ToString()));
            Assert.That(root.GetProperty("bytesPerTransfer").GetInt64(), Is.EqualTo(3L << 20));

            var raw = root.GetProperty("raw").EnumerateArray().Single();
            Assert.That(raw.GetProperty("transport").GetString(), Is.EqualTo("tcp"));
            Assert.That(raw.GetProperty("giBps").GetDouble(), Is.GreaterThan(0));

            // Null service and Conformance Test Service, each Source and Sink.
            var stream = root.GetProperty("stream").EnumerateArray().ToArray();
            Assert.That(stream.Select(s => (s.GetProperty("service").GetString(), s.GetProperty("direction").GetString())),
                Is.EquivalentTo(new[] { ("null", "Source"), ("null", "Sink"), ("conformance", "Source"), ("conformance", "Sink") }));
            // One repetition: each service's protocol runs sit between two raw copies of their own and
            // are compared with their geometric mean; the raw table shows the null service's copies.
            Assert.That(raw.GetProperty("runsGiBps").EnumerateArray().Count(), Is.EqualTo(2));
            Assert.That(raw.GetProperty("warmUpRounds").GetInt32(), Is.EqualTo(1), "--warm-up 0 still makes one round");
            foreach (var s in stream)
            {
                var around = s.GetProperty("rawRunsGiBps").EnumerateArray().Select(r => r.GetDouble()).ToArray();
                Assert.That(around, Has.Length.EqualTo(2));
                if (s.GetProperty("service").GetString() == "null")
                {
                    Assert.That(around, Is.EqualTo(raw.GetProperty("runsGiBps").EnumerateArray().Select(r => r.GetDouble())));
                }

                double ratio = s.GetProperty("ratioToRaw").GetDouble();
                Assert.That(ratio, Is.EqualTo(s.GetProperty("giBps").GetDouble() / Math.Sqrt(around[0] * around[1])).Within(1e-9));
                // One run: its ratio is the whole middle half.
                Assert.That(s.GetProperty("runRatios").EnumerateArray().Select(r => r.GetDouble()), Is.EqualTo(new[] { ratio }).Within(1e-9));
                Assert.That((s.GetProperty("ratioLow").GetDouble(), s.GetProperty("ratioHigh").GetDouble()), Is.EqualTo((ratio, ratio)));
                Assert.That(s.GetProperty("methodsJitted").EnumerateArray().Count(), Is.EqualTo(1));
                Assert.That(s.GetProperty("allocatedPerGiB").GetDouble(), Is.GreaterThanOrEqualTo(0));
            }

            // Ping-pong with asynchronous reads and with a blocked thread per connection; Echo in every
            // way of waiting at either end, at each number of connections.
            var pings = root.GetProperty("pingPong").EnumerateArray().ToArray();
            Assert.That(pings.Select(p => p.GetProperty("mode").GetString()), Is.EqualTo(new[] { "async", "blocking" }));
            Assert.That(pings.Select(p => p.GetProperty("roundTripsPerSecond").GetDouble()), Has.All.GreaterThan(0));
            var calls = root.GetProperty("calls").EnumerateArray().ToArray();
            Assert.That(calls.Select(c => (c.GetProperty("mode").GetString(), c.GetProperty("connections").GetInt32())),
                Is.EqualTo(new[] { 1, 2 }.SelectMany(n => new[] { "async", "auto", "thread-server", "blocking-client", "blocking" }.Select(m => ((string?)m, n)))));
            foreach (var s in stream)
            {
                Assert.That(s.GetProperty("steadyAllocatedPerGiB").GetDouble(), Is.GreaterThanOrEqualTo(0), "allocation after the first quarter is measured");
            }

            foreach (var c in calls)
            {
                Assert.That(c.GetProperty("callsPerSecond").GetDouble(), Is.GreaterThan(0));
                Assert.That(c.GetProperty("p50Microseconds").GetDouble(), Is.LessThanOrEqualTo(c.GetProperty("p99Microseconds").GetDouble()));
            }

            // frame-dump read the synthesized capture (its summary is checked against what was written).
            var capture = root.GetProperty("capture");
            Assert.That(capture.GetProperty("fileBytes").GetInt64(), Is.GreaterThanOrEqualTo(3L << 20));
            Assert.That(capture.GetProperty("calls").GetInt64(), Is.GreaterThan(0));
            var dump = root.GetProperty("dump").EnumerateArray().ToArray();
            Assert.That(dump.Where(d => d.GetProperty("tool").GetString() == "frame-dump").Select(d => d.GetProperty("mode").GetString()),
                Is.EquivalentTo(new[] { "--summary", "text listing" }));
            foreach (var d in dump)
            {
                Assert.That(d.GetProperty("mBps").GetDouble(), Is.GreaterThan(0));
                Assert.That(d.GetProperty("peakRssBytes").GetInt64(), Is.GreaterThan(0), $"{d.GetProperty("tool")} {d.GetProperty("mode")}: peak memory sampled");
            }

            Assert.That(root.GetProperty("suite").ValueKind, Is.EqualTo(JsonValueKind.Null), "--no-suite");
            Assert.That(root.GetProperty("peakWorkingSetBytes").GetInt64(), Is.GreaterThan(0));
            string table = ReportWriter.ToTable(report);
            Assert.That(table, Does.Contain("| tcp | null | Source |").And.Contain("Echo calls/s"));
        }
        finally
        {
            File.Delete(json);
        }
    }
}
