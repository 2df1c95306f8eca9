using NUnit.Framework;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Driver;

namespace Zrpc.Conformance.NUnit;

/// <summary>
/// The kit's scenarios as NUnit test cases: one per scenario or outline row, named by its stable
/// id, with a category per tag (requirement ids such as <c>FRAME-3</c>, levels <c>must</c> /
/// <c>should</c>, <c>id:...</c>) and <c>section:NAME</c>, so that
/// <c>dotnet test --filter Category=FRAME-3</c> selects by requirement.
/// </summary>
public static class ConformanceScenarios
{
    private static readonly Lazy<IReadOnlyList<ScenarioCase>> Embedded = new(FeatureLoader.LoadEmbedded);

    /// <summary>Every scenario built into the kit (both roles).</summary>
    public static IReadOnlyList<ScenarioCase> All => Embedded.Value;

    /// <summary>The server-role scenarios, for <c>[TestCaseSource]</c>.</summary>
    public static IEnumerable<TestCaseData> Server() => Cases(Roles.ForRole(All, Roles.Server));

    /// <summary>The client-role (@client) scenarios, for <c>[TestCaseSource]</c>.</summary>
    public static IEnumerable<TestCaseData> Client() => Cases(Roles.ForRole(All, Roles.Client));

    private static int _runs;

    /// <summary>
    /// The scenarios for one target's run in this process. Reqnroll's reports tell test cases apart
    /// by their feature's source, so the first run uses <paramref name="scenarios"/> as they are and
    /// every later one gets copies labelled with its run (<see cref="FeatureLoader.ForRun"/>).
    /// </summary>
    public static IReadOnlyList<ScenarioCase> ForTarget(IReadOnlyList<ScenarioCase> scenarios, string targetName)
    {
        var run = Interlocked.Increment(ref _runs);
        return run == 1 ? scenarios : FeatureLoader.ForRun(scenarios, $"target {run}: {targetName}");
    }

    /// <summary>One test case per scenario, its only argument the scenario id.</summary>
    public static IEnumerable<TestCaseData> Cases(IEnumerable<ScenarioCase> scenarios)
    {
        foreach (var scenario in scenarios)
        {
            var data = new TestCaseData(scenario.Id).SetName(scenario.Id).SetDescription(scenario.Title);
            foreach (var tag in scenario.Tags)
            {
                data.SetCategory(tag.TrimStart('@'));
            }

            data.SetCategory("section:" + scenario.Section);
            yield return data;
        }
    }
}
