using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Steps;

/// <summary>What one scenario has open and has seen: its connections and the current response.</summary>
public sealed class ScenarioState(TargetContext target)
{
    readonly Dictionary<string, KitConnection> _connections = new(StringComparer.Ordinal);

    public TargetContext Target => target;
    public KitConnection? Current { get; private set; }
    public Response? LastResponse { get; set; }

    /// <summary>
    /// Why the last call got no response (the connection ended, an RST, a timeout): judged by the
    /// next check of the response, which names the requirement it checks.
    /// </summary>
    public ScenarioFailure? ReadFailure { get; set; }
    public string? LastJsonSent { get; set; }
    public string? LastFailMessageSent { get; set; }
    public (long Length, string Sha256)? LastOctetsSent { get; set; }
    public EndObservation? LastEnd { get; set; }
    public IReadOnlyDictionary<string, KitConnection> Connections => _connections;

    public KitConnection Connection => Current ?? throw new InvalidOperationException(
        "the scenario has no connection yet: start it with 'Given a connection to the implementation'");

    public async Task<KitConnection> OpenAsync(string label)
    {
        if (_connections.ContainsKey(label))
            throw new InvalidOperationException($"the scenario already has a connection \"{label}\"");
        using var cts = new CancellationTokenSource(target.StepTimeout * 2);
        var raw = await target.OpenAsync(label, cts.Token);
        var connection = new KitConnection(raw, target.StepTimeout, target.ReportProgress);
        _connections[label] = connection;
        Current = connection;
        LastResponse = null;
        ReadFailure = null;
        return connection;
    }

    public void Use(string label)
    {
        Current = _connections.TryGetValue(label, out var c) ? c
            : throw new InvalidOperationException($"the scenario has no connection \"{label}\"");
        LastResponse = null;
        ReadFailure = null;
    }

    public async Task CloseAllAsync()
    {
        foreach (var c in _connections.Values)
        {
            try { await c.DisposeAsync(); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
        }
        _connections.Clear();
    }
}
