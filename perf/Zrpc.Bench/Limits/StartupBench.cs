using Zrpc.Transport;

namespace Zrpc.Bench.Limits;

/// <summary>
/// The <c>startup</c> command: the wall time of short commands end to end (process start,
/// connection, one call, exit), as a user or a script runs them, for each build of the tools that
/// is present: the framework-dependent build in bin/ (compiled by the JIT as it runs), the tools
/// installed from the packages, the self-contained single-file executables, the Native AOT
/// executables of <c>build/artifacts.sh</c> and the tools installed from its native packages; <c>/bin/true</c> gives the machine's floor for
/// starting a process.
/// </summary>
public sealed class StartupBench(BenchOptions options, TextWriter log, string repositoryRoot)
{
    public async Task RunAsync(BenchReport report, CancellationToken ct)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string Bin(string project, string name) => Path.Combine(repositoryRoot, project, "bin", configuration, "net10.0", name);

        string artifacts = Path.Combine(repositoryRoot, "artifacts");
        string single = options.SingleFileDirectory ?? Path.Combine(artifacts, "single", "linux-x64");
        string aot = options.AotDirectory ?? Path.Combine(artifacts, "aot", "linux-x64");
        string tools = options.ToolDirectory ?? Path.Combine(artifacts, "tools");
        string nativeTools = options.NativeToolDirectory ?? Path.Combine(artifacts, "native-tools");

        string zrpcBin = Bin(Path.Combine("reference", "Zrpc.Cli"), "Zrpc.Cli");
        string dumpBin = Bin(Path.Combine("tools", "frame-dump", "FrameDump"), "frame-dump");
        var builds = new List<Build>
        {
            new("framework-dependent", zrpcBin, dumpBin, DirectoryBytes(Path.GetDirectoryName(zrpcBin)!), DirectoryBytes(Path.GetDirectoryName(dumpBin)!)),
        };
        AddIfPresent("dotnet tool", tools, "zrpc", "frame-dump", "build/artifacts.sh installs one", sized: false);
        AddIfPresent("self-contained single file", single, "Zrpc.Cli", "frame-dump", "build/artifacts.sh makes one", sized: true);
        AddIfPresent("Native AOT", aot, "zrpc", "frame-dump", "build/artifacts.sh --aot makes one", sized: true);
        AddIfPresent("dotnet tool, native package", nativeTools, "zrpc", "frame-dump", "build/artifacts.sh --aot installs one", sized: false);

        void AddIfPresent(string name, string directory, string zrpc, string frameDump, string hint, bool sized)
        {
            string z = Path.Combine(directory, zrpc), d = Path.Combine(directory, frameDump);
            if (File.Exists(z) && File.Exists(d))
            {
                builds.Add(new(name, z, d, sized ? FileBytes(z) : null, sized ? FileBytes(d) : null));
            }
            else
            {
                log.WriteLine($"{directory} has no {name} build of zrpc and frame-dump ({hint}): not measured");
            }
        }

        int port = Processes.FreeTcpPort();
        var address = TransportAddress.Tcp("127.0.0.1", port).ToString();
        using var server = Processes.Start(zrpcBin, ["serve", "--listen", address, "--quiet"]);
        try
        {
            await Processes.WaitForTcpAsync(port, server, ct);
            var commands = new List<(string Build, string Command, string File, string[] Args, long? Bytes)>
            {
                ("native", "/bin/true", "/bin/true", [], null),
            };
            foreach (var b in builds)
            {
                commands.Add((b.Name, "zrpc call Echo", b.Zrpc, ["call", "Echo", "-c", address, "--json", "{}"], b.ZrpcBytes));
                commands.Add((b.Name, "zrpc --version", b.Zrpc, ["--version"], b.ZrpcBytes));
                commands.Add((b.Name, "frame-dump --version", b.FrameDump, ["--version"], b.FrameDumpBytes));
            }

            foreach (var (name, command, _) in options.PeerCalls)
            {
                var words = TransportAddress.SplitCommandLine(command).Select(w => w
                    .Replace("{address}", address, StringComparison.Ordinal)
                    .Replace("{endpoint}", "Echo", StringComparison.Ordinal)
                    .Replace("{length}", "0", StringComparison.Ordinal)
                    .Replace("{file}", "/dev/null", StringComparison.Ordinal)).ToArray();
                commands.Add((name, $"{name} Echo", words[0], words[1..], null));
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
                var result = new StartupResult(c.Build, c.Command, Stats.Median(times), sorted[0], sorted[^1], times.ToArray()) { Bytes = c.Bytes };
                report.Startup.Add(result);
                log.WriteLine($"start  {c.Build,-27} {c.Command,-22} median {result.MedianMilliseconds,7:0.0} ms  min {result.MinMilliseconds:0.0}  max {result.MaxMilliseconds:0.0}");
            }
        }
        finally
        {
            Processes.Stop(server);
        }
    }

    private static long FileBytes(string path)
    {
        var file = new FileInfo(path);
        return (file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? file).Length;
    }

    /// <summary>What a framework-dependent build ships beside the shared framework: the files of its folder but symbols.</summary>
    private static long DirectoryBytes(string directory) => Directory.Exists(directory)
        ? new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.TopDirectoryOnly).Where(f => f.Extension != ".pdb").Sum(f => f.Length)
        : 0;

    /// <summary>One build of both tools; sizes are null where the files are not the build's own (a tool shim).</summary>
    private sealed record Build(string Name, string Zrpc, string FrameDump, long? ZrpcBytes, long? FrameDumpBytes);
}
