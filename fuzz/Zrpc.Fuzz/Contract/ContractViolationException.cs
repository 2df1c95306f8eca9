namespace Zrpc.Fuzz.Contract;

/// <summary>
/// A decoder did something its contract forbids (a wrong result, an allocation past its limit, an
/// exception other than its typed protocol errors). Deliberately not caught anywhere: it is the
/// crash signal for AFL and the failure message of the regression tests.
/// </summary>
public sealed class ContractViolationException : Exception
{
    public ContractViolationException(string message)
        : base(message)
    {
    }

    public ContractViolationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
