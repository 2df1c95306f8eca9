namespace Zrpc.Conformance.ClientRole;

/// <summary>
/// A client under test, reached through its client driver (conformance/CLIENT-DRIVER.md): the
/// kit does not connect to it; it starts the driver per scenario, with <c>{address}</c> replaced
/// by the fake server's address, and the driver connects to the kit.
/// </summary>
public sealed class ClientDriverTarget : IClientTarget
{
    public const string AddressPlaceholder = "{address}";

    /// <summary>A driver that runs <paramref name="command"/> with <paramref name="arguments"/> (<c>{address}</c> filled in per scenario).</summary>
    /// <param name="targetArgument">The --target text that selects it again.</param>
    public ClientDriverTarget(string targetArgument, string command, IReadOnlyList<string> arguments, string name)
    {
        TargetArgument = targetArgument;
        Command = command;
        Arguments = arguments;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The --target text (<c>exec:COMMAND ARGS</c> with <c>{address}</c>, <c>reference-client</c>, or a registered kind).</summary>
    public string TargetArgument { get; }

    public string Command { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The program and arguments to start, with the fake server's address filled in.</summary>
    public (string Program, IReadOnlyList<string> Arguments) CommandFor(string address)
        => (Command.Replace(AddressPlaceholder, address, StringComparison.Ordinal),
            Arguments.Select(a => a.Replace(AddressPlaceholder, address, StringComparison.Ordinal)).ToList());

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
