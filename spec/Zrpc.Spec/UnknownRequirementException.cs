namespace Zrpc.Spec;

/// <summary>An id shaped like a requirement id that the spec does not define.</summary>
public sealed class UnknownRequirementException(RequirementId id)
    : FormatException($"'{id}' is not a requirement of the spec (no paragraph **{id}** in spec/*.md)")
{
    public RequirementId Id { get; } = id;
}
