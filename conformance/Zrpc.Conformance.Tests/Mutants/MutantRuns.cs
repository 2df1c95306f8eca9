using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.SelfTest;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>Runs scenarios against the in-process reference server, with or without a defect.</summary>
internal static class MutantRuns
{
    private static readonly Lazy<IReadOnlyList<ScenarioCase>> Loaded = new(() =>
        FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory));

    private static readonly Lazy<ScenarioExecutor> Executor = new(() => new ScenarioExecutor(new RunSettings().BindingAssembly));

    /// <summary>Every scenario of profile 6ab05ee except @slow ones.</summary>
    public static IReadOnlyList<ScenarioCase> Quick => QuickOf(KitProfile.P6ab05ee);

    /// <summary>Every scenario of <paramref name="profile"/> except @slow ones.</summary>
    public static IReadOnlyList<ScenarioCase> QuickOf(KitProfile profile)
        => Loaded.Value.Where(s => !s.HasTag("@slow") && KitProfiles.Applies(s.Tags, profile)).ToList();

    /// <summary>The quick scenarios of <paramref name="profile"/> tagged with any of <paramref name="requirementIds"/>.</summary>
    public static IReadOnlyList<ScenarioCase> TaggedWith(IEnumerable<string> requirementIds, KitProfile profile = KitProfile.P6ab05ee)
    {
        var wanted = requirementIds.ToHashSet(StringComparer.Ordinal);
        return QuickOf(profile).Where(s => s.RequirementIds.Any(id => wanted.Contains(id.Value))).ToList();
    }

    /// <summary>
    /// Runs <paramref name="scenarios"/> in order on one fresh server; with <paramref name="stopAtFirstMustFailure"/>
    /// it stops once a @must scenario has failed (enough to show the mutant is caught).
    /// </summary>
    public static Task<IReadOnlyList<ScenarioResult>> RunAsync(ServerDefect? defect, IEnumerable<ScenarioCase> scenarios, bool stopAtFirstMustFailure,
        KitProfile profile = KitProfile.P6ab05ee)
        => RunAsync(defect, scenarios, stopAtFirstMustFailure ? IsMustFailure : null, profile);

    /// <summary>Runs <paramref name="scenarios"/> in order on one fresh server, ending after the first result for which <paramref name="stopAfter"/> is true.</summary>
    public static async Task<IReadOnlyList<ScenarioResult>> RunAsync(ServerDefect? defect, IEnumerable<ScenarioCase> scenarios, Func<ScenarioResult, bool>? stopAfter,
        KitProfile profile = KitProfile.P6ab05ee)
    {
        var settings = new RunSettings { Targets = [defect is null ? ReferenceServerSpec.Default : new ReferenceServerSpec(ServerDefect.TargetPrefix + defect.Name, defect)], Profile = profile };
        await using var target = new ReferenceServerTarget(defect, profile);
        // The runner's own loop, so that a mutant that takes the server down is judged as the
        // runner judges it: one FAIL citing TRANS-2, NOT RUN after it.
        return await ConformanceRun.RunServerScenariosAsync(scenarios.ToList(), target, settings, Executor.Value, null, CancellationToken.None,
            stopAfter);
    }

    /// <summary>The requirement id in brackets at the start of a failure's first line, or null.</summary>
    public static string? FirstLineId(ScenarioResult result)
    {
        var first = (result.Execution.Message ?? "").Split('\n')[0];
        var match = System.Text.RegularExpressions.Regex.Match(first, @"^\[([A-Z]+-\d+)\]");
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>A @must failure whose first line names one of <paramref name="expected"/>: the mutant is caught, and named.</summary>
    public static Func<ScenarioResult, bool> CaughtNaming(IReadOnlyCollection<string> expected)
        => result => IsMustFailure(result) && FirstLineId(result) is { } id && expected.Contains(id);

    /// <summary>A failed @must scenario, or any scenario during which the server went down (a TRANS-2 failure whatever the scenario's level).</summary>
    public static bool IsMustFailure(ScenarioResult result)
        => result.Verdict == Verdict.Fail && (result.Scenario.HasTag("@must") || result.TargetDownEvidence is not null);
}
