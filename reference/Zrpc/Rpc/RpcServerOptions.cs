namespace Zrpc.Rpc;

/// <summary>Tunables of <see cref="RpcServer"/>.</summary>
public sealed class RpcServerOptions
{
    /// <summary>Read timeout while a frame or message is incomplete (CONN-5); default 30 s.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest MarshaledJSON request body the server decodes (SRV-12); default 64 MiB.</summary>
    public long MaxJsonBody { get; set; } = 64L * 1024 * 1024;

    /// <summary>Receives one line per connection event (open, close, errors). Null: no logging.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Decision points a mutant server overrides (kit self-test only); correct by default.</summary>
    internal RpcServerHooks Hooks { get; set; } = RpcServerHooks.Correct;
}
