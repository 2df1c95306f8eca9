namespace Zrpc.Fuzz.Contract;

/// <summary>
/// Bounded memory is part of every decoder's contract (FRAME-6, MSG-5, MSG-6): what it allocates
/// may grow with the bytes it was given, never with a length field it has not verified. The
/// budget is "fixed part + factor × input length"; an input that makes the decoder allocate more
/// is reported as a crash. Measured on the calling thread: every target runs synchronously.
/// </summary>
public readonly struct AllocationBudget
{
    private readonly long _start;
    private readonly long _limit;
    private readonly string _what;

    private AllocationBudget(long limit, string what)
    {
        _limit = limit;
        _what = what;
        _start = GC.GetAllocatedBytesForCurrentThread();
    }

    public static AllocationBudget Start(string what, long fixedBytes, int perInputByte, int inputLength)
        => new(fixedBytes + (long)perInputByte * inputLength, what);

    public long Used => GC.GetAllocatedBytesForCurrentThread() - _start;

    public void Check()
    {
        long used = Used;
        if (used > _limit)
        {
            throw new ContractViolationException($"{_what} allocated {used} bytes, over its budget of {_limit} bytes for this input (bounded memory: FRAME-6/MSG-5/MSG-6)");
        }
    }
}
