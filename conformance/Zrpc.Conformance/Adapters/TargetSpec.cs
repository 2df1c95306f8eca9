using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Reporting;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.Transport;

namespace Zrpc.Conformance.Adapters;

/// <summary>
/// A --target, parsed once (<see cref="TargetParser"/>): which kind of implementation it names and
/// how to reach it. The runner, --detect-profile and the client role decide by the kind, never by
/// reading the text again.
/// </summary>
/// <param name="Text">The --target text as given; null for the default (the built-in reference server).</param>
public abstract record TargetSpec(string? Text);

/// <summary>A server the kit connects to: it runs the server-role scenarios.</summary>
public abstract record ServerTargetSpec(string? Text) : TargetSpec(Text)
{
    /// <summary>The target, ready to connect to; <paramref name="profile"/> is the run's (the reference server is started in it).</summary>
    public abstract IServerTarget Open(KitProfile profile);
}

/// <summary>
/// The reference server, started inside the kit (<c>reference</c>, or no --target at all), or a
/// variant of it that a host registered (the kit's self-test registers its defects).
/// </summary>
public sealed record ReferenceServerSpec(string? Text, IReferenceServerVariant? Variant = null) : ServerTargetSpec(Text)
{
    public static ReferenceServerSpec Default { get; } = new(null, null);

    public override IServerTarget Open(KitProfile profile) => new ReferenceServerTarget(Variant, profile);
}

/// <summary>A server listening on a socket: <c>tcp://HOST:PORT</c> or <c>unix:///PATH</c>.</summary>
public sealed record TransportAddressSpec(string Text, TransportAddress Address) : ServerTargetSpec(Text)
{
    public override IServerTarget Open(KitProfile profile) => new TransportTarget(Text!, Address);
}

/// <summary>A server started per connection, speaking on its stdin/stdout: <c>exec:COMMAND ARGS</c>.</summary>
public sealed record ExecServerSpec(string Text, TransportAddress Address) : ServerTargetSpec(Text)
{
    public override IServerTarget Open(KitProfile profile) => new TransportTarget(Text!, Address);
}

/// <summary>A client under test, reached through its driver (conformance/CLIENT-DRIVER.md): it runs the @client scenarios.</summary>
public abstract record ClientDriverSpec(string Text) : TargetSpec(Text)
{
    /// <summary>The driver target of a run in <paramref name="profile"/>.</summary>
    public abstract ClientDriverTarget Open(KitProfile profile);
}

/// <summary>A client driver command given as <c>exec:COMMAND ARGS</c>, with <c>{address}</c> where the kit's fake server goes.</summary>
public sealed record ExecClientDriverSpec(string Text, string Command, IReadOnlyList<string> Arguments) : ClientDriverSpec(Text)
{
    public override ClientDriverTarget Open(KitProfile profile) => new(Text!, Command, Arguments, "client driver " + Text);
}

/// <summary>
/// A build of the reference client's driver (<c>dotnet ASSEMBLY client-driver</c>): <c>reference-client</c>,
/// or a variant a host registered with <paramref name="ExtraArguments"/> for its driver.
/// </summary>
/// <param name="DriverAssembly">The .dll whose <c>client-driver</c> command runs the client.</param>
/// <param name="Name">Display name; the run's profile is added when it is not the default.</param>
public sealed record ReferenceClientSpec(string Text, string DriverAssembly, IReadOnlyList<string> ExtraArguments, string Name) : ClientDriverSpec(Text)
{
    public override ClientDriverTarget Open(KitProfile profile)
        => new(Text!, "dotnet", [DriverAssembly, "client-driver", .. ExtraArguments, "--profile", profile.Name(), "--connect", ClientDriverTarget.AddressPlaceholder],
            profile == KitProfile.P6ab05ee ? Name : $"{Name}, profile {profile.Name()}");
}

