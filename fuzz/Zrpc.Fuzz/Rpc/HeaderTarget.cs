using Zrpc.Fuzz.Contract;
using Zrpc.Rpc;

namespace Zrpc.Fuzz.Rpc;

/// <summary>
/// Fuzzes <see cref="RpcHeader.Parse"/>: the input is a Header message's content. Parse must
/// agree with <see cref="HeaderOracle"/> on accept/reject and on every field; what it accepts must
/// re-encode canonically (HDR-2) to bytes that parse back to the same header and re-encode to the
/// same bytes; it may throw only ProtocolException HDR-5/HDR-6.
/// </summary>
public sealed class HeaderTarget : IFuzzTarget
{
    public string Name => "header";

    public string Description => "RpcHeader.Parse and canonical re-encoding (HDR-1..7)";

    public void Run(byte[] input)
    {
        var budget = AllocationBudget.Start("RpcHeader.Parse", 256 * 1024, 16, input.Length);
        RpcHeader? parsed = null;
        ProtocolException? rejected = null;
        try
        {
            parsed = RpcHeader.Parse(input);
        }
        catch (ProtocolException error)
        {
            RequirementErrors.Describe(error);
            rejected = error;
        }

        budget.Check();
        var verdict = HeaderOracle.Judge(input);
        if (rejected is not null)
        {
            if (verdict.ErrorId is null)
            {
                throw new ContractViolationException($"Parse rejected a well-formed header ({rejected.Message})");
            }

            if (rejected.RequirementId != verdict.ErrorId)
            {
                throw new ContractViolationException($"Parse rejected with {rejected.RequirementId}, expected {verdict.ErrorId} ({verdict.Reason}): {rejected.Message}");
            }

            return;
        }

        if (verdict.ErrorId is not null)
        {
            throw new ContractViolationException($"Parse accepted a malformed header ({verdict.ErrorId}: {verdict.Reason}) as {parsed}");
        }

        var header = parsed!;
        if (header.DataType != verdict.DataType || header.Accept != verdict.Accept || header.Error != verdict.Error
            || (verdict.Endpoint is not null && header.Endpoint != verdict.Endpoint)
            || (verdict.ErrorMessage is not null && header.ErrorMessage != verdict.ErrorMessage))
        {
            throw new ContractViolationException($"Parse read {header}, the oracle {verdict} (HDR-4/HDR-7)");
        }

        RequireCanonicalRoundTrip(header);
    }

    private static void RequireCanonicalRoundTrip(RpcHeader header)
    {
        byte[] canonical = header.ToCanonicalBytes();
        if (canonical.Length != header.CanonicalLength() || canonical[^1] != (byte)'\n')
        {
            throw new ContractViolationException($"canonical encoding of {header} is {canonical.Length} bytes, CanonicalLength says {header.CanonicalLength()}, or it does not end in a line feed (HDR-2)");
        }

        var written = new byte[canonical.Length];
        if (header.WriteCanonical(written) != canonical.Length || !written.AsSpan().SequenceEqual(canonical))
        {
            throw new ContractViolationException($"WriteCanonical and ToCanonicalBytes disagree for {header}");
        }

        RpcHeader again;
        try
        {
            again = RpcHeader.Parse(canonical);
        }
        catch (ProtocolException error)
        {
            throw new ContractViolationException($"the canonical encoding of {header} does not parse: {error.Message}", error);
        }

        if (again != header || !again.ToCanonicalBytes().AsSpan().SequenceEqual(canonical))
        {
            throw new ContractViolationException($"canonical round trip changed the header: {header} became {again}");
        }
    }
}
