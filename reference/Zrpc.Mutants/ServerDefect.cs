using Zrpc.Mutants.Behaviour;
using Zrpc.Rpc;
using Zrpc.Transport;

namespace Zrpc.Mutants;

/// <summary>
/// One deliberate, real-world defect the reference server can be run with (<c>zrpc serve --defect
/// NAME</c>, conformance target <c>reference+defect:NAME</c>), so that the kit can prove it catches it.
/// </summary>
public sealed class ServerDefect : IDefect
{
    private readonly Func<DefectHooks>? _hooks;
    private readonly bool _serial;

    internal ServerDefect(string name, string description, Func<DefectHooks>? hooks = null, bool serial = false)
    {
        Name = name;
        Description = description;
        _hooks = hooks;
        _serial = serial;
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>Makes a server built with these options carry the defect.</summary>
    public void ApplyTo(RpcServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_hooks is not null)
        {
            options.Hooks = _hooks();
        }
    }

    /// <summary>The listener the defective server accepts from (only connection-level defects change it).</summary>
    public IConnectionListener WrapListener(IConnectionListener listener)
        => _serial ? new SerialListener(listener) : listener;

    public override string ToString() => Name;
}
