using Zrpc.Conformance.Adapters;
using Zrpc.Transport;

namespace Zrpc.Conformance.ClientRole;

/// <summary>
/// A client under test, reached through its client driver (conformance/CLIENT-DRIVER.md): the
/// kit does not connect to it; it starts the driver per scenario, with <c>{address}</c> replaced
/// by the fake server's address, and the driver connects to the kit.
/// </summary>
public sealed class ClientDriverTarget : ITarget
{
    public const string AddressPlaceholder = "{address}";

    private ClientDriverTarget(string text, string command, IReadOnlyList<string> arguments)
    {
        TargetArgument = text;
        Command = command;
        Arguments = arguments;
    }

    public string Name => "client driver " + TargetArgument;

    /// <summary>The --target text (<c>exec:COMMAND ARGS</c> with <c>{address}</c>).</summary>
    public string TargetArgument { get; }

    public string Command { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Parses <c>exec:COMMAND ARGS</c>; throws <see cref="FormatException"/> for anything else.</summary>
    public static ClientDriverTarget Create(string text)
    {
        var address = TransportAddress.Parse(text);
        if (address.Kind != TransportKind.Exec)
            throw new FormatException($"a client-role target must be exec:COMMAND ARGS (a client driver), not '{text}'");
        if (!address.Command.Contains(AddressPlaceholder, StringComparison.Ordinal)
            && !address.Arguments.Any(a => a.Contains(AddressPlaceholder, StringComparison.Ordinal)))
            throw new FormatException($"the client driver command '{text}' must contain {AddressPlaceholder} (where the kit puts its server's address)");
        return new ClientDriverTarget(text, address.Command, address.Arguments);
    }

    /// <summary>The program and arguments to start, with the fake server's address filled in.</summary>
    public (string Program, IReadOnlyList<string> Arguments) CommandFor(string address)
        => (Command.Replace(AddressPlaceholder, address, StringComparison.Ordinal),
            Arguments.Select(a => a.Replace(AddressPlaceholder, address, StringComparison.Ordinal)).ToList());

    /// <summary>The kit never connects to a client; client scenarios use <see cref="FakeServer"/>.</summary>
    public Task<Stream> ConnectAsync(CancellationToken cancellationToken)
        => throw new InvalidOperationException(
            "a client driver target is not connected to: only @client scenarios run against it, and the driver connects to the kit's fake server");

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
