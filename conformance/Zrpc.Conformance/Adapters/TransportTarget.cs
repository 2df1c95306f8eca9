using System.ComponentModel;
using System.Net.Sockets;
using Zrpc.Transport;

namespace Zrpc.Conformance.Adapters;

/// <summary>An implementation reached through the reference library's connector: tcp://, unix:// or exec:.</summary>
public sealed class TransportTarget : IServerTarget
{
    private readonly TransportAddress _address;

    public TransportTarget(string text, TransportAddress address)
    {
        if (address.Kind is not (TransportKind.Tcp or TransportKind.Unix or TransportKind.Exec))
        {
            throw new FormatException($"target '{text}': only tcp://host:port, unix:///path and exec:COMMAND ARGS can be tested");
        }

        Name = text;
        _address = address;
    }

    public string Name { get; }

    public string? TargetArgument => Name;

    /// <summary>exec: starts a process per connection, so there is no server that could go down for the other scenarios.</summary>
    public bool IsExec => _address.Kind == TransportKind.Exec;

    /// <summary>How long opening a connection (or starting a process) may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            return await Connector.ConnectAsync(_address, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TargetUnreachableException(Name, $"no connection within {ConnectTimeout.TotalSeconds:0.#} s", e);
        }
        catch (Exception e) when (e is IOException or SocketException or Win32Exception or InvalidOperationException)
        {
            throw new TargetUnreachableException(Name, e.Message, e);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public override string ToString() => Name;
}
