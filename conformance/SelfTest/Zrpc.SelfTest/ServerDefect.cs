using Zrpc.Conformance.Adapters;
using Zrpc.SelfTest.Behaviour;
using Zrpc.Rpc;
using Zrpc.Transport;

namespace Zrpc.SelfTest;

/// <summary>
/// One deliberate, real-world defect the reference server can be run with (<c>zrpc-selftest serve
/// --defect NAME</c>, conformance target <c>reference+defect:NAME</c>), so that the kit can prove it catches it.
/// </summary>
public sealed class ServerDefect : IDefect, IReferenceServerVariant
{
    private readonly Func<DefectHooks>? _hooks;
    private readonly Func<Action, DefectHooks>? _crashingHooks;
    private readonly bool _serial;

    internal ServerDefect(string name, string description, Func<DefectHooks>? hooks = null, bool serial = false, Func<Action, DefectHooks>? crashingHooks = null)
    {
        Name = name;
        Description = description;
        _hooks = hooks;
        _serial = serial;
        _crashingHooks = crashingHooks;
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>The target kind's prefix: <c>reference+defect:NAME</c>.</summary>
    public const string TargetPrefix = "reference+defect:";

    string IReferenceServerVariant.Label => "defect " + Name;

    string IReferenceServerVariant.TargetArgument => TargetPrefix + Name;

    /// <summary>
    /// The defect takes the whole server down (TRANS-2): its host says how, with the
    /// <c>endProcess</c> argument of <see cref="ApplyTo"/>.
    /// </summary>
    public bool EndsProcess => _crashingHooks is not null;

    /// <summary>Makes a server built with these options carry the defect.</summary>
    /// <param name="endProcess">
    /// For a defect that <see cref="EndsProcess"/>: what the crash does. <c>zrpc-selftest serve</c> passes
    /// <see cref="CrashThisProcess"/>; a host that runs the server inside a process that must live
    /// on (the kit's in-process target) closes the listener and every connection at once instead.
    /// </param>
    public void ApplyTo(RpcServerOptions options, Action? endProcess = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_crashingHooks is not null)
        {
            options.Hooks = _crashingHooks(endProcess ?? throw new ArgumentException(
                $"defect '{Name}' ends the process: its host must say how (ApplyTo's endProcess)", nameof(endProcess)));
        }
        else if (_hooks is not null)
        {
            options.Hooks = _hooks();
        }
    }

    /// <summary>
    /// Crashes the running process the way an uncaught error does: an exception nobody catches,
    /// on a thread of its own, so the runtime prints "Unhandled exception." and aborts.
    /// </summary>
    public static void CrashThisProcess(string reason)
    {
        var thread = new Thread(() => throw new InvalidOperationException(reason)) { IsBackground = false };
        thread.Start();
        thread.Join();
    }

    /// <summary>The listener the defective server accepts from (only connection-level defects change it).</summary>
    public IConnectionListener WrapListener(IConnectionListener listener)
        => _serial ? new SerialListener(listener) : listener;

    public override string ToString() => Name;
}
