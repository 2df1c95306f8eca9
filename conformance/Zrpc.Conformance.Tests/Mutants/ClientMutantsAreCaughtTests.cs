using System.Diagnostics;
using NUnit.Framework;
using Zrpc.Conformance.Runner;
using Zrpc.Conformance.Tests.Suite;
using Zrpc.Mutants;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>
/// The kit tests itself, client side: every
/// deliberately broken reference client (<c>zrpc client-driver --defect NAME</c>) must fail at
/// least one @must client scenario that cites a requirement the defect breaks. A mutant that
/// survives is a gap in the client scenarios, to be fixed there. Mutants run in parallel: each
/// is mostly waiting for driver processes and the clients' timeouts.
/// </summary>
[TestFixture]
[Category("mutants")]
[Parallelizable(ParallelScope.Children)]
public sealed class ClientMutantsAreCaughtTests
{
    public static IEnumerable<TestCaseData> Mutants()
        => ClientDefects.All.Select(d => new TestCaseData(d.Name).SetName($"client mutant {d.Name} is caught"));

    [Test]
    public void EveryClientMutantHasExpectedRequirementsAndViceVersa()
    {
        Assert.That(MutantExpectations.ClientBreaks.Keys, Is.EquivalentTo(ClientDefects.Names),
            "MutantExpectations.ClientBreaks must name exactly the defects of ClientDefects");
        Assert.That(ClientDefects.All, Has.Count.GreaterThanOrEqualTo(10));
    }

    [TestCaseSource(nameof(Mutants))]
    public async Task Caught(string name)
    {
        var clock = Stopwatch.StartNew();
        var defect = ClientDefects.Find(name);
        var expected = MutantExpectations.ClientBreaks[name];
        var selection = ClientMutantRuns.TaggedWith(expected);
        Assert.That(selection.Where(s => s.HasTag("@must")), Is.Not.Empty,
            $"no @must client scenario is tagged with {string.Join(" or ", expected)}: the suite cannot catch {name}");

        var results = await ClientMutantRuns.RunAsync(defect, selection, stopAtFirstMustFailure: true);
        var catcher = results.FirstOrDefault(MutantRuns.IsMustFailure);
        if (catcher is null)
        {
            Assert.Fail($"client mutant {name} ({defect.Description}) SURVIVED: none of these @must scenarios tagged " +
                        $"{string.Join("/", expected)} failed: {string.Join(", ", results.Select(r => $"{r.Id}={r.Verdict}"))}");
        }

        TestContext.Out.WriteLine($"{name} caught by {catcher!.Id} [{string.Join(" ", catcher.Scenario.RequirementIds)}] after {results.Count} scenario(s), {clock.Elapsed.TotalSeconds:0.0} s: {catcher.Execution.Message}");
        Assert.That(catcher.Scenario.RequirementIds.Intersect(expected), Is.Not.Empty);
    }

    /// <summary>Control: the same driver without a defect passes every selection the mutants are judged by.</summary>
    [Test]
    public async Task ReferenceClientWithoutDefectPassesTheSameSelections()
    {
        var selection = ClientMutantRuns.TaggedWith(MutantExpectations.ClientBreaks.Values.SelectMany(ids => ids));
        var results = await ClientMutantRuns.RunAsync(null, selection, stopAtFirstMustFailure: false);
        var failed = results.Where(r => r.Verdict == Verdict.Fail).ToList();
        Assert.That(results, Has.Count.EqualTo(selection.Count));
        Assert.That(failed, Is.Empty, () => string.Join("\n\n", failed.Select(FailureText.Describe)));
    }
}
