using NUnit.Framework;
using Zrpc.Conformance.NUnit;
using Zrpc.SelfTest;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>
/// The kit tests itself: every deliberately broken server must fail at least
/// one @must scenario that cites a requirement the defect breaks. A mutant that survives is a gap
/// in the suite, to be fixed in the suite.
/// </summary>
[TestFixture]
[Category("mutants")]
public sealed class MutantsAreCaughtTests
{
    public static IEnumerable<TestCaseData> Mutants()
        => ServerDefects.All.Select(d => new TestCaseData(d.Name).SetName($"mutant {d.Name} is caught"));

    [Test]
    public void EveryMutantHasExpectedRequirementsAndViceVersa()
    {
        Assert.That(MutantExpectations.Breaks.Keys, Is.EquivalentTo(ServerDefects.Names),
            "MutantExpectations must name exactly the defects of ServerDefects");
        Assert.That(ServerDefects.All, Has.Count.GreaterThanOrEqualTo(15));
    }

    [TestCaseSource(nameof(Mutants))]
    public async Task Caught(string name)
    {
        var defect = ServerDefects.Find(name);
        var expected = MutantExpectations.Breaks[name];
        // A defect that takes the server down is caught where it is triggered, whatever that
        // scenario is about: by the runner's TRANS-2 verdict on the scenario in progress.
        var profile = MutantExpectations.ProfileOf(name);
        var selection = defect.EndsProcess ? MutantRuns.QuickOf(profile) : MutantRuns.TaggedWith(expected, profile);
        Assert.That(selection.Where(s => s.HasTag("@must")), Is.Not.Empty,
            $"no @must scenario is tagged with {string.Join(" or ", expected)}: the suite cannot catch {name}");

        // Caught means a @must scenario fails naming a broken requirement on its first line.
        var results = await MutantRuns.RunAsync(defect, selection, MutantRuns.CaughtNaming(expected), profile);
        var catcher = results.FirstOrDefault(MutantRuns.CaughtNaming(expected));
        if (catcher is null)
        {
            Assert.Fail($"mutant {name} ({defect.Description}) SURVIVED: none of these @must scenarios tagged " +
                        $"{string.Join("/", expected)} failed naming {string.Join(" or ", expected)} on its first line: " +
                        string.Join(", ", results.Select(r => $"{r.Id}={r.Verdict}{(r.Verdict == Runner.Verdict.Fail ? $" [{MutantRuns.FirstLineId(r)}]" : "")}")));
        }

        TestContext.Out.WriteLine($"{name} caught by {catcher!.Id} [{string.Join(" ", catcher.RequirementIds)}]: {catcher.Execution.Message}");
        Assert.That(catcher.RequirementIds.Select(id => id.Value).Intersect(expected), Is.Not.Empty);
    }

    /// <summary>
    /// Isolation and precise ids: against each of these mutants the whole suite (all but @slow)
    /// fails only where a failure's first line names a requirement the mutant breaks. A server
    /// that does not drain rejected bodies, for example, makes no scenario fail naming HDR-6,
    /// HDR-11 or RPC-10.
    /// </summary>
    [TestCase("no-drain-after-error")]
    [TestCase("extra-header-frame-at-4096")]
    [TestCase("lone-surrogate-in-error-header")]
    [TestCase("status-zero-ok")]
    [TestCase("big-endian-length")]
    [TestCase("case-sensitive-field-names")]
    [TestCase("unknown-fields-rejected")]
    [TestCase("eof-mid-frame-ends-body", Category = "slow")]
    [TestCase("rst-ignored", Category = "slow")]
    public async Task EveryFailureNamesTheBrokenRequirement(string name)
    {
        var expected = MutantExpectations.Breaks[name];
        var results = await MutantRuns.RunAsync(ServerDefects.Find(name), MutantRuns.Quick, stopAtFirstMustFailure: false);
        var failed = results.Where(r => r.Verdict is Runner.Verdict.Fail or Runner.Verdict.Warn).ToList();
        Assert.That(failed, Is.Not.Empty, $"{name} survived the whole suite");
        Assert.Multiple(() =>
        {
            foreach (var result in failed)
            {
                Assert.That(MutantRuns.FirstLineId(result), Is.AnyOf(expected.Cast<object>().ToArray()),
                    () => $"{result.Id} failed against {name} naming another requirement: {result.Execution.Message}");
            }
        });
    }

    /// <summary>
    /// A server that ignores RST breaks CONN-2, and the scenario about RST payloads says so, not
    /// FRAME-8: its plain-RST check comes first. The reference passes it.
    /// </summary>
    [Test]
    public async Task A_server_that_ignores_RST_is_named_CONN_2_by_the_RST_payload_scenario()
    {
        var scenario = MutantRuns.Quick.Where(s => s.Id == "frame-rst-payload-not-read").ToList();
        Assert.That(scenario, Has.Count.EqualTo(1));

        var mutant = (await MutantRuns.RunAsync(ServerDefects.Find("rst-ignored"), scenario, stopAtFirstMustFailure: false)).Single();
        Assert.That(mutant.Verdict, Is.EqualTo(Runner.Verdict.Fail));
        Assert.That(MutantRuns.FirstLineId(mutant), Is.EqualTo("CONN-2"), () => mutant.Execution.Message ?? "");

        var reference = (await MutantRuns.RunAsync(null, scenario, stopAtFirstMustFailure: false)).Single();
        Assert.That(reference.Verdict, Is.EqualTo(Runner.Verdict.Pass), () => ConformanceVerdicts.Describe(reference));
    }

    /// <summary>Control: the unmutated reference passes every selection the mutants are judged by, in both profiles.</summary>
    [TestCase(Steps.Wire.KitProfile.P6ab05ee)]
    [TestCase(Steps.Wire.KitProfile.Fa4d209)]
    public async Task ReferenceWithoutDefectPassesTheSameSelections(Steps.Wire.KitProfile profile)
    {
        var selection = MutantRuns.TaggedWith(MutantExpectations.Breaks.Where(b => MutantExpectations.ProfileOf(b.Key) == profile).SelectMany(b => b.Value), profile);
        var results = await MutantRuns.RunAsync(null, selection, stopAtFirstMustFailure: false, profile);
        var failed = results.Where(r => r.Verdict == Runner.Verdict.Fail).ToList();
        Assert.That(results, Has.Count.EqualTo(selection.Count));
        Assert.That(failed, Is.Empty, () => string.Join("\n\n", failed.Select(ConformanceVerdicts.Describe)));
    }
}
