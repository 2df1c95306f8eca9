using Zrpc.SelfTest.Behaviour;
using Zrpc.Rpc;

namespace Zrpc.SelfTest;

/// <summary>
/// One deliberate, real-world defect the reference client can be run with (<c>zrpc-selftest client-driver
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

    /// <summary>The client target kind's prefix: <c>reference-client+defect:NAME</c>.</summary>
    public const string TargetPrefix = "reference-client+defect:";

    /// <summary>Makes every client built with these options carry the defect.</summary>
    public void ApplyTo(RpcClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Hooks = _hooks();
    }

    public override string ToString() => Name;
}
