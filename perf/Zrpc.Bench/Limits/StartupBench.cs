using System.Globalization;
using Zrpc.Transport;

namespace Zrpc.Bench.Limits;

/// <summary>
/// The <c>startup</c> command: the wall time of short commands end to end (process start,
/// connection, one call, exit), as a user or a script runs them, for each build of the tools that
/// is present: the framework-dependent build (as <c>dotnet tool install</c> runs it) and the
/// self-contained single-file executables of <c>build/artifacts.sh</c>; <c>/bin/true</c> gives the
/// machine's floor for starting a process.
/// </summary>
public sealed class StartupBench(BenchOptions options, TextWriter log, string repositoryRoot)
{
    public async Task RunAsync(BenchReport report, CancellationToken ct)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string Bin(string project, string name) => Path.Combine(repositoryRoot, project, "bin", configuration, "net10.0", name);
        string single = options.SingleFileDirectory ?? Path.Combine(repositoryRoot, "artifacts", "single", "linux-x64");

        var builds = new List<(string Build, string Zrpc, string FrameDump)>
        {
            ("framework-dependent", Bin(Path.Combine("reference", "Zrpc.Cli"), "Zrpc.Cli"), Bin(Path.Combine("tools", "frame-dump", "FrameDump"), "frame-dump")),
        };
        if (File.Exists(Path.Combine(single, "Zrpc.Cli")))
        {
            builds.Add(("self-contained single file", Path.Combine(single, "Zrpc.Cli"), Path.Combine(single, "frame-dump")));
        }
        else
        {
            log.WriteLine($"{single} has no single-file build (build/artifacts.sh makes one): measuring the framework-dependent build only");
        }

        int port = Processes.FreeTcpPort();
        var address = TransportAddress.Tcp("127.0.0.1", port).ToString();
        using var server = Processes.Start(builds[0].Zrpc, ["serve", "--listen", address, "--quiet"]);
        try
        {
            await Processes.WaitForTcpAsync(port, server, ct);
            var commands = new List<(string Build, string Command, string File, string[] Args)>
            {
                ("native", "/bin/true", "/bin/true", []),
            };
            foreach (var b in builds)
            {
                commands.Add((b.Build, "zrpc call Echo", b.Zrpc, ["call", "Echo", "-c", address, "--json", "{}"]));
                commands.Add((b.Build, "zrpc --version", b.Zrpc, ["--version"]));
                commands.Add((b.Build, "frame-dump --version", b.FrameDump, ["--version"]));
            }

            foreach (var (name, command, _) in options.PeerCalls)
            {
                var words = TransportAddress.SplitCommandLine(command).Select(w => w
                    .Replace("{address}", address, StringComparison.Ordinal)
                    .Replace("{endpoint}", "Echo", StringComparison.Ordinal)
                    .Replace("{length}", "0", StringComparison.Ordinal)
                    .Replace("{file}", "/dev/null", StringComparison.Ordinal)).ToArray();
                commands.Add((name, $"{name} Echo", words[0], words[1..]));
            }

            int runs = options.Runs;
            foreach (var c in commands)
            {
                await Processes.RunAsync(c.File, c.Args, ct); // the page cache, not the command, is warmed
                var times = new List<double>();
                for (int i = 0; i < runs; i++)
                {
                    var run = await Processes.RunAsync(c.File, c.Args, ct);
                    if (run.ExitCode != 0) throw new IOException($"{c.File} {string.Join(' ', c.Args)} exited {run.ExitCode}: {run.Stderr}");
                    times.Add(run.Seconds * 1000);
                }

                var sorted = times.Order().ToArray();
                var result = new StartupResult(c.Build, c.Command, Stats.Median(times), sorted[0], sorted[^1], times.ToArray());
                report.Startup.Add(result);
                log.WriteLine($"start  {c.Build,-27} {c.Command,-22} median {result.MedianMilliseconds,7:0.0} ms  min {result.MinMilliseconds:0.0}  max {result.MaxMilliseconds:0.0}");
            }
        }
        finally
        {
            Processes.Stop(server);
        }
    }
}
