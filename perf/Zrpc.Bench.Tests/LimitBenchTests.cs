using System.Text.Json;
using NUnit.Framework;

namespace Zrpc.Bench.Tests;

/// <summary>
/// The limit and startup commands as a harness: a tiny run has every row, each row's ratio is its
/// run against the native copies around it, and other implementations join through
/// --peer-server and --peer-call. No figure is held to a threshold: timings here are noise.
/// </summary>
[TestFixture, Category("slow")]
public class LimitBenchTests
{
    private static string Root => Zrpc.Bench.Capture.ToolBench.RepositoryRoot();

    [Test]
    public void Peer_options_want_a_name_and_a_command()
    {
        var o = BenchOptions.Parse(["limit", "--peer-server", "py=python3 server.py --listen {address}", "--peer-call", "go=client {address} {endpoint}"]);
        Assert.That(o.PeerServers, Is.EqualTo(new[] { ("py", "python3 server.py --listen {address}") }));
        Assert.That(o.PeerCalls.Select(p => (p.Name, p.Command)), Is.EqualTo(new[] { ("go", "client {address} {endpoint}") }));
        Assert.That(o.PeerCalls[0].Endpoints, Is.EqualTo(new[] { "Source", "Sink" }), "a client makes both calls unless told otherwise");
        var e = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["limit", "--peer-server", "no-name-here"]));
        Assert.That(e!.Message, Does.Contain("NAME=COMMAND"));
    }

    [Test]
    public void A_peer_client_can_be_limited_to_the_calls_it_can_make()
    {
        var o = BenchOptions.Parse(["limit", "--peer-call", "go2017:Source=client {address} {endpoint} {length} {file}", "--peer-call", "py:Sink,Source=py {address}"]);
        Assert.That(o.PeerCalls[0].Name, Is.EqualTo("go2017"));
        Assert.That(o.PeerCalls[0].Command, Is.EqualTo("client {address} {endpoint} {length} {file}"));
        Assert.That(o.PeerCalls[0].Endpoints, Is.EqualTo(new[] { "Source" }));
        Assert.That(o.PeerCalls[1].Endpoints, Is.EqualTo(new[] { "Sink", "Source" }));
        foreach (var bad in new[] { "go:Echo=client", "go:=client", ":Source=client", "go:Source,Source=client" })
        {
            var e = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["limit", "--peer-call", bad]), bad);
            Assert.That(e!.Message, Does.Contain("NAME[:CALLS]=COMMAND"), bad);
        }
    }

    [Test, CancelAfter(300_000)]
    public async Task A_tiny_limit_run_divides_every_row_by_the_native_copies_around_it(CancellationToken ct)
    {
        string python = Path.Combine(Root, "conformance", "examples", "python", "zrpc_server.py");
        string zrpc = Path.Combine(Root, "reference", "Zrpc.Cli", "bin", "Release", "net10.0", "Zrpc.Cli");
        Assume.That(File.Exists(zrpc), "the Release build of zrpc");
        // A peer client: zrpc itself behind a shell, which shows that every placeholder reaches the command.
        string peerCall = $$"""sh -c 'if [ "$0" = Source ]; then exec {{zrpc}} call Source -c "$1" --json "{\"length\":$2}" --octets-out /dev/null; else exec {{zrpc}} call Sink -c "$1" --octets-in "$3"; fi' {endpoint} {address} {length} {file}""";
        string json = Path.Combine(Path.GetTempPath(), $"zrpc-bench-limit-{Guid.NewGuid():N}.json");
        var options = BenchOptions.Parse(["limit", "--bytes", "2M", "--runs", "2", "--transports", "tcp", "--warm-up", "0", "--out", json,
            "--peer-server", $"python=python3 {python} --listen {{address}} --quiet", "--peer-call", $"shell={peerCall}",
            // A client and a server under one name make a row of their own; the client here makes Source only.
            "--peer-server", $"twin={zrpc} serve --listen {{address}} --quiet", "--peer-call", $"twin:Source={peerCall}"]);
        try
        {
            var report = await new Runner(options, TextWriter.Null).RunAsync(ct);
            ReportWriter.Save(report, options.Output);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json, ct));
            var rows = doc.RootElement.GetProperty("limits").EnumerateArray().ToArray();
            var names = rows.Select(r => (r.GetProperty("name").GetString(), r.GetProperty("kind").GetString(), r.GetProperty("direction").GetString())).ToList();

            var expected = new List<(string?, string?, string?)> { ("zcopy (C)", "native", "-") };
            if (Zrpc.Bench.Limits.NativeCopy.Iperf3 is not null) expected.Add(("iperf3", "native", "-"));
            expected.Add((".NET raw copy", "in-process", "-"));
            foreach (var (name, kind) in new[]
            {
                ("library client + library server", "2 processes"), ("zrpc call + zrpc serve", "2 processes"),
                ("library client + python server", "2 processes"), ("library client + twin server", "2 processes"),
                ("shell client + zrpc serve", "2 processes"), ("twin client + zrpc serve", "2 processes"),
                ("twin client + twin server", "2 processes"), ("library client + library server", "in-process"),
            })
            {
                expected.Add((name, kind, "Source"));
                if (!name.StartsWith("twin client", StringComparison.Ordinal)) expected.Add((name, kind, "Sink"));
            }

            Assert.That(names, Is.EqualTo(expected));

            var native = rows[0].GetProperty("runsGiBps").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.That(native, Has.Length.EqualTo(3), "two repetitions and one closing copy");
            Assert.That(native, Has.All.GreaterThan(0));
            foreach (var row in rows.Skip(1))
            {
                var runs = row.GetProperty("runsGiBps").EnumerateArray().Select(x => x.GetDouble()).ToArray();
                var ratios = row.GetProperty("runRatios").EnumerateArray().Select(x => x.GetDouble()).ToArray();
                Assert.That(ratios, Is.EqualTo(new[] { runs[0] / Math.Sqrt(native[0] * native[1]), runs[1] / Math.Sqrt(native[1] * native[2]) }).Within(1e-9),
                    $"{row.GetProperty("name")} {row.GetProperty("direction")}");
            }

            // Every row of the Conformance Test Service is also given against zrpc call + zrpc serve of the same call, run by run.
            double[] Runs(JsonElement row) => row.GetProperty("runsGiBps").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            foreach (var row in rows)
            {
                string name = row.GetProperty("name").GetString()!, direction = row.GetProperty("direction").GetString()!;
                var ratio = row.GetProperty("ratioToZrpc");
                if (row.GetProperty("service").GetString() != "conformance" || name == "zrpc call + zrpc serve")
                {
                    Assert.That(ratio.GetString(), Is.EqualTo("NaN"), $"{name} {direction}");
                    continue;
                }

                var zrpcRuns = Runs(rows.Single(r => r.GetProperty("name").GetString() == "zrpc call + zrpc serve" && r.GetProperty("direction").GetString() == direction));
                var own = Runs(row);
                double[] each = [own[0] / zrpcRuns[0], own[1] / zrpcRuns[1]];
                Assert.That(ratio.GetDouble(), Is.EqualTo(each.Average()).Within(1e-9), $"{name} {direction}: the median of two runs");
            }

            // A client process's start-up is measured and taken off its runs; the library's own client needs none.
            foreach (var row in rows)
            {
                string name = row.GetProperty("name").GetString()!;
                var startup = row.GetProperty("startupSecondsSubtracted");
                bool processPerCall = name is "zrpc call + zrpc serve" or "shell client + zrpc serve" or "twin client + zrpc serve" or "twin client + twin server";
                Assert.That(startup.ValueKind == JsonValueKind.Number && startup.GetDouble() > 0, Is.EqualTo(processPerCall), name);
            }

            Assert.That(ReportWriter.ToTable(report), Does.Contain("| zrpc call + zrpc serve | 2 processes | conformance | Source |"));
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Test, CancelAfter(180_000)]
    public async Task A_limit_run_over_unix_sockets_removes_the_socket_files_it_gave_its_servers(CancellationToken ct)
    {
        Assume.That(File.Exists(Path.Combine(Root, "reference", "Zrpc.Cli", "bin", "Release", "net10.0", "Zrpc.Cli")), "the Release build of zrpc");
        string[] Left() => Directory.GetFiles(Path.GetTempPath(), $"zrpc-bench-{Environment.ProcessId}-*.sock");
        var options = BenchOptions.Parse(["limit", "--bytes", "1M", "--runs", "1", "--transports", "unix", "--warm-up", "0"]);
        var report = await new Runner(options, TextWriter.Null).RunAsync(ct);
        Assert.That(report.Limits.Select(r => r.Name), Does.Contain("zrpc call + zrpc serve"), "the servers ran");
        Assert.That(Left(), Is.Empty, "the servers are stopped, so the bench removes their sockets");
    }

    [Test, CancelAfter(120_000)]
    public async Task Startup_times_every_short_command_end_to_end(CancellationToken ct)
    {
        // Not the single-file build: build/artifacts.sh may be writing it while the tests run.
        // Nor the installed tools or the AOT build. In their place, a folder holding the
        // framework-dependent executables under the AOT build's names stands for an AOT build: it
        // must get rows of its own with its executables' sizes, and the same folder stands for the
        // tool path of the native packages.
        string none = Path.Combine(Path.GetTempPath(), "zrpc-no-such-build");
        string standIn = Directory.CreateTempSubdirectory("zrpc-startup-aot-").FullName;
        try
        {
            string bin(string project, string name) => Path.Combine(Root, project, "bin", "Release", "net10.0", name);
            string zrpc = bin(Path.Combine("reference", "Zrpc.Cli"), "Zrpc.Cli"), dump = bin(Path.Combine("tools", "frame-dump", "FrameDump"), "frame-dump");
            File.CreateSymbolicLink(Path.Combine(standIn, "zrpc"), zrpc);
            File.CreateSymbolicLink(Path.Combine(standIn, "frame-dump"), dump);

            var options = BenchOptions.Parse(["startup", "--runs", "2", "--single", none, "--tools", none, "--aot", standIn, "--native-tools", standIn]);
            var report = await new Runner(options, TextWriter.Null).RunAsync(ct);
            var expected = new[] { "zrpc call Echo", "zrpc --version", "frame-dump --version" };
            Assert.That(report.Startup.Where(s => s.Build == "framework-dependent").Select(s => s.Command), Is.EqualTo(expected));
            Assert.That(report.Startup.Where(s => s.Build == "Native AOT").Select(s => s.Command), Is.EqualTo(expected));
            Assert.That(report.Startup.Where(s => s.Build == "dotnet tool, native package").Select(s => s.Command), Is.EqualTo(expected));
            Assert.That(report.Startup.Select(s => s.Build).Distinct(), Is.EqualTo(new[] { "native", "framework-dependent", "Native AOT", "dotnet tool, native package" }));
            Assert.That(report.Startup[0].Command, Is.EqualTo("/bin/true"));
            Assert.That(report.Startup.Select(s => s.RunsMilliseconds.Length), Has.All.EqualTo(2));
            Assert.That(report.Startup, Has.All.Matches<StartupResult>(s => s is { } r && r.MinMilliseconds > 0 && r.MinMilliseconds <= r.MedianMilliseconds && r.MedianMilliseconds <= r.MaxMilliseconds));

            // Sizes: an executable's own length (a link is followed); a framework-dependent build's folder.
            var aotZrpc = report.Startup.Single(s => s.Build == "Native AOT" && s.Command == "zrpc --version");
            Assert.That(aotZrpc.Bytes, Is.EqualTo(new FileInfo(zrpc).Length));
            var fdZrpc = report.Startup.Single(s => s.Build == "framework-dependent" && s.Command == "zrpc --version");
            Assert.That(fdZrpc.Bytes, Is.GreaterThan(new FileInfo(Path.ChangeExtension(zrpc, ".dll")).Length));
            Assert.That(report.Startup[0].Bytes, Is.Null);
            Assert.That(report.Startup.Where(s => s.Build == "dotnet tool, native package").Select(s => s.Bytes), Has.All.Null, "a tool path is not sized");

            string table = ReportWriter.ToTable(report);
            Assert.That(table, Does.Contain("| framework-dependent | zrpc call Echo |"));
            Assert.That(table, Does.Contain("| Native AOT | frame-dump --version |"));
            Assert.That(table, Does.Contain("| Size MiB |"));
        }
        finally
        {
            Directory.Delete(standIn, recursive: true);
        }
    }
}
