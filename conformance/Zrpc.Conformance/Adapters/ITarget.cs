namespace Zrpc.Conformance.Adapters;

/// <summary>
/// An implementation under test: a server the kit connects to (<see cref="IServerTarget"/>) or a
/// client it hands scripts to (<see cref="ClientRole.IClientTarget"/>).
/// </summary>
public interface ITarget : IAsyncDisposable
{
    /// <summary>Display name, e.g. "reference (in-process)" or "tcp://127.0.0.1:9000".</summary>
    string Name { get; }

    /// <summary>The --target argument that reaches this target again; null for the built-in reference server.</summary>
    string? TargetArgument { get; }
}

/// <summary>
/// A server under test, reachable through a stream adapter. Each call to
/// <see cref="ConnectAsync"/> gives a fresh connection (for exec: a fresh process).
/// </summary>
public interface IServerTarget : ITarget
{
    /// <summary>Opens a new raw connection. Throws <see cref="TargetUnreachableException"/> when that fails.</summary>
    Task<Stream> ConnectAsync(CancellationToken cancellationToken);
}
