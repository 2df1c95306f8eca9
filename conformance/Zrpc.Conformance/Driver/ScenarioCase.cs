using Zrpc.Spec;
using System.Text.RegularExpressions;
using Io.Cucumber.Messages.Types;

namespace Zrpc.Conformance.Driver;

/// <summary>How Reqnroll is told to run a step: the block it belongs to.</summary>
public enum StepKind
{
    Given,
    When,
    Then,
    And,
}

/// <summary>One step of a runnable scenario, with outline parameters already substituted.</summary>
public sealed record ScenarioStep(string Keyword, StepKind Kind, string Text, string? DocString, IReadOnlyList<IReadOnlyList<string>>? Table, int Line);

/// <summary>
/// One runnable case: a scenario, or one example row of a scenario outline. <see cref="Id"/>
/// is stable (from the <c>@id:</c> tag, plus the row's <c>id</c> column or its position), so
/// reports, <c>--only</c> and the expected-deviations file keep working when scenarios are added.
/// </summary>
public sealed partial class ScenarioCase
{
    public required string Id { get; init; }

    /// <summary>The scenario's own @id value (without the outline row suffix).</summary>
    public required string ScenarioId { get; init; }

    /// <summary>1-based example row position within the scenario's Examples tables; null for a plain scenario.</summary>
    public int? ExampleRow { get; init; }

    public required string Title { get; init; }

    public required FeatureDocument Feature { get; init; }

    public string? RuleTitle { get; init; }

    public string? RuleDescription { get; init; }

    public IReadOnlyList<string> RuleTags { get; init; } = [];

    public required int Line { get; init; }

    public string Description { get; init; } = "";

    /// <summary>All tags that apply, with the leading '@': feature, rule, scenario and examples tags.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Tags of the scenario and its Examples table (without inherited feature/rule tags).</summary>
    public required IReadOnlyList<string> OwnTags { get; init; }

    public required IReadOnlyList<ScenarioStep> Steps { get; init; }

    /// <summary>Example row values by column name (empty for a plain scenario).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Arguments { get; init; } = [];

    /// <summary>Position of this case's pickle in its feature (Cucumber messages order).</summary>
    public int PickleIndex { get; init; }

    public Pickle? Pickle { get; init; }

    [GeneratedRegex(@"^@?([A-Z]+-[0-9]+)$")]
    private static partial Regex RequirementTag();

    /// <summary>
    /// Requirement ids from tags such as <c>@RPC-7</c>, in tag order. Tags are checked for their
    /// shape only: a --features folder may be written against another copy of the spec (--spec).
    /// </summary>
    public IReadOnlyList<RequirementId> RequirementIds => Tags
        .Select(t => RequirementTag().Match(t))
        .Where(m => m.Success)
        .Select(m => RequirementId.Parse(m.Groups[1].Value))
        .Distinct()
        .ToList();

    /// <summary>A failure of a scenario tagged @should is a warning, not a failure (WARN).</summary>
    public bool IsShould => HasTag("@should") && !HasTag("@must");

    /// <summary>Spec section: the feature file's name without extension, e.g. "frame".</summary>
    public string Section => Feature.Section;

    public bool HasTag(string tag)
    {
        var wanted = tag.StartsWith('@') ? tag : "@" + tag;
        return Tags.Any(t => string.Equals(t, wanted, StringComparison.OrdinalIgnoreCase));
    }

    public override string ToString() => Id;
}
