using NUnit.Framework;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>The runner's exit-code contract and report lines, driven with the sample features and bindings.</summary>
public sealed class CliTests
{
    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var all = new[] { "--features", SampleRun.SamplesDirectory, "--timeout", "2" }.Concat(args).ToArray();
        // The samples folder also holds invalid/; point at a folder with only the valid sample.
        all[1] = ValidSamples.Value;
        var code = await ConformanceCli.RunAsync(all, output, error, typeof(CliTests).Assembly);
        return (code, output.ToString(), error.ToString());
    }

    private static readonly Lazy<string> ValidSamples = new(() =>
    {
        var directory = Directory.CreateTempSubdirectory("zrpc-samples-").FullName;
        File.Copy(SampleRun.SampleFeature, Path.Combine(directory, "sample.feature"));
        return directory;
    });

    [Test]
    public async Task A_selection_that_matches_nothing_exits_3()
    {
        var (code, output, error) = await Run("--only", "no-such-scenario");

        Assert.That(code, Is.EqualTo(ExitCodes.NothingSelected));
        Assert.That(error, Does.Contain("matched no scenario"));
        Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("0 passed, 0 failed, 0 skipped"));
    }

    [Test]
    public async Task An_unreachable_target_exits_4()
    {
        var (code, output, _) = await Run("--target", "tcp://127.0.0.1:1", "--only", "sample-pass");

        Assert.That(code, Is.EqualTo(ExitCodes.TargetUnreachable));
        Assert.That(output, Does.Contain("UNREACHABLE: cannot connect to target tcp://127.0.0.1:1"));
    }

    [Test]
    public async Task A_program_that_cannot_start_is_unreachable()
    {
        var (code, _, _) = await Run("--target", "exec:/nonexistent/zrpc-server", "--only", "sample-pass");

        Assert.That(code, Is.EqualTo(ExitCodes.TargetUnreachable));
    }

    [TestCase("--no-such-option")]
    [TestCase("--timeout", "soon")]
    [TestCase("--tags", "@a and")]
    [TestCase("--target", "http://example.invalid")]
    public async Task A_usage_error_exits_2(params string[] args)
    {
        var (code, _, _) = await Run(args);

        Assert.That(code, Is.EqualTo(ExitCodes.UsageError));
    }

    [Test]
    public async Task A_passing_selection_exits_0_with_the_summary_line()
    {
        var (code, output, _) = await Run("--only", "sample-pass", "--only", "sample-outline");

        Assert.That(code, Is.EqualTo(ExitCodes.Success), output);
        Assert.That(output, Does.Contain("PASS  sample-outline/2"));
        Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("4 passed, 0 failed, 0 skipped"));
    }

    [Test]
    public async Task A_failed_must_exits_1_and_reports_requirement_message_and_replay()
    {
        var (code, output, _) = await Run("--only", "sample-fail", "--only", "sample-pass");

        Assert.That(code, Is.EqualTo(ExitCodes.MustFailed));
        Assert.That(output, Does.Contain("FAIL  sample-fail [FRAME-6]"));
        Assert.That(output, Does.Contain("FRAME-6 (MUST)"));
        Assert.That(output, Does.Contain("expected the counter to be 4, saw 3"));
        Assert.That(output, Does.Contain("replay: dotnet run --project conformance/Zrpc.Conformance -- --only sample-fail --timeout 2"));
        Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("1 passed, 1 failed, 0 skipped"));
    }

    [Test]
    public async Task Warnings_skips_and_known_deviations_do_not_fail_the_run()
    {
        var deviations = Path.Combine(ValidSamples.Value, "deviations.txt");
        File.WriteAllText(deviations, "sample-fail counter arithmetic is off\nsample-pass listed but fine\n");

        var (code, output, _) = await Run("--expect-deviations", deviations,
            "--only", "sample-fail", "--only", "sample-pass", "--only", "sample-should-fail", "--only", "sample-skip");

        Assert.That(code, Is.EqualTo(ExitCodes.Success), output);
        Assert.That(output, Does.Contain("KNOWN sample-fail"));
        Assert.That(output, Does.Contain("WARN  sample-should-fail"));
        Assert.That(output, Does.Contain("SKIP  sample-skip"));
        Assert.That(output, Does.Contain("fixed? remove it from the list"));
        Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("2 passed, 0 failed, 1 skipped"));
    }

    [Test]
    public async Task Reqnroll_cucumber_reports_are_written_by_the_runner_process()
    {
        // A separate process: Reqnroll reads its formatter settings once per test run.
        var directory = Directory.CreateTempSubdirectory("zrpc-cucumber-").FullName;
        var html = Path.Combine(directory, "cucumber.html");
        var ndjson = Path.Combine(directory, "messages.ndjson");
        var (code, stdout, stderr) = await RunnerProcess.RunAsync("--only", "trans-no-greeting", "--cucumber-html", html, "--ndjson", ndjson);
        Assert.That(code, Is.EqualTo(ExitCodes.Success), stdout + stderr);
        var messages = File.ReadAllLines(ndjson);
        Assert.That(messages.Count(l => l.Contains("\"testCaseFinished\"")), Is.EqualTo(1));
        Assert.That(messages.Count(l => l.Contains("\"status\":\"PASSED\"")), Is.GreaterThanOrEqualTo(3), "one result per step");
        Assert.That(messages.Any(l => l.Contains("\"status\":\"FAILED\"")), Is.False);
        Assert.That(File.ReadAllText(html), Does.Contain("trans-no-greeting").Or.Contain("The server says nothing before the first request"));
    }

    [Test]
    public async Task Cucumber_messages_of_several_targets_keep_every_run_apart()
    {
        // Two targets, one of them broken: each target's run is a test case of its own, every
        // start has its finish, no pickle id repeats, and the failures are in the stream (a report
        // built from it must not say "passed" over them).
        var directory = Directory.CreateTempSubdirectory("zrpc-cucumber-").FullName;
        var ndjson = Path.Combine(directory, "messages.ndjson");
        var (code, stdout, stderr) = await RunnerProcess.RunSelfTestAsync("--target", "reference", "--target", "reference+defect:rst-ignored",
            "--only", "conn-rst-first", "--only", "conn-rst-at-boundary", "--ndjson", ndjson);
        Assert.That(code, Is.EqualTo(ExitCodes.MustFailed), stdout + stderr);

        var kinds = new List<(string Kind, System.Text.Json.JsonElement Body)>();
        foreach (var line in File.ReadAllLines(ndjson))
        {
            using var message = System.Text.Json.JsonDocument.Parse(line);
            var property = message.RootElement.EnumerateObject().Single();
            kinds.Add((property.Name, property.Value.Clone()));
        }

        string[] Ids(string kind, string field) => kinds.Where(k => k.Kind == kind).Select(k => k.Body.GetProperty(field).GetString()!).ToArray();
        Assert.That(Ids("testCase", "id"), Has.Length.EqualTo(4).And.Unique, "two scenarios x two targets");
        Assert.That(Ids("testCaseStarted", "testCaseId"), Is.EquivalentTo(Ids("testCase", "id")), "each test case starts once");
        Assert.That(Ids("testCaseFinished", "testCaseStartedId"), Is.EquivalentTo(Ids("testCaseStarted", "id")), "each start has its finish");
        Assert.That(Ids("pickle", "id"), Is.Unique, "every pickle of both copies of the feature");
        Assert.That(Ids("gherkinDocument", "uri"), Has.Length.EqualTo(2).And.Unique, "each target's run has its own copy of the feature");
        var failed = kinds.Count(k => k.Kind == "testStepFinished" && k.Body.GetProperty("testStepResult").GetProperty("status").GetString() == "FAILED");
        Assert.That(failed, Is.EqualTo(2), "the broken target fails both scenarios, the reference none");
    }

    [Test]
    public async Task Report_files_are_written()
    {
        var junit = Path.Combine(ValidSamples.Value, "r.xml");
        var json = Path.Combine(ValidSamples.Value, "r.json");
        var html = Path.Combine(ValidSamples.Value, "r.html");

        var (code, _, _) = await Run("--only", "sample-fail", "--only", "sample-pass", "--junit", junit, "--json", json, "--html", html);

        Assert.That(code, Is.EqualTo(ExitCodes.MustFailed));
        var xml = System.Xml.Linq.XDocument.Load(junit);
        Assert.That(xml.Descendants("testcase").Select(t => (string?)t.Attribute("name")), Is.EquivalentTo(new[] { "sample-fail", "sample-pass" }));
        Assert.That(xml.Descendants("failure").Single().Attribute("message")!.Value, Does.Contain("saw 3"));
        using var parsed = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.That(parsed.RootElement.GetProperty("summary").GetProperty("failed").GetInt32(), Is.EqualTo(1));
        Assert.That(File.ReadAllText(html), Does.Contain("sample-fail").And.Contain("<td class=\"FAIL\">"));
    }

    [Test]
    public async Task Two_targets_give_a_matrix()
    {
        var (code, output, _) = await Run("--target", "reference", "--target", "reference", "--only", "sample-pass");

        Assert.That(code, Is.EqualTo(ExitCodes.Success), output);
        Assert.That(output, Does.Contain("matrix (scenario x target):"));
        Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("2 passed, 0 failed, 0 skipped"));
    }

    [Test]
    public async Task List_prints_ids_without_running()
    {
        var (code, output, _) = await Run("--list", "--tags", "@FRAME-6");

        Assert.That(code, Is.EqualTo(ExitCodes.Success));
        Assert.That(output, Does.StartWith("sample-fail\t"));
        Assert.That(output, Does.Contain("1 scenarios"));
    }
}
