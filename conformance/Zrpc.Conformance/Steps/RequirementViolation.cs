using Zrpc.Spec;

namespace Zrpc.Conformance.Steps;

/// <summary>
/// Something a step saw the implementation do, or fail to do. Either a
/// <see cref="RequirementViolation"/>, which names the requirement broken, or an
/// <see cref="UnattributedFailure"/>, which the step that called for it attributes.
/// </summary>
public abstract class ScenarioFailure(string message) : Exception(message)
{
    /// <summary>What was seen, without a requirement id.</summary>
    public abstract string Detail { get; }
}

/// <summary>
/// A step's verdict that the implementation broke the spec. The message says what was expected
/// and what was seen, after the id of the requirement it breaks.
/// </summary>
public sealed class RequirementViolation : ScenarioFailure
{
    public RequirementViolation(RequirementId requirement, string detail)
        : base(Format(requirement, detail))
    {
        Requirement = requirement;
        Detail = detail;
    }

    /// <summary>A requirement the kit names by its id: one the spec does not define is refused (<see cref="RequirementId.Of"/>).</summary>
    public RequirementViolation(string requirement, string detail)
        : this(RequirementId.Of(requirement), detail)
    {
    }

    public RequirementId Requirement { get; }

    public override string Detail { get; }

    /// <summary>How a failure message cites its requirement: "[FRAME-3] detail". Written here only.</summary>
    public static string Format(RequirementId requirement, string detail) => $"[{requirement}] {detail}";

    /// <summary>Whether a failure message (as <see cref="Format"/> wrote it) cites <paramref name="requirement"/>.</summary>
    public static bool Cites(string? message, RequirementId requirement)
        => message is not null && message.StartsWith($"[{requirement}] ", StringComparison.Ordinal);

    public static void Require(bool condition, RequirementId requirement, Func<string> detail)
    {
        if (!condition) throw new RequirementViolation(requirement, detail());
    }

    public static void Require(bool condition, string requirement, Func<string> detail)
    {
        if (!condition) throw new RequirementViolation(requirement, detail());
    }
}

/// <summary>
/// The implementation did not answer as the step waited for (the connection ended, an RST, a
/// timeout). Which requirement that breaks is the calling step's to say; left unattributed, the
/// scenario fails under its own requirement tags.
/// </summary>
public sealed class UnattributedFailure(string detail) : ScenarioFailure(detail)
{
    public override string Detail => Message;

    /// <summary>This failure as a violation of <paramref name="requirement"/>.</summary>
    public RequirementViolation Of(RequirementId requirement) => new(requirement, Detail);
}

/// <summary>
/// The kit could not judge: its own fault or a client driver that could not start or broke the
/// driver contract (CLIENT-DRIVER.md). It cites no requirement of the spec.
/// </summary>
public sealed class HarnessFailure(string message) : Exception(message);
