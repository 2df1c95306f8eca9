using System.Diagnostics;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Zrpc.Conformance.Reporting;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Tests.Suite;

/// <summary>
/// The implementations the NUnit suite runs against: the built-in reference server; the zrpc CLI
/// over each adapter (exec:, unix://, tcp:// with its default of threads of their own for the first
/// connections, and tcp:// with --connection-threading async); the independent Python example over exec: and
/// tcp://; plus every entry of the environment variable ZRPC_TARGETS (semicolon-separated target
/// strings, e.g. <c>tcp://127.0.0.1:9000</c>). ZRPC_SUITE_TARGETS=reference limits the built-in set.
/// </summary>
public static class SuiteTargets
{
    public const string Reference = "reference";
    public const string EnvironmentVariable = "ZRPC_TARGETS";
    public const string BuiltInVariable = "ZRPC_SUITE_TARGETS";

    /// <summary>
    /// Every adapter once with the reference (in-process, exec:, unix://, tcp://, tcp:// with
    /// asynchronous reads only) and the Python example over tcp://. Also known, and run when named in
    /// ZRPC_SUITE_TARGETS: python-example-exec (the Python example's stdio mode; the shipped-artefact
    /// checks run the installed runner against it over exec:).
    /// </summary>
    static readonly string[] BuiltIn = [Reference, "zrpc-cli-exec", "zrpc-cli-unix", "zrpc-cli-tcp", "zrpc-cli-tcp-async", "python-example-tcp"];

    public static IEnumerable<string> All()
    {
        var only = Environment.GetEnvironmentVariable(BuiltInVariable);
        var builtIn = string.IsNullOrWhiteSpace(only) ? BuiltIn : only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in builtIn) yield return name;
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(configured)) yield break;
        foreach (var target in configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            yield return target;
    }

    /// <summary>
    /// The built-in targets that also run in profile fa4d209 by default: each implementation once
    /// (the reference in-process, the Python example over TCP). The
    /// profile shares the transports' code with 6ab05ee, which every built-in target runs, and the
    /// whole matrix in both profiles would double the suite's time; ZRPC_SUITE_TARGETS runs the
    /// targets it names in both profiles.
    /// </summary>
    static readonly string[] SecondProfileBuiltIn = [Reference, "python-example-tcp"];

    /// <summary>Every target of <see cref="All"/> in 6ab05ee, and in fa4d209 the ones of <see cref="SecondProfileBuiltIn"/> (or all named by ZRPC_SUITE_TARGETS) and every configured one.</summary>
    public static IEnumerable<TestFixtureData> AllWithProfiles()
    {
        bool chosen = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(BuiltInVariable));
        foreach (var profile in KitProfiles.Names)
        {
            foreach (var target in All())
            {
                bool builtIn = BuiltIn.Contains(target);
                if (profile == KitProfiles.Names.First() || chosen || !builtIn || SecondProfileBuiltIn.Contains(target))
                {
                    yield return new TestFixtureData(target, profile);
                }
            }
        }
    }

    /// <summary>Starts what a built-in target needs and returns the target string to test.</summary>
    public static async Task<(string Target, IAsyncDisposable? Server)> ResolveAsync(string name, KitProfile profile = KitProfile.P6ab05ee)
    {
        string[] p = profile == KitProfile.P6ab05ee ? [] : ["--profile", profile.Name()];
        var ps = p.Length == 0 ? "" : " " + string.Join(' ', p);
        var root = RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("Conformance.sln not found above the test assembly");
        var cli = Path.Combine(AppContext.BaseDirectory, "Zrpc.Cli.dll");
        var python = Path.Combine(root, "conformance", "examples", "python", "zrpc_server.py");
        switch (name)
        {
            case "zrpc-cli-exec":
                return ($"exec:dotnet {cli} serve --listen stdio --read-timeout 5{ps}", null);
            case "zrpc-cli-unix":
                var socket = Path.Combine(Path.GetTempPath(), $"zrpc-suite-{Environment.ProcessId}-{profile.Name()}.sock");
                var unix = await ServerProcess.StartAsync("dotnet", [cli, "serve", "--listen", "unix://" + socket, "--read-timeout", "5", .. p]);
                return ("unix://" + socket, unix);
            case "zrpc-cli-tcp":
                var cliTcp = await ServerProcess.StartAsync("dotnet", [cli, "serve", "--listen", "tcp://127.0.0.1:0", "--read-timeout", "5", .. p]);
                return (cliTcp.Address, cliTcp);
            case "zrpc-cli-tcp-async":
                var asyncReads = await ServerProcess.StartAsync("dotnet", [cli, "serve", "--listen", "tcp://127.0.0.1:0", "--read-timeout", "5", "--connection-threading", "async", .. p]);
                return (asyncReads.Address, asyncReads);
            case "python-example-exec":
                return ($"exec:python3 {python} --listen stdio --read-timeout 5{ps}", null);
            case "python-example-tcp":
                var tcp = await ServerProcess.StartAsync("python3", [python, "--listen", "tcp://127.0.0.1:0", "--read-timeout", "5", .. p]);
                return (tcp.Address, tcp);
            default:
                return (name, null);
        }
    }
}

/// <summary>A server started for the suite; it announces "listening on ADDRESS" on stderr.</summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    readonly Process _process;

    ServerProcess(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    public string Address { get; }

    [GeneratedRegex(@"listening on (\S+)")]
    private static partial Regex Listening();

    public static async Task<ServerProcess> StartAsync(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<string>();
        while (true)
        {
            var line = await process.StandardError.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"{program} ended before listening: {string.Join(" | ", seen)}");
            seen.Add(line);
            var match = Listening().Match(line);
            if (!match.Success) continue;
            // Keep draining stderr so the server never blocks on a full pipe.
            _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
            return new ServerProcess(process, match.Groups[1].Value);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
