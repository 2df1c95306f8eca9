using Zrpc.Rpc;
using Zrpc.Transport;

namespace Zrpc.Conformance.Adapters;

/// <summary>
/// A change to the in-process reference server that a host registers as a target kind of its own
/// (<see cref="TargetParser.RegisterServerKind"/>): the kit's self-test runs its deliberately
/// broken servers this way. The shipped runner knows of none.
/// </summary>
public interface IReferenceServerVariant
{
    /// <summary>What the display name says after "reference with", e.g. "defect rst-ignored".</summary>
    string Label { get; }

    /// <summary>The --target text that selects this variant again.</summary>
    string TargetArgument { get; }

    /// <summary>
    /// Changes the options of the server before it is built. <paramref name="goDown"/> is what a
    /// crash of the server's process looks like to its peers here (the kit's own process lives
    /// on): the listener and every connection closed at once, and the server stays down.
    /// </summary>
    void ApplyTo(RpcServerOptions options, Action goDown);

    /// <summary>The listener the server accepts from, given the real one.</summary>
    IConnectionListener WrapListener(IConnectionListener listener);
}
