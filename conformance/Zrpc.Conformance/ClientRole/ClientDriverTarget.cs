using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Reporting;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.Transport;

namespace Zrpc.Conformance.ClientRole;

/// <summary>
/// A client under test, reached through its client driver (conformance/CLIENT-DRIVER.md): the
/// kit does not connect to it; it starts the driver per scenario, with <c>{address}</c> replaced
/// by the fake server's address, and the driver connects to the kit.
/// </summary>
public sealed class ClientDriverTarget : IClientTarget
{
    public const string AddressPlaceholder = "{address}";

    /// <summary>Target text for the reference client's driver (<c>zrpc client-driver</c>).</summary>
    public const string ReferenceClient = "reference-client";

    /// <summary>Target text prefix that selects the reference client with one deliberate defect (the kit's self-test).</summary>
    public const string DefectPrefix = "reference-client+defect:";

    private ClientDriverTarget(string text, string command, IReadOnlyList<string> arguments, string? name = null)
    {
        TargetArgument = text;
        Command = command;
        Arguments = arguments;
        Name = name ?? "client driver " + text;
    }

    public string Name { get; }

    /// <summary>The --target text (<c>exec:COMMAND ARGS</c> with <c>{address}</c>).</summary>
    public string TargetArgument { get; }

    public string Command { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>
    /// Parses <c>exec:COMMAND ARGS</c>, or <c>reference-client</c> / <c>reference-client+defect:NAME</c>
    /// for the reference client's driver (<c>zrpc client-driver</c> from this build, optionally with
    /// one of the client mutants); throws <see cref="FormatException"/> for anything else.
    /// </summary>
    public static ClientDriverTarget Create(string text, Steps.Wire.KitProfile profile = Steps.Wire.KitProfile.P6ab05ee)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.Equals(text, ReferenceClient, StringComparison.OrdinalIgnoreCase))
        {
            return FromReferenceCli(text, "reference client (zrpc client-driver)", [], profile);
        }

        if (text.StartsWith(DefectPrefix, StringComparison.OrdinalIgnoreCase))
        {
            Zrpc.Mutants.ClientDefect defect;
            try
            {
                defect = Zrpc.Mutants.ClientDefects.Find(text[DefectPrefix.Length..]);
            }
            catch (ArgumentException e)
            {
                throw new FormatException(e.Message, e);
            }

            return FromReferenceCli(text, $"reference client with defect {defect.Name}", ["--defect", defect.Name], profile);
        }

        var address = TransportAddress.Parse(text);
        if (address.Kind != TransportKind.Exec)
            throw new FormatException($"a client-role target must be exec:COMMAND ARGS (a client driver), not '{text}'");
        if (!address.Command.Contains(AddressPlaceholder, StringComparison.Ordinal)
            && !address.Arguments.Any(a => a.Contains(AddressPlaceholder, StringComparison.Ordinal)))
            throw new FormatException($"the client driver command '{text}' must contain {AddressPlaceholder} (where the kit puts its server's address)");
        return new ClientDriverTarget(text, address.Command, address.Arguments);
    }

    private static ClientDriverTarget FromReferenceCli(string text, string name, IReadOnlyList<string> extra, Steps.Wire.KitProfile profile)
        => new(text, "dotnet", [ReferenceCliPath(), "client-driver", .. extra, "--profile", profile.Name(), "--connect", AddressPlaceholder],
            profile == Steps.Wire.KitProfile.P6ab05ee ? name : $"{name}, profile {profile.Name()}");

    /// <summary>
    /// Zrpc.Cli.dll next to the runner (the test assembly references it), else the newest build in
    /// the repository (reference/Zrpc.Cli/bin/CONFIGURATION/net10.0).
    /// </summary>
    private static string ReferenceCliPath()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "Zrpc.Cli.dll");
        if (File.Exists(beside)) return beside;
        var root = RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)
                   ?? RepositoryCoverageSources.FindRepositoryRoot(Environment.CurrentDirectory);
        var built = root is null
            ? null
            : new[] { "Release", "Debug" }
                .Select(c => new FileInfo(Path.Combine(root, "reference", "Zrpc.Cli", "bin", c, "net10.0", "Zrpc.Cli.dll")))
                .Where(f => f.Exists)
                .OrderByDescending(f => f.LastWriteTimeUtc)
                .FirstOrDefault();
        return built?.FullName
               ?? throw new FormatException($"the reference client's driver (Zrpc.Cli.dll) is not built: run `dotnet build reference/Zrpc.Cli` first");
    }

    /// <summary>The program and arguments to start, with the fake server's address filled in.</summary>
    public (string Program, IReadOnlyList<string> Arguments) CommandFor(string address)
        => (Command.Replace(AddressPlaceholder, address, StringComparison.Ordinal),
            Arguments.Select(a => a.Replace(AddressPlaceholder, address, StringComparison.Ordinal)).ToList());

    /// <summary>The kit never connects to a client; client scenarios use <see cref="FakeServer"/>.</summary>
    public Task<Stream> ConnectAsync(CancellationToken cancellationToken)
        => throw new InvalidOperationException(
            "a client driver target is not connected to: only @client scenarios run against it, and the driver connects to the kit's fake server");

    public Task<DriverRunResult> RunScriptAsync(string address, string script, TimeSpan hardLimit, Action<DriverLine>? onLine, CancellationToken cancellationToken)
    {
        var (program, arguments) = CommandFor(address);
        return DriverProcess.RunAsync(program, arguments, script, hardLimit, onLine, cancellationToken);
    }

    /// <summary>Runs the driver with an empty script: null when it exits 0, otherwise why it is unusable.</summary>
    public async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        var (program, arguments) = CommandFor("tcp://127.0.0.1:9");
        var run = await DriverProcess.RunAsync(program, arguments, "{\"timeout\":1,\"calls\":[]}", TimeSpan.FromSeconds(60), null, cancellationToken).ConfigureAwait(false);
        if (run.StartError is not null) return $"cannot start the client driver {TargetArgument}: {run.StartError}";
        if (run.Killed) return $"the client driver {TargetArgument} did not exit within 60 s on an empty script";
        if (run.ExitCode != 0)
            return $"the client driver {TargetArgument} exited with code {run.ExitCode} on an empty script (CLIENT-DRIVER.md: 0 expected){Tail(run.StandardError)}";
        return null;
    }

    private static string Tail(string text) => string.IsNullOrWhiteSpace(text) ? "" : "; stderr: " + text.Trim()[^Math.Min(400, text.Trim().Length)..];

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
