namespace Zrpc.Fuzz.Contract;

internal static class RequirementErrors
{
    /// <summary>Typed errors must name the requirement they enforce, in the id and in the message.</summary>
    public static string Describe(ProtocolException error)
    {
        if (string.IsNullOrEmpty(error.RequirementId) || !error.Message.Contains(error.RequirementId, StringComparison.Ordinal))
        {
            throw new ContractViolationException($"protocol error without its requirement id in the message: [{error.RequirementId}] {error.Message}", error);
        }

        return $"error {error.RequirementId}";
    }
}
