using Zrpc.Conformance.Driver;
using Zrpc.Spec;

namespace Zrpc.Conformance.Reporting;

/// <summary>One piece of evidence that a requirement is checked: a scenario, a fixture, a unit test.</summary>
public sealed record CoverageItem(string RequirementId, string Kind, string Name);

/// <summary>
/// Where coverage comes from. Scenarios are one source; golden fixtures and unit tests will be
/// further sources (extension point: add an implementation and pass it to <see cref="CoverageMatrix"/>).
/// </summary>
public interface ICoverageSource
{
    IEnumerable<CoverageItem> Items();
}

/// <summary>Coverage by scenario tags such as @FRAME-6.</summary>
public sealed class ScenarioCoverageSource(IEnumerable<ScenarioCase> scenarios) : ICoverageSource
{
    public IEnumerable<CoverageItem> Items()
        => scenarios.SelectMany(s => s.RequirementIds.Select(id => new CoverageItem(id, "scenario", s.Id)));
}

/// <summary>Every requirement of the spec against what covers it (--matrix).</summary>
public sealed class CoverageMatrix(RequirementCatalog catalog, IEnumerable<ICoverageSource> sources)
{
    private readonly List<CoverageItem> _items = sources.SelectMany(s => s.Items()).ToList();

    public IReadOnlyList<CoverageItem> CoverageOf(string requirementId) => _items.Where(i => i.RequirementId == requirementId).ToList();

    /// <summary>MUST requirements that nothing covers.</summary>
    public IReadOnlyList<Requirement> UncoveredMusts
        => catalog.All.Where(r => r.Level == RequirementLevel.Must && CoverageOf(r.Id).Count == 0).ToList();

    /// <summary>Tags that name a requirement id the spec does not have (typos, removed ids).</summary>
    public IReadOnlyList<CoverageItem> UnknownIds => _items.Where(i => !catalog.Contains(i.RequirementId)).ToList();

    public void Write(TextWriter output)
    {
        if (catalog.All.Count == 0)
        {
            output.WriteLine("(the spec catalog is empty: spec/*.md has no requirement paragraphs yet)");
        }

        string? section = null;
        foreach (var requirement in catalog.All)
        {
            if (requirement.Section != section)
            {
                section = requirement.Section;
                output.WriteLine($"## {section}");
            }

            var covered = CoverageOf(requirement.Id);
            var text = covered.Count == 0 ? "NOT COVERED" : string.Join(", ", covered.Select(c => $"{c.Kind}:{c.Name}"));
            output.WriteLine($"{requirement.Id,-9} {requirement.Level.ToString().ToUpperInvariant(),-6} {text}");
        }

        foreach (var unknown in UnknownIds.GroupBy(i => i.RequirementId))
        {
            output.WriteLine($"unknown requirement id {unknown.Key} used by {string.Join(", ", unknown.Select(u => $"{u.Kind}:{u.Name}"))}");
        }

        output.WriteLine($"{catalog.All.Count} requirements, {catalog.All.Count(r => CoverageOf(r.Id).Count > 0)} covered, {UncoveredMusts.Count} MUST not covered");
    }
}
