using NUnit.Framework;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Reporting;
using Zrpc.Spec;

namespace Zrpc.Conformance.Tests.Coverage;

/// <summary>
/// The build fails when a MUST of the spec is exercised by nothing (no scenario, fixture or unit
/// test cites it), or when something cites an id the spec does not define.
/// </summary>
public sealed class SpecCoverageTests
{
    static CoverageMatrix Matrix(out RequirementCatalog catalog)
    {
        var root = RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("the tests must run inside the repository (Conformance.sln not found above the test assembly)");
        // Both profiles: spec/protocol.md and spec/profile-fa4d209.md (ids are unique across them).
        catalog = RequirementCatalog.LoadDirectory(Path.Combine(root, "spec"));
        var scenarios = FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory);
        return new CoverageMatrix(catalog, [new ScenarioCoverageSource(scenarios), .. RepositoryCoverageSources.From(root)]);
    }

    [Test]
    public void Every_MUST_requirement_is_covered_by_a_scenario_fixture_or_unit_test()
    {
        var matrix = Matrix(out var catalog);
        Assert.That(catalog.All, Is.Not.Empty, "the spec catalog is empty");
        Assert.That(matrix.UncoveredMusts.Select(r => r.Id), Is.Empty,
            "MUST requirements that nothing exercises (add a scenario, fixture or a unit test with [Category(\"ID\")])");
    }

    [Test]
    public void Nothing_cites_an_id_the_spec_does_not_define()
    {
        var matrix = Matrix(out _);
        Assert.That(matrix.UnknownIds.Select(i => $"{i.RequirementId} in {i.Kind} {i.Name}"), Is.Empty);
    }
}
