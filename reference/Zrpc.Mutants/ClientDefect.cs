using Zrpc.Mutants.Behaviour;
using Zrpc.Rpc;

namespace Zrpc.Mutants;

/// <summary>
/// One deliberate, real-world defect the reference client can be run with (<c>zrpc client-driver
/// --defect NAME</c>, conformance client target <c>reference-client+defect:NAME</c>), so that the
/// kit can prove its client scenarios catch it.
/// </summary>
public sealed class ClientDefect : IDefect
{
    private readonly Func<ClientDefectHooks> _hooks;

    internal ClientDefect(string name, string description, Func<ClientDefectHooks> hooks)
    {
        Name = name;
        Description = description;
        _hooks = hooks;
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>Makes every client built with these options carry the defect.</summary>
    public void ApplyTo(RpcClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Hooks = _hooks();
    }

    public override string ToString() => Name;
}
