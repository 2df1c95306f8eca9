namespace Zrpc.Conformance.Steps;

/// <summary>
/// A step's verdict that the implementation broke the spec. The message says what was expected
/// and what was seen; <see cref="RequirementIds"/> names the requirements it breaks.
/// </summary>
public sealed class RequirementViolation : Exception
{
    public RequirementViolation(string? requirementId, string message)
        : base(requirementId is null ? message : $"[{requirementId}] {message}") =>
        RequirementIds = requirementId is null ? [] : [requirementId];

    public IReadOnlyList<string> RequirementIds { get; }

    public static void Require(bool condition, string requirementId, Func<string> message)
    {
        if (!condition) throw new RequirementViolation(requirementId, message());
    }
}
