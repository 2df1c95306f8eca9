namespace Zrpc.Conformance.Driver;

/// <summary>The runner's choice of scenarios: --tags, --section and --only, all of which must hold.</summary>
public sealed class ScenarioSelection
{
    public TagExpression? Tags { get; init; }

    /// <summary>Section names (feature file stem such as "frame", or requirement area such as "FRAME").</summary>
    public IReadOnlyList<string> Sections { get; init; } = [];

    /// <summary>Stable ids; an outline's scenario id selects all its rows.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    public static ScenarioSelection All { get; } = new();

    public bool Matches(ScenarioCase scenario)
    {
        if (Tags is not null && !Tags.Matches(scenario.Tags))
        {
            return false;
        }

        if (Sections.Count > 0 && !Sections.Any(s => InSection(scenario, s)))
        {
            return false;
        }

        return Only.Count == 0 || Only.Any(id => id == scenario.Id || id == scenario.ScenarioId);
    }

    public IReadOnlyList<ScenarioCase> Apply(IEnumerable<ScenarioCase> scenarios) => scenarios.Where(Matches).ToList();

    private static bool InSection(ScenarioCase scenario, string section)
        => string.Equals(scenario.Section, section, StringComparison.OrdinalIgnoreCase)
           || string.Equals(Path.GetFileNameWithoutExtension(scenario.Feature.RelativePath), section, StringComparison.OrdinalIgnoreCase)
           || string.Equals(scenario.Feature.Title, section, StringComparison.OrdinalIgnoreCase)
           || scenario.RequirementIds.Any(id => id.Value.StartsWith(section + "-", StringComparison.OrdinalIgnoreCase));
}
