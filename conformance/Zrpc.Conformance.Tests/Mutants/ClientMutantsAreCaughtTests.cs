using System.Diagnostics;
using NUnit.Framework;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.NUnit;
using Zrpc.Conformance.Runner;
using Zrpc.SelfTest;

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
        => ClientDefects.All.Where(d => MutantExpectations.ClientBreaks[d.Name].Length > 0)
            .Select(d => new TestCaseData(d.Name).SetName($"client mutant {d.Name} is caught"));

    /// <summary>
    /// A client that cannot make Octets calls (allowed by section 9) says unsupported for them: those
    /// scenarios are SKIP with the driver's reason, never FAIL, and its JSON calls still pass.
    /// </summary>
    [Test]
    public async Task UnsupportedCallsAreSkippedNotFailed()
    {
        var selection = ClientMutantRuns.Quick
            .Where(s => s.Id.StartsWith("client-request-canonical-octets/", StringComparison.Ordinal) || s.Id == "client-request-canonical-json")
            .ToList();
        Assert.That(selection, Has.Count.GreaterThanOrEqualTo(2));
        var results = await ClientMutantRuns.RunAsync(ClientDefects.Find("octets-unsupported"), selection, stopAtFirstMustFailure: false);
        foreach (var result in results)
        {
            if (result.Id == "client-request-canonical-json")
            {
                Assert.That(result.Verdict, Is.EqualTo(Verdict.Pass), () => ConformanceVerdicts.Describe(result));
                continue;
            }

            Assert.That(result.Verdict, Is.EqualTo(Verdict.Skip), () => $"{result.Id}: {ConformanceVerdicts.Describe(result)}");
            Assert.That(result.Execution.Message, Does.StartWith("unsupported by the client: call 1").And.Contain("MarshaledJSON request bodies only"));
        }
    }

    /// <summary>
    /// Each new client mutant fails only @must scenarios whose failure names the requirement it
    /// breaks on the first line: nothing else fails against it.
    /// </summary>
    [TestCase("header-4096-two-frames")]
    [TestCase("json-trailing-text-accepted")]
    [TestCase("header-trailing-text-accepted")]
    [TestCase("short-read-is-whole", Category = "slow")]
    [TestCase("header-cut-at-4096", Category = "slow")]
    [TestCase("crash-on-null-header", Category = "slow")]
    public async Task EveryFailureNamesTheBrokenRequirement(string name)
    {
        var expected = MutantExpectations.ClientBreaks[name];
        // @should scenarios are left out: the mutants' wrapping stream changes what the client's
        // read-ahead holds, so CLI-5 (a SHOULD that depends on it) can truly warn against them.
        var results = await ClientMutantRuns.RunAsync(ClientDefects.Find(name), ClientMutantRuns.Quick.Where(s => s.HasTag("@must")), stopAtFirstMustFailure: false);
        var failed = results.Where(r => r.Verdict is Verdict.Fail).ToList();
        Assert.That(failed, Is.Not.Empty, $"{name} survived the whole client suite");
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
    /// A client driver that crashes is judged like a server that crashes: the scenario during which
    /// it died fails citing CLI-8 (the client's counterpart of TRANS-2) first, then its own ids,
    /// with the exit status and the end of its standard error. Each scenario starts its own driver,
    /// so the scenarios after it keep their own verdicts.
    /// </summary>
    [Test]
    [Category("slow")]
    public async Task A_crashing_client_fails_one_scenario_citing_CLI_8_with_the_evidence()
    {
        var ids = new[] { "client-null-header", "client-error-status/request-error" };
        var selection = ids.Select(id => ClientMutantRuns.Quick.Single(s => s.Id == id)).ToList();
        var results = await ClientMutantRuns.RunAsync(ClientDefects.Find("crash-on-null-header"), selection, stopAtFirstMustFailure: false);

        Assert.That(results.Select(r => r.Verdict), Is.EqualTo(new[] { Verdict.Fail, Verdict.Pass }),
            () => string.Join("\n\n", results.Select(ConformanceVerdicts.Describe)));
        var crashed = results[0];
        Assert.That(crashed.RequirementIds[0].Value, Is.EqualTo("CLI-8"));
        Assert.That(crashed.RequirementIds.Select(id => id.Value), Does.Contain("HDR-5"));
        var message = crashed.Execution.Message!;
        Assert.That(message.Split('\n')[0], Does.StartWith($"[CLI-8] {ClientScenario.ClientCrashText}: it crashed (exit status 134 (128 + 6: SIGABRT)"));
        Assert.That(message, Does.Contain("Unhandled exception").And.Contain("the response header was null"));
    }

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
        var profile = MutantExpectations.ProfileOf(name);
        var selection = ClientMutantRuns.TaggedWith(expected, profile);
        Assert.That(selection.Where(s => s.HasTag("@must")), Is.Not.Empty,
            $"no @must client scenario is tagged with {string.Join(" or ", expected)}: the suite cannot catch {name}");

        // Caught means a @must scenario fails naming a broken requirement on its first line.
        var results = await ClientMutantRuns.RunAsync(defect, selection, MutantRuns.CaughtNaming(expected), profile);
        var catcher = results.FirstOrDefault(MutantRuns.CaughtNaming(expected));
        if (catcher is null)
        {
            Assert.Fail($"client mutant {name} ({defect.Description}) SURVIVED: none of these @must scenarios tagged " +
                        $"{string.Join("/", expected)} failed naming {string.Join(" or ", expected)} on its first line: " +
                        string.Join(", ", results.Select(r => $"{r.Id}={r.Verdict}{(r.Verdict == Verdict.Fail ? $" [{MutantRuns.FirstLineId(r)}]" : "")}")));
        }

        TestContext.Out.WriteLine($"{name} caught by {catcher!.Id} [{string.Join(" ", catcher.Scenario.RequirementIds)}] after {results.Count} scenario(s), {clock.Elapsed.TotalSeconds:0.0} s: {catcher.Execution.Message}");
        Assert.That(catcher.Scenario.RequirementIds.Select(id => id.Value).Intersect(expected), Is.Not.Empty);
    }

    /// <summary>Control: the same driver without a defect passes every selection the mutants are judged by.</summary>
    [TestCase(Steps.Wire.KitProfile.P6ab05ee)]
    [TestCase(Steps.Wire.KitProfile.Fa4d209)]
    public async Task ReferenceClientWithoutDefectPassesTheSameSelections(Steps.Wire.KitProfile profile)
    {
        var selection = ClientMutantRuns.TaggedWith(MutantExpectations.ClientBreaks.Where(b => MutantExpectations.ProfileOf(b.Key) == profile).SelectMany(b => b.Value), profile);
        var results = await ClientMutantRuns.RunAsync(null, selection, stopAtFirstMustFailure: false, profile);
        var failed = results.Where(r => r.Verdict == Verdict.Fail).ToList();
        Assert.That(results, Has.Count.EqualTo(selection.Count));
        Assert.That(failed, Is.Empty, () => string.Join("\n\n", failed.Select(ConformanceVerdicts.Describe)));
    }
}
