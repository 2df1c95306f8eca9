namespace Zrpc.Fuzz.Contract;

/// <summary>
/// One decoder under fuzzing. <see cref="Run"/> returns normally when the decoder kept its
/// contract for <paramref name="input"/> (accepting it, or rejecting it with the typed error it
/// documents); it throws <see cref="ContractViolationException"/> when the decoder broke the
/// contract, and lets any undocumented exception escape: both are crashes to AFL.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name used on the command line and as the fixtures/fuzz-regressions/ folder.</summary>
    string Name { get; }

    /// <summary>What the target decodes, for --help and the README.</summary>
    string Description { get; }

    /// <summary>True when a crash may be uncatchable (native code, unbounded allocation): fuzz it out of process.</summary>
    bool NeedsIsolation => false;

    void Run(byte[] input);
}
