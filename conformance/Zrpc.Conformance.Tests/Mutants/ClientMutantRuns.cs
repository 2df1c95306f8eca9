using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.SelfTest;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>Runs the client-role scenarios against the reference client's driver, with or without a defect.</summary>
internal static class ClientMutantRuns
{
    private static readonly Lazy<IReadOnlyList<ScenarioCase>> Loaded = new(() =>
        Roles.ForRole(FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory), Roles.Client));

    private static readonly Lazy<ScenarioExecutor> Executor = new(() => new ScenarioExecutor(new RunSettings().BindingAssembly));

    /// <summary>Every @client scenario of profile 6ab05ee except @slow ones, in feature-file order.</summary>
    public static IReadOnlyList<ScenarioCase> Quick => QuickOf(KitProfile.P6ab05ee);

    /// <summary>Every @client scenario of <paramref name="profile"/> except @slow ones.</summary>
    public static IReadOnlyList<ScenarioCase> QuickOf(KitProfile profile)
        => Loaded.Value.Where(s => !s.HasTag("@slow") && KitProfiles.Applies(s.Tags, profile)).ToList();

    /// <summary>The quick client scenarios of <paramref name="profile"/> tagged with any of <paramref name="requirementIds"/>.</summary>
    public static IReadOnlyList<ScenarioCase> TaggedWith(IEnumerable<string> requirementIds, KitProfile profile = KitProfile.P6ab05ee)
    {
        var wanted = requirementIds.ToHashSet(StringComparer.Ordinal);
        return QuickOf(profile).Where(s => s.RequirementIds.Any(id => wanted.Contains(id.Value))).ToList();
    }

    /// <summary>The runner's target text: <c>reference-client</c> or <c>reference-client+defect:NAME</c>.</summary>
    public static string TargetText(ClientDefect? defect)
        => defect is null ? TargetParser.ReferenceClient : ClientDefect.TargetPrefix + defect.Name;

    /// <summary>
    /// Runs <paramref name="scenarios"/> in order, each with a fresh driver process; with
    /// <paramref name="stopAtFirstMustFailure"/> it stops once a @must scenario has failed.
    /// </summary>
    public static Task<IReadOnlyList<ScenarioResult>> RunAsync(ClientDefect? defect, IEnumerable<ScenarioCase> scenarios, bool stopAtFirstMustFailure,
        KitProfile profile = KitProfile.P6ab05ee)
        => RunAsync(defect, scenarios, stopAtFirstMustFailure ? MutantRuns.IsMustFailure : null, profile);

    /// <summary>Runs <paramref name="scenarios"/> in order, ending after the first result for which <paramref name="stopAfter"/> is true.</summary>
    public static async Task<IReadOnlyList<ScenarioResult>> RunAsync(ClientDefect? defect, IEnumerable<ScenarioCase> scenarios, Func<ScenarioResult, bool>? stopAfter,
        KitProfile profile = KitProfile.P6ab05ee)
    {
        var text = TargetText(defect);
        var spec = TargetParser.ParseClient(text);
        var settings = new RunSettings { Targets = [], ClientTargets = [spec], Profile = profile };
        var results = new List<ScenarioResult>();
        await using var target = spec.Open(profile);
        foreach (var scenario in scenarios)
        {
            var result = await ConformanceRun.RunOneAsync(scenario, target, settings, Executor.Value);
            results.Add(result);
            if (stopAfter?.Invoke(result) == true)
            {
                break;
            }
        }

        return results;
    }
}
