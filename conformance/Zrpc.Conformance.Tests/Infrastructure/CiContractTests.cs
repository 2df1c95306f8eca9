using System.Text.Json;
using System.Xml.Linq;
using NUnit.Framework;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Reporting;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>
/// The runner's CI contract: --baseline fails only on regressions, diff names them, the result
/// file says which kit judged it, expected deviations expire, --strict-deviations, and --repeat
/// reports FLAKY with every attempt.
/// </summary>
[TestFixture]
public sealed class CiContractTests
{
    // Three quick scenarios of the connection section; the rst-ignored defect fails exactly the first
    // two, each after a step's silence: a short step timeout keeps that quick.
    private static readonly string[] Selection = ["--only", "conn-rst-first", "--only", "conn-rst-mid-body", "--only", "conn-eof-after-header", "--timeout", "2"];

    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("zrpc-ci-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    private string File(string name) => Path.Combine(_directory, name);

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await ConformanceCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static async Task<(int Code, string Output, string Error)> RunSamples(string featureText, params string[] args)
    {
        var directory = Directory.CreateTempSubdirectory("zrpc-ci-samples-").FullName;
        try
        {
            await System.IO.File.WriteAllTextAsync(Path.Combine(directory, "ci.feature"), featureText);
            var output = new StringWriter();
            var error = new StringWriter();
            var code = await ConformanceCli.RunAsync(["--features", directory, "--timeout", "2", .. args], output, error, typeof(CiContractTests).Assembly);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task A_baseline_run_exits_0_on_itself_and_6_naming_exactly_the_new_failures_which_diff_shows()
    {
        var (first, firstOutput, _) = await Run([.. Selection, "--json", File("previous.json")]);
        Assert.That(first, Is.EqualTo(ExitCodes.Success), firstOutput);

        var (same, sameOutput, _) = await Run([.. Selection, "--baseline", File("previous.json"), "--json", File("same.json")]);
        Assert.That(same, Is.EqualTo(ExitCodes.Success), sameOutput);
        Assert.That(sameOutput, Does.Contain("no regression against the baseline"));
        Assert.That(sameOutput, Does.Contain("compared with the baseline: 0 regressed, 0 newly flaky, 0 fixed"));

        var (broken, brokenOutput, _) = await Run([.. Selection, "--target", "reference+defect:rst-ignored", "--baseline", File("previous.json"),
            "--json", File("broken.json"), "--junit", File("broken.xml"), "--html", File("broken.html")]);
        Assert.That(broken, Is.EqualTo(ExitCodes.Regressed), brokenOutput);
        Assert.That(brokenOutput, Does.Contain("regressions against the baseline: conn-rst-first conn-rst-mid-body\n").Or.Contain("regressions against the baseline: conn-rst-mid-body conn-rst-first\n"));
        Assert.That(brokenOutput, Does.Contain("REGRESSED     conn-rst-first  PASS -> FAIL"));
        Assert.That(brokenOutput, Does.Not.Contain("REGRESSED     conn-eof-after-header"));
        Assert.That(brokenOutput, Does.Contain("is compared with the baseline's target 'reference (in-process)' (same position)"));

        // Every report format says it.
        using (var json = JsonDocument.Parse(await System.IO.File.ReadAllTextAsync(File("broken.json"))))
        {
            var baseline = json.RootElement.GetProperty("baseline");
            Assert.That(baseline.GetProperty("counts").GetProperty("regressed").GetInt32(), Is.EqualTo(2));
            var regressed = baseline.GetProperty("changes").EnumerateArray().Where(c => c.GetProperty("change").GetString() == "regressed")
                .Select(c => c.GetProperty("id").GetString()).ToArray();
            Assert.That(regressed, Is.EquivalentTo(new[] { "conn-rst-first", "conn-rst-mid-body" }));
            Assert.That(json.RootElement.GetProperty("summary").GetProperty("exitCode").GetInt32(), Is.EqualTo(ExitCodes.Regressed));
        }

        var junit = XDocument.Load(File("broken.xml"));
        var baselineSuite = junit.Descendants("testsuite").Single(s => (string?)s.Attribute("name") == "baseline");
        Assert.That(baselineSuite.Descendants("failure").Single().Attribute("message")!.Value,
            Does.StartWith("2 regressed against the baseline:").And.Contain("conn-rst-first").And.Contain("conn-rst-mid-body").And.Not.Contain("conn-eof-after-header"));
        var regressedCase = junit.Descendants("testcase").Single(t => (string?)t.Attribute("name") == "conn-rst-first");
        Assert.That(regressedCase.Descendants("property").Single().Attribute("value")!.Value, Is.EqualTo("regressed (PASS -> FAIL)"));
        var html = await System.IO.File.ReadAllTextAsync(File("broken.html"));
        Assert.That(html, Does.Contain("2 regressed against the baseline").And.Contain("<td>REGRESSED</td><td>reference with defect rst-ignored (in-process)</td><td>conn-rst-first</td>"));

        // diff names the same two; a diff of two equal runs exits 0.
        var (diff, diffOutput, _) = await Run("diff", File("previous.json"), File("broken.json"));
        Assert.That(diff, Is.EqualTo(ExitCodes.Regressed), diffOutput);
        Assert.That(diffOutput.Split('\n').Where(l => l.TrimStart().StartsWith("REGRESSED", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]),
            Is.EquivalentTo(new[] { "conn-rst-first", "conn-rst-mid-body" }));
        Assert.That(diffOutput, Does.Contain("result:   " + File("broken.json")));
        var (equal, equalOutput, _) = await Run("diff", File("previous.json"), File("same.json"));
        Assert.That(equal, Is.EqualTo(ExitCodes.Success), equalOutput);
        Assert.That(equalOutput, Does.Contain("0 regressed"));

        // Back to the good server against the broken run as baseline: the two are fixed, nothing fails.
        var (repaired, repairedOutput, _) = await Run([.. Selection, "--baseline", File("broken.json")]);
        Assert.That(repaired, Is.EqualTo(ExitCodes.Success), repairedOutput);
        Assert.That(repairedOutput, Does.Contain("FIXED         conn-rst-first  FAIL -> PASS"));
    }

    [Test]
    [Category("slow")]
    public async Task Without_a_baseline_the_same_failures_exit_1_and_failures_already_in_the_baseline_do_not_fail()
    {
        var (first, firstOutput, _) = await Run([.. Selection, "--target", "reference+defect:rst-ignored", "--json", File("broken.json")]);
        Assert.That(first, Is.EqualTo(ExitCodes.MustFailed), firstOutput);

        var (again, againOutput, _) = await Run([.. Selection, "--target", "reference+defect:rst-ignored", "--baseline", File("broken.json")]);
        Assert.That(again, Is.EqualTo(ExitCodes.Success), againOutput);
        Assert.That(againOutput, Does.Contain("STILL FAILING conn-rst-first  FAIL -> FAIL"));
        Assert.That(againOutput.TrimEnd().Split('\n')[^1], Is.EqualTo("1 passed, 2 failed, 0 skipped"), "the failures are still reported");
    }

    [Test]
    public async Task The_json_result_records_kit_version_profile_and_catalogue_hash()
    {
        var (code, output, _) = await Run("--only", "conn-eof-after-header", "--json", File("r.json"));
        Assert.That(code, Is.EqualTo(ExitCodes.Success), output);

        using var json = JsonDocument.Parse(await System.IO.File.ReadAllTextAsync(File("r.json")));
        var kit = json.RootElement.GetProperty("kit");
        var informational = typeof(ConformanceCli).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+');
        var (version, commit) = (informational[0], informational.Length > 1 ? informational[1] : "unknown");
        Assert.That(kit.GetProperty("version").GetString(), Is.EqualTo(version));
        Assert.That(kit.GetProperty("commit").GetString(), Is.EqualTo(commit));
        Assert.That(kit.GetProperty("profile").GetString(), Is.EqualTo("6ab05ee"));
        Assert.That(kit.GetProperty("catalogueHash").GetString(), Is.EqualTo(RunIdentity.HashOf(FeatureLoader.LoadEmbedded())).And.Length.EqualTo(16));
        var target = json.RootElement.GetProperty("targets")[0];
        Assert.That(target.GetProperty("profile").GetString(), Is.EqualTo("6ab05ee"));
        Assert.That(target.GetProperty("catalogueHash").GetString(),
            Is.EqualTo(RunIdentity.HashOf(FeatureLoader.LoadEmbedded().Where(s => s.Id == "conn-eof-after-header"))));
    }

    [Test]
    public void The_catalogue_hash_follows_ids_and_step_texts_only()
    {
        const string feature = "Feature: f\n\n  @id:a @must\n  Scenario: A\n    Given a step\n\n  @id:b @must\n  Scenario: B\n    Given b step\n";
        string Hash(string text) => RunIdentity.HashOf(FeatureLoader.ParseFeature("x.feature", "x.feature", text));

        Assert.That(Hash(feature), Is.EqualTo(Hash(feature)));
        Assert.That(Hash(feature.Replace("Scenario: A", "Scenario: Another title").Replace("@must", "@should")), Is.EqualTo(Hash(feature)), "titles and tags are not the catalogue");
        Assert.That(Hash(feature.Replace("Given a step", "Given a changed step")), Is.Not.EqualTo(Hash(feature)));
        Assert.That(Hash(feature.Replace("@id:b", "@id:c")), Is.Not.EqualTo(Hash(feature)));
    }

    [Test]
    public async Task A_baseline_of_another_kit_version_and_catalogue_is_compared_by_id_with_added_and_removed_listed()
    {
        var (code, output, _) = await Run([.. Selection, "--json", File("previous.json")]);
        Assert.That(code, Is.EqualTo(ExitCodes.Success), output);
        var text = await System.IO.File.ReadAllTextAsync(File("previous.json"));
        var edited = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        edited["kit"]!["version"] = "0.0.1-older";
        edited["kit"]!["catalogueHash"] = "0000000000000000";
        var results = edited["targets"]![0]!["results"]!.AsArray();
        results.Single(r => (string?)r!["id"] == "conn-eof-after-header")!["id"] = "conn-retired-scenario";
        await System.IO.File.WriteAllTextAsync(File("older.json"), edited.ToJsonString());

        var (compared, comparedOutput, _) = await Run([.. Selection, "--baseline", File("older.json")]);

        Assert.That(compared, Is.EqualTo(ExitCodes.Success), comparedOutput);
        Assert.That(comparedOutput, Does.Contain("the baseline was written by kit 0.0.1-older"));
        Assert.That(comparedOutput, Does.Contain("the scenario catalogue differs (baseline 0000000000000000"));
        Assert.That(comparedOutput, Does.Contain("ADDED         conn-eof-after-header  - -> PASS"));
        Assert.That(comparedOutput, Does.Contain("REMOVED       conn-retired-scenario  PASS -> -"));
    }

    [Test]
    public async Task A_baseline_file_that_does_not_exist_yet_is_noted_and_every_failure_counts()
    {
        var (code, output, _) = await Run([.. Selection, "--target", "reference+defect:rst-ignored", "--baseline", File("first-run/conformance.json")]);

        Assert.That(code, Is.EqualTo(ExitCodes.MustFailed), output);
        Assert.That(output, Does.Contain($"note: no baseline at {File("first-run/conformance.json")} (a first run?)"));
        Assert.That(output, Does.Not.Contain("compared with the baseline"));
    }

    [Test]
    public async Task An_unreadable_baseline_is_a_usage_error_naming_the_file()
    {
        await System.IO.File.WriteAllTextAsync(File("bad.json"), "{\"summary\": {}}");
        var (code, _, error) = await Run("--only", "conn-eof-after-header", "--baseline", File("bad.json"));
        Assert.That(code, Is.EqualTo(ExitCodes.UsageError));
        Assert.That(error, Does.Contain(File("bad.json")).And.Contain("no \"targets\" array"));

        var (diff, _, diffError) = await Run("diff", File("bad.json"), File("missing.json"));
        Assert.That(diff, Is.EqualTo(ExitCodes.UsageError));
        Assert.That(diffError, Does.Contain("bad.json"));
    }

    // --- comparison rules ---------------------------------------------------------------------

    private static ResultFile Results(string name, params (string Id, string Verdict)[] verdicts)
        => new("f", "1.0.0", "6ab05ee", "h", [new ResultTarget(name, null, null, verdicts.ToDictionary(v => v.Id, v => v.Verdict), verdicts.Select(v => v.Id).ToList())]);

    [TestCase("PASS", "FAIL", ChangeKind.Regressed)]
    [TestCase("WARN", "FAIL", ChangeKind.Regressed)]
    [TestCase("PASS", "FLAKY", ChangeKind.Flaky)]
    [TestCase("FAIL", "PASS", ChangeKind.Fixed)]
    [TestCase("KNOWN", "PASS", ChangeKind.Fixed)]
    [TestCase("FAIL", "FAIL", ChangeKind.StillFailing)]
    [TestCase("FAIL", "KNOWN", ChangeKind.StillFailing)]
    [TestCase("PASS", "NOT RUN", ChangeKind.NotRun)]
    [TestCase("NOT RUN", "FAIL", ChangeKind.Changed)]
    [TestCase("SKIP", "FAIL", ChangeKind.Changed)]
    [TestCase("PASS", "SKIP", ChangeKind.Changed)]
    [TestCase(null, "FAIL", ChangeKind.Added)]
    public void Verdict_changes_are_classified(string? before, string after, ChangeKind expected)
        => Assert.That(ResultComparison.Classify(before, after), Is.EqualTo(expected));

    [Test]
    public void An_unchanged_verdict_is_not_a_change()
    {
        Assert.That(ResultComparison.Classify("PASS", "PASS"), Is.Null);
        Assert.That(ResultComparison.Classify("SKIP", "SKIP"), Is.Null);
    }

    [Test]
    public void Only_a_pass_that_fails_now_is_a_regression_and_targets_pair_by_name_before_position()
    {
        var baseline = new ResultFile("b", null, null, null,
        [
            new ResultTarget("tcp://a", null, null, new Dictionary<string, string> { ["x"] = "PASS", ["y"] = "PASS" }, ["x", "y"]),
            new ResultTarget("tcp://b", null, null, new Dictionary<string, string> { ["x"] = "FAIL", ["y"] = "PASS" }, ["x", "y"]),
        ]);
        var current = new ResultFile("c", "1.0.0", "6ab05ee", "h",
        [
            new ResultTarget("tcp://b", null, null, new Dictionary<string, string> { ["x"] = "FAIL", ["y"] = "NOT RUN" }, ["x", "y"]),
            new ResultTarget("tcp://a", null, null, new Dictionary<string, string> { ["x"] = "FAIL", ["y"] = "PASS" }, ["x", "y"]),
        ]);

        var comparison = ResultComparison.Compare(baseline, current);

        Assert.That(comparison.Regressions.Select(c => (c.Target, c.Id)), Is.EqualTo(new[] { ("tcp://a", "x") }));
        Assert.That(comparison.Of(ChangeKind.StillFailing).Select(c => (c.Target, c.Id)), Is.EqualTo(new[] { ("tcp://b", "x") }));
        Assert.That(comparison.Of(ChangeKind.NotRun).Select(c => (c.Target, c.Id)), Is.EqualTo(new[] { ("tcp://b", "y") }), "NOT RUN is listed, not a regression");
        Assert.That(comparison.Notes, Has.Some.Contains("records no version"));
    }

    [Test]
    public void A_target_the_baseline_did_not_test_is_listed_as_added_not_regressed()
    {
        var comparison = ResultComparison.Compare(
            Results("tcp://a", ("x", "PASS")),
            new ResultFile("c", "1.0.0", "6ab05ee", "h",
            [
                new ResultTarget("tcp://a", null, null, new Dictionary<string, string> { ["x"] = "PASS" }, ["x"]),
                new ResultTarget("tcp://new", null, null, new Dictionary<string, string> { ["x"] = "FAIL" }, ["x"]),
            ]));

        Assert.That(comparison.Regressions, Is.Empty);
        Assert.That(comparison.Of(ChangeKind.Added).Select(c => c.Target), Is.EqualTo(new[] { "tcp://new" }));
        Assert.That(comparison.Notes, Has.Some.Contains("'tcp://new' is not in the baseline"));
    }

    // --- expected deviations ------------------------------------------------------------------

    [Test]
    public void A_deviation_entry_carries_a_link_and_an_expiry_date()
    {
        var deviations = ExpectedDeviations.Parse(
            "CONN-5  no read timeout yet https://example.org/issues/12 until 2027-03-01\n" +
            "conn-rst-first  until 2027-03-01 our RST handling\n" +
            "[{\"id\": \"x\"}]".Replace("[{\"id\": \"x\"}]", "frame-x plain reason\n"));

        Assert.That(deviations.Entries[0], Is.EqualTo(new Deviation("CONN-5", "no read timeout yet", 1, "https://example.org/issues/12", new DateOnly(2027, 3, 1))));
        Assert.That(deviations.Entries[1], Is.EqualTo(new Deviation("conn-rst-first", "our RST handling", 2, null, new DateOnly(2027, 3, 1))));
        Assert.That(deviations.Entries[2].Until, Is.Null);

        var plain = ExpectedDeviations.Parse("CONN-5 broken until upstream fixes it\n").Entries.Single();
        Assert.That((plain.Reason, plain.Until), Is.EqualTo(("broken until upstream fixes it", (DateOnly?)null)), "'until' before a word that is no date is part of the reason");

        var json = ExpectedDeviations.Parse("[{\"id\": \"CONN-5\", \"reason\": \"r\", \"link\": \"https://example.org/1\", \"until\": \"2027-03-01\"}]");
        Assert.That(json.Entries[0], Is.EqualTo(new Deviation("CONN-5", "r", 1, "https://example.org/1", new DateOnly(2027, 3, 1))));
    }

    [TestCase("CONN-5 reason until 2027-13-01", "deviations:1: 'until 2027-13-01' is not a date")]
    [TestCase("CONN-5 until 2027-03-01", "deviations:1: 'CONN-5 until 2027-03-01' has no reason")]
    [TestCase("[{\"id\": \"CONN-5\", \"reason\": \"r\", \"until\": \"March\"}]", "deviations: entry 1: 'until March' is not a date")]
    public void A_bad_expiry_date_is_refused_naming_the_entry(string text, string message)
        => Assert.That(() => ExpectedDeviations.Parse(text), Throws.TypeOf<FormatException>().With.Message.Contains(message));

    [Test]
    public void An_expired_entry_excuses_nothing_from_the_day_after_its_date()
    {
        var deviations = ExpectedDeviations.Parse("sample-fail counter is off until 2027-03-01\n");
        var failed = new ScenarioExecution(ExecutionStatus.Failed, "boom", null, null, false, TimeSpan.Zero, "");

        Assert.That(deviations.AsOf(new DateOnly(2027, 3, 1)).Classify(SampleRun.Find("sample-fail"), failed).Verdict, Is.EqualTo(Verdict.Known));
        Assert.That(deviations.AsOf(new DateOnly(2027, 3, 1)).Expired, Is.Empty);
        Assert.That(deviations.AsOf(new DateOnly(2027, 3, 2)).Classify(SampleRun.Find("sample-fail"), failed).Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(deviations.AsOf(new DateOnly(2027, 3, 2)).Expired.Single().Id, Is.EqualTo("sample-fail"));
    }

    private const string SampleFeature =
        "Feature: CI contract samples\n\n" +
        "  @id:ci-pass @FRAME-1 @must\n  Scenario: passes\n    Given a sample counter at 1\n    Then the sample counter is 1\n\n" +
        "  @id:ci-fail @FRAME-6 @must\n  Scenario: fails every time\n    Given a sample counter at 1\n    Then the sample counter is 2\n";

    [Test]
    public async Task An_expired_deviation_fails_the_run_with_exit_7_naming_the_entry()
    {
        await System.IO.File.WriteAllTextAsync(File("deviations.txt"), "# known\nci-pass listed long ago https://example.org/7 until 2020-01-01\n");

        var (code, output, _) = await RunSamples(SampleFeature, "--only", "ci-pass", "--expect-deviations", File("deviations.txt"), "--junit", File("r.xml"));

        Assert.That(code, Is.EqualTo(ExitCodes.DeviationsOutOfDate), output);
        Assert.That(output, Does.Contain("error: expected deviation 'ci-pass' (line 2) expired on 2020-01-01 (https://example.org/7): it no longer excuses a failure"));
        Assert.That(XDocument.Load(File("r.xml")).Descendants("failure").Single().Attribute("message")!.Value, Does.Contain("'ci-pass' (line 2) expired on 2020-01-01"));
    }

    [Test]
    public async Task An_expired_deviation_turns_its_failure_back_into_FAIL()
    {
        await System.IO.File.WriteAllTextAsync(File("deviations.txt"), "ci-fail known until 2020-01-01\n");

        var (code, output, _) = await RunSamples(SampleFeature, "--only", "ci-fail", "--expect-deviations", File("deviations.txt"));

        Assert.That(code, Is.EqualTo(ExitCodes.MustFailed), output);
        Assert.That(output, Does.Contain("FAIL  ci-fail"));
        Assert.That(output, Does.Contain("expired on 2020-01-01"));
    }

    [Test]
    public async Task Strict_deviations_fail_the_run_when_a_listed_scenario_passes()
    {
        await System.IO.File.WriteAllTextAsync(File("deviations.txt"), "ci-pass was broken until 2999-01-01\nci-fail still broken\n");

        var (lenient, lenientOutput, _) = await RunSamples(SampleFeature, "--expect-deviations", File("deviations.txt"));
        Assert.That(lenient, Is.EqualTo(ExitCodes.Success), lenientOutput);

        var (strict, strictOutput, _) = await RunSamples(SampleFeature, "--expect-deviations", File("deviations.txt"), "--strict-deviations");
        Assert.That(strict, Is.EqualTo(ExitCodes.DeviationsOutOfDate), strictOutput);
        Assert.That(strictOutput, Does.Contain("error: expected deviation 'ci-pass' (line 1) is listed, but ci-pass passes against reference (in-process) (--strict-deviations): remove the entry"));
        Assert.That(strictOutput, Does.Not.Contain("expected deviation 'ci-fail'"));
    }

    [Test]
    public async Task Strict_deviations_without_a_deviations_file_is_a_usage_error()
    {
        var (code, _, error) = await RunSamples(SampleFeature, "--strict-deviations");
        Assert.That(code, Is.EqualTo(ExitCodes.UsageError));
        Assert.That(error, Does.Contain("--strict-deviations needs --expect-deviations"));
    }

    // --- --repeat -----------------------------------------------------------------------------

    [Test]
    public async Task Repeat_reports_a_scenario_whose_attempts_disagree_as_FLAKY_in_every_format()
    {
        var key = Guid.NewGuid().ToString("N");
        var feature = SampleFeature + $"\n  @id:ci-flaky @FRAME-2 @must\n  Scenario: fails once\n    Given the sample step keyed {key} fails only the first time\n";

        var (code, output, _) = await RunSamples(feature, "--repeat", "2", "--json", File("r.json"), "--junit", File("r.xml"), "--html", File("r.html"));

        Assert.That(code, Is.EqualTo(ExitCodes.MustFailed), "ci-fail fails every attempt: a failure, which outranks FLAKY\n" + output);
        Assert.That(output, Does.Contain("FLAKY ci-flaky after 3 attempts against reference (in-process): FAIL, PASS, PASS"));
        Assert.That(output, Does.Contain("FAIL  ci-fail after 3 attempts against reference (in-process): FAIL, FAIL, FAIL"));
        Assert.That(output, Does.Contain(", 1 FLAKY"));
        Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("1 passed, 1 failed, 0 skipped, 1 flaky"));

        using var json = JsonDocument.Parse(await System.IO.File.ReadAllTextAsync(File("r.json")));
        Assert.That(json.RootElement.GetProperty("summary").GetProperty("flaky").GetInt32(), Is.EqualTo(1));
        Assert.That(json.RootElement.GetProperty("summary").GetProperty("failed").GetInt32(), Is.EqualTo(1));
        var flaky = json.RootElement.GetProperty("targets")[0].GetProperty("results").EnumerateArray().Single(r => r.GetProperty("id").GetString() == "ci-flaky");
        Assert.That(flaky.GetProperty("verdict").GetString(), Is.EqualTo("FLAKY"));
        Assert.That(flaky.GetProperty("attempts").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "FAIL", "PASS", "PASS" }));

        var junit = XDocument.Load(File("r.xml"));
        var flakyCase = junit.Descendants("testcase").Single(t => (string?)t.Attribute("name") == "ci-flaky");
        Assert.That(flakyCase.Elements("failure"), Is.Empty, "FLAKY is not counted as a failure");
        Assert.That(flakyCase.Elements("flakyFailure").Single().Attribute("message")!.Value, Does.StartWith("attempt 1: FAIL"));
        Assert.That((int)junit.Root!.Attribute("failures")!, Is.EqualTo(1));

        Assert.That(await System.IO.File.ReadAllTextAsync(File("r.html")), Does.Contain("<td>ci-flaky</td><td>FAIL, PASS, PASS</td>").And.Contain("class=\"FLAKY\""));
    }

    [Test]
    public async Task A_FLAKY_scenario_alone_exits_8()
    {
        var key = Guid.NewGuid().ToString("N");
        var feature = $"Feature: f\n\n  @id:ci-flaky @FRAME-2 @must\n  Scenario: fails once\n    Given the sample step keyed {key} fails only the first time\n";

        var (code, output, _) = await RunSamples(feature, "--repeat", "1");

        Assert.That(code, Is.EqualTo(ExitCodes.Flaky), output);
        Assert.That(output, Does.Contain("FLAKY ci-flaky after 2 attempts"));
    }

    [Test]
    public async Task Without_repeat_a_scenario_is_run_once()
    {
        var key = Guid.NewGuid().ToString("N");
        var feature = $"Feature: f\n\n  @id:ci-flaky @FRAME-2 @must\n  Scenario: fails once\n    Given the sample step keyed {key} fails only the first time\n";

        var (code, output, _) = await RunSamples(feature);

        Assert.That(code, Is.EqualTo(ExitCodes.MustFailed), output);
        Assert.That(output, Does.Not.Contain("attempts"));
    }

    // --- Cucumber messages --------------------------------------------------------------------

    [Test]
    public void Empty_step_arguments_are_dropped_from_cucumber_messages_and_the_others_kept()
    {
        var envelope = System.Text.Json.Nodes.JsonNode.Parse(
            "{\"testCase\":{\"id\":\"t\",\"testSteps\":[{\"stepMatchArgumentsLists\":[{\"stepMatchArguments\":[" +
            "{\"group\":{\"children\":[],\"start\":17,\"value\":\"Fail\"},\"parameterTypeName\":\"string\"}," +
            "{\"group\":{\"children\":[],\"start\":30,\"value\":\"\"},\"parameterTypeName\":\"string\"}," +
            "{\"group\":{\"children\":[]},\"parameterTypeName\":\"string\"}]}]}]}}");

        Assert.That(CucumberMessageRepair.Repair(envelope), Is.True);
        var arguments = envelope!["testCase"]!["testSteps"]![0]!["stepMatchArgumentsLists"]![0]!["stepMatchArguments"]!.AsArray();
        Assert.That(arguments.Select(a => (string?)a!["group"]!["value"]), Is.EqualTo(new[] { "Fail" }));
        Assert.That(CucumberMessageRepair.Repair(envelope), Is.False, "nothing left to repair");
    }

    [Test]
    public void The_messages_embedded_in_the_cucumber_html_are_repaired_in_place()
    {
        var path = File("cucumber.html");
        System.IO.File.WriteAllText(path,
            "<html><body>\n<script>\nwindow.CUCUMBER_MESSAGES = [{\"pickle\":{\"name\":\"\\x3Cjson>\"}},{\"testCase\":{\"testSteps\":[{\"stepMatchArgumentsLists\":[{\"stepMatchArguments\":[" +
            "{\"group\":{\"start\":3,\"value\":\"\"}}]}]}]}}];\n</script>\n</body></html>\n");

        CucumberMessageRepair.RepairHtml(path);

        var lines = System.IO.File.ReadAllLines(path);
        var messages = lines.Single(l => l.StartsWith("window.CUCUMBER_MESSAGES = ", StringComparison.Ordinal));
        Assert.That(messages, Does.Contain("\"stepMatchArguments\":[]"));
        Assert.That(messages, Does.Not.Contain("<"), "no '<' that could end the script");
        using var parsed = JsonDocument.Parse(messages["window.CUCUMBER_MESSAGES = ".Length..^1]);
        Assert.That(parsed.RootElement[0].GetProperty("pickle").GetProperty("name").GetString(), Is.EqualTo("<json>"));
        Assert.That(lines[^1], Is.EqualTo("</body></html>"));
    }
}
