using NUnit.Framework;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;
using Zrpc.Conformance.NUnit;
using Zrpc.SelfTest;

namespace Zrpc.Conformance.Tests.Suite;

/// <summary>
/// The NUnit suite judges a target that dies as the runner does: one FAIL citing TRANS-2 for the
/// scenario during which it went down, NOT RUN (NUnit: inconclusive) for every test case after
/// it, never a cascade of FAILs that cite the later scenarios' own requirements.
/// </summary>
[TestFixture]
[Category("target-crash")]
public sealed class SuiteTargetWatchTests
{
    private const string CrashingScenario = "hdr-malformed/null";

    [Test]
    public async Task A_target_that_goes_down_gives_one_fail_and_not_run_for_the_test_cases_after_it()
    {
        var scenarios = FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory)
            .Where(s => s.Section == "header" && !s.HasTag("@slow")).ToList();
        var crashing = scenarios.FindIndex(s => s.Id == CrashingScenario);
        Assert.That(crashing, Is.GreaterThan(0).And.LessThan(scenarios.Count - 1));

        var defect = ServerDefects.Find("crash-on-null-header");
        var settings = new RunSettings { Targets = [new ReferenceServerSpec(ServerDefect.TargetPrefix + defect.Name, defect)] };
        await using var target = new ReferenceServerTarget(defect);
        var watch = new SuiteTargetWatch(target, settings, new ScenarioExecutor(settings.BindingAssembly));
        var results = new List<ScenarioResult>();
        foreach (var scenario in scenarios)
        {
            results.Add(await watch.RunAsync(scenario));
        }

        Assert.That(results.Where(r => r.Verdict == Verdict.Fail).Select(r => r.Id), Is.EqualTo(new[] { CrashingScenario }));
        var failure = results[crashing];
        Assert.That(failure.RequirementIds[0].Value, Is.EqualTo("TRANS-2"));
        Assert.That(failure.Execution.Message!.Split('\n')[0], Does.StartWith("[TRANS-2] the target went down during this scenario"));
        Assert.That(results.Take(crashing).Select(r => r.Verdict), Is.All.EqualTo(Verdict.Pass));
        Assert.That(results.Skip(crashing + 1).Select(r => r.Verdict), Is.All.EqualTo(Verdict.NotRun));
        Assert.That(results.Skip(crashing + 1).SelectMany(r => r.RequirementIds), Is.Empty);
        Assert.That(watch.Down, Does.Contain(CrashingScenario));

        // NUnit sees NOT RUN as inconclusive with the reason, never as a failure.
        var notRun = Assert.Throws<InconclusiveException>(() => ConformanceVerdicts.Report(results[^1]));
        Assert.That(notRun!.Message, Does.StartWith("NOT RUN: target down"));
    }
}
