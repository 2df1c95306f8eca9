using System.CommandLine;
using Zrpc.Rpc;
using Zrpc.Transport;

namespace Zrpc.Cli;

/// <summary>
/// What another host of <c>serve</c> or <c>client-driver</c> adds to the command: options of its
/// own, and from them a change to the server or client it runs. <c>zrpc</c> itself adds none; the
/// kit's self-test host (conformance/SelfTest) runs the same commands with deliberate defects, so
/// that the mutants are the reference's code paths plus one defect, not a copy of the commands.
/// </summary>
/// <typeparam name="TChange">The change the chosen variant makes (<see cref="ServerChange"/> or <see cref="ClientChange"/>).</typeparam>
/// <param name="Options">Options added to the command.</param>
/// <param name="Answer">Runs first: an exit code when the options ask for something other than a run (a listing), else null.</param>
/// <param name="Choose">The change the options select, or null for none; throws <see cref="ArgumentException"/> naming a bad value.</param>
internal sealed record CommandVariant<TChange>(IReadOnlyList<Option> Options, Func<ParseResult, int?> Answer, Func<ParseResult, TChange?> Choose)
    where TChange : class;

/// <summary>A change to the server <c>serve</c> runs.</summary>
/// <param name="Warning">Printed to stderr whatever --quiet says: the server is not the reference.</param>
/// <param name="Apply">Changes the server's options before it is built.</param>
/// <param name="WrapListener">The listener the server accepts from, given the real one.</param>
internal sealed record ServerChange(string Warning, Action<RpcServerOptions> Apply, Func<IConnectionListener, IConnectionListener> WrapListener);

/// <summary>A change to the client <c>client-driver</c> runs.</summary>
/// <param name="Warning">Printed to stderr: the client is not the reference.</param>
/// <param name="Apply">Changes the options of every client the driver builds.</param>
internal sealed record ClientChange(string Warning, Action<RpcClientOptions> Apply);