/// <summary>
/// Parses --target text into a <see cref="TargetSpec"/>. Besides the built-in kinds, a host may
/// register kinds of its own by prefix (the kit's self-test host registers
/// <c>reference+defect:NAME</c> and <c>reference-client+defect:NAME</c>); the shipped runner registers none.
/// </summary>
public static class TargetParser
{
    /// <summary>Target text for the reference client's driver (<c>zrpc client-driver</c>).</summary>
    public const string ReferenceClient = "reference-client";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Func<string, string, ServerTargetSpec>> ServerKinds = new(StringComparer.OrdinalIgnoreCase);
    private static readonly Dictionary<string, Func<string, string, ClientDriverSpec>> ClientKinds = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Adds a server target kind: text starting with <paramref name="prefix"/> is handed to
    /// <paramref name="parse"/> (the whole text, then what follows the prefix), which throws
    /// <see cref="FormatException"/> or <see cref="ArgumentException"/> naming what is wrong.
    /// Registering the same prefix again replaces the kind.
    /// </summary>
    public static void RegisterServerKind(string prefix, Func<string, string, ServerTargetSpec> parse)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        ArgumentNullException.ThrowIfNull(parse);
        lock (Gate) ServerKinds[prefix] = parse;
    }

    /// <summary>Adds a client-driver target kind, as <see cref="RegisterServerKind"/> does for servers.</summary>
    public static void RegisterClientKind(string prefix, Func<string, string, ClientDriverSpec> parse)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        ArgumentNullException.ThrowIfNull(parse);
        lock (Gate) ClientKinds[prefix] = parse;
    }

    /// <summary>Words that select the built-in reference server explicitly.</summary>
    public static bool IsReference(string? text)
        => string.IsNullOrWhiteSpace(text) || text is "reference" or "builtin" or "in-process";

    /// <summary>
    /// A server-role target: nothing / <c>reference</c>, <c>tcp://HOST:PORT</c>, <c>unix:///PATH</c>,
    /// <c>exec:COMMAND ARGS</c> or a registered kind. Throws <see cref="FormatException"/> naming what is wrong.
    /// </summary>
    public static ServerTargetSpec ParseServer(string? text)
    {
        if (IsReference(text)) return text is null ? ReferenceServerSpec.Default : new ReferenceServerSpec(text);
        if (Registered(ServerKinds, text!) is { } kind) return Run(kind, text!);
        if (text!.Equals(ReferenceClient, StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"target '{text}' is a client driver: it needs --role client (or --client-target with --role both)");
        RejectUnregistered(text);
        var address = TransportAddress.Parse(text);
        return address.Kind switch
        {
            TransportKind.Tcp or TransportKind.Unix => new TransportAddressSpec(text, address),
            TransportKind.Exec => new ExecServerSpec(text, address),
            _ => throw new FormatException($"target '{text}': only reference, tcp://HOST:PORT, unix:///PATH and exec:COMMAND ARGS can be tested"),
        };
    }

    /// <summary>
    /// A client-role target: <c>exec:COMMAND ARGS</c> with <c>{address}</c>, <c>reference-client</c>
    /// or a registered kind. Throws <see cref="FormatException"/> naming what is wrong.
    /// </summary>
    public static ClientDriverSpec ParseClient(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
            throw new FormatException("a client-role target must be exec:COMMAND ARGS (a client driver), not an empty text");
        if (text.Equals(ReferenceClient, StringComparison.OrdinalIgnoreCase))
            return new ReferenceClientSpec(text, BuiltAssembly.Locate("Zrpc.Cli.dll", Path.Combine("reference", "Zrpc.Cli"), "dotnet build reference/Zrpc.Cli"), [],
                "reference client (zrpc client-driver)");
        if (Registered(ClientKinds, text) is { } kind) return Run(kind, text);
        RejectUnregistered(text);
        TransportAddress address;
        try
        {
            address = TransportAddress.Parse(text);
        }
        catch (FormatException)
        {
            throw new FormatException($"a client-role target must be exec:COMMAND ARGS (a client driver) or {ReferenceClient}, not '{text}'");
        }

        if (address.Kind != TransportKind.Exec)
            throw new FormatException($"a client-role target must be exec:COMMAND ARGS (a client driver), not '{text}'");
        if (!address.Command.Contains(ClientDriverTarget.AddressPlaceholder, StringComparison.Ordinal)
            && !address.Arguments.Any(a => a.Contains(ClientDriverTarget.AddressPlaceholder, StringComparison.Ordinal)))
            throw new FormatException($"the client driver command '{text}' must contain {ClientDriverTarget.AddressPlaceholder} (where the kit puts its server's address)");
        return new ExecClientDriverSpec(text, address.Command, address.Arguments);
    }

    private static (string Prefix, Func<string, string, T> Parse)? Registered<T>(Dictionary<string, Func<string, string, T>> kinds, string text)
    {
        lock (Gate)
        {
            foreach (var (prefix, parse) in kinds)
            {
                if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return (prefix, parse);
            }
        }

        return null;
    }

    private static T Run<T>((string Prefix, Func<string, string, T> Parse) kind, string text)
    {
        try
        {
            return kind.Parse(text, text[kind.Prefix.Length..]);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"target '{text}': {e.Message}", e);
        }
    }

    /// <summary>A kind only a host registers (it has no scheme of the transport): say where it lives.</summary>
    private static void RejectUnregistered(string text)
    {
        if (text.StartsWith("reference", StringComparison.OrdinalIgnoreCase) && text.Contains('+', StringComparison.Ordinal))
            throw new FormatException(
                $"target '{text}': this runner knows no such kind of target; the deliberately broken reference servers and clients " +
                "are targets of the kit's self-test host (zrpc-selftest conformance, docs/self-test.md)");
    }
}

/// <summary>Finds an assembly of this repository's build that a target runs (a driver, a server).</summary>
public static class BuiltAssembly
{
    /// <summary>
    /// <paramref name="fileName"/> beside the running kit (a test assembly that references its
    /// project), else the newest build of <paramref name="projectDirectory"/> (relative to the
    /// repository root) in bin/Release or bin/Debug; throws <see cref="FormatException"/> telling
    /// to run <paramref name="buildCommand"/> when there is none.
    /// </summary>
    public static string Locate(string fileName, string projectDirectory, string buildCommand)
    {
        var beside = Path.Combine(AppContext.BaseDirectory, fileName);
        if (File.Exists(beside)) return beside;
        var root = RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)
                   ?? RepositoryCoverageSources.FindRepositoryRoot(Environment.CurrentDirectory);
        var built = root is null
            ? null
            : new[] { "Release", "Debug" }
                .Select(c => new FileInfo(Path.Combine(root, projectDirectory, "bin", c, "net10.0", fileName)))
                .Where(f => f.Exists)
                .OrderByDescending(f => f.LastWriteTimeUtc)
                .FirstOrDefault();
        return built?.FullName
               ?? throw new FormatException($"{fileName} is not built: run `{buildCommand}` first");
    }
}
