using System.Text.Json;
using Zrpc.Conformance.Steps.Wire;
using NUnit.Framework;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Reporting;
using Zrpc.Conformance.Runner;
using Zrpc.Spec;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>
/// A target that dies: the scenario during which it went down is the one FAIL (citing TRANS-2
/// and its own ids, with the evidence), the scenarios after it are NOT RUN and cite nothing, and
/// with --launch the kit restarts the server so every other scenario keeps its own verdict.
/// The crashing server is the mutant crash-on-null-header: in process it closes its listener and
/// connections; under <c>zrpc serve</c> it dies of an unhandled exception.
/// </summary>
[TestFixture]
[Category("target-crash")]
public sealed class TargetCrashTests
{
    private const string CrashingScenario = "hdr-malformed/null";
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "Zrpc.Cli.dll");

    /// <summary>The self-test host: zrpc's serve with a deliberate defect.</summary>
    private static readonly string SelfTest = Path.Combine(AppContext.BaseDirectory, "zrpc-selftest.dll");

    private static readonly Lazy<IReadOnlyList<ScenarioCase>> HeaderSection = new(() =>
        FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory).Where(s => s.Section == "header" && !s.HasTag("@slow")).ToList());

    private static async Task<RunReport> RunInProcessAsync(string? target, ExpectedDeviations? deviations = null)
    {
        var settings = new RunSettings { Targets = [TargetParser.ParseServer(target)], Deviations = deviations ?? ExpectedDeviations.None };
        return await ConformanceRun.RunAsync(HeaderSection.Value, settings, RequirementCatalog.LoadEmbedded(), null, CancellationToken.None);
    }

    [Test]
    public async Task A_server_that_goes_down_gives_one_fail_citing_TRANS_2_and_not_run_for_the_rest()
    {
        var report = await RunInProcessAsync("reference+defect:crash-on-null-header");
        var results = report.AllResults.ToList();
        var crashed = results.FindIndex(r => r.Id == CrashingScenario);
        Assert.That(crashed, Is.GreaterThan(0), "the crashing scenario must run after others, so that NOT RUN and PASS both show");
        Assert.That(crashed, Is.LessThan(results.Count - 1));

        var failures = results.Where(r => r.Verdict == Verdict.Fail).ToList();
        Assert.That(failures.Select(r => r.Id), Is.EqualTo(new[] { CrashingScenario }), "one FAIL, no false ones");
        var failure = failures[0];
        Assert.That(failure.RequirementIds[0].Value, Is.EqualTo("TRANS-2"));
        Assert.That(failure.RequirementIds, Is.SupersetOf(failure.Scenario.RequirementIds));
        Assert.That(failure.Execution.Message!.Split('\n')[0], Does.StartWith("[TRANS-2] the target went down during this scenario")
            .And.Contain("stopped accepting connections").And.Contain("refused"));
        Assert.That(failure.TargetDownEvidence, Is.Not.Null);

        Assert.That(results.Take(crashed).Select(r => r.Verdict), Is.All.EqualTo(Verdict.Pass), "scenarios before the crash keep their verdicts");
        var after = results.Skip(crashed + 1).ToList();
        Assert.That(after.Select(r => r.Verdict), Is.All.EqualTo(Verdict.NotRun));
        Assert.That(after.SelectMany(r => r.RequirementIds), Is.Empty, "NOT RUN cites no requirement");
        Assert.That(after.Select(r => r.Execution.Message), Has.All.StartsWith("NOT RUN: target down"));
        Assert.That(after.Any(r => r.IsMustFailure), Is.False);

        Assert.That(report.ExitCode, Is.EqualTo(ExitCodes.TargetDown));
        Assert.That(report.SummaryLine, Is.EqualTo($"{crashed} passed, 1 failed, 0 skipped, {after.Count} not run (target down)"));
    }

    [TestCase("TRANS-2 our server dies on a null header", Verdict.Known)]
    [TestCase("hdr-malformed/null our server dies on a null header", Verdict.Known)]
    [TestCase("HDR-5 we are lax about header types", Verdict.Fail)]
    public async Task Only_TRANS_2_or_the_scenario_itself_can_excuse_a_crash(string entry, Verdict expected)
    {
        var report = await RunInProcessAsync("reference+defect:crash-on-null-header", ExpectedDeviations.Parse(entry));
        var crashed = report.AllResults.Single(r => r.Id == CrashingScenario);

        Assert.That(crashed.Verdict, Is.EqualTo(expected));
        Assert.That(crashed.RequirementIds[0].Value, Is.EqualTo("TRANS-2"));
        Assert.That(report.ExitCode, Is.EqualTo(ExitCodes.TargetDown), "scenarios were not run, whatever excuses the crash");
    }

    [Test]
    public async Task Reports_count_not_run_on_its_own()
    {
        var report = await RunInProcessAsync("reference+defect:crash-on-null-header");
        var notRun = report.Count(Verdict.NotRun);
        Assert.That(notRun, Is.GreaterThan(0));

        var console = new StringWriter();
        var consoleReport = new ConsoleReport(console, report.Catalog);
        foreach (var target in report.Targets)
        {
            foreach (var result in target.Results)
            {
                consoleReport.ScenarioFinished(result);
            }
        }

        consoleReport.WriteSummary(report);
        var text = console.ToString();
        Assert.That(text, Does.Contain($"FAIL  {CrashingScenario} [TRANS-2 HDR-5"));
        Assert.That(text, Does.Match(@"(?m)^NOT RUN hdr-malformed/empty A malformed header"), "a NOT RUN line shows no requirement ids");
        Assert.That(text, Does.Contain($", {notRun} NOT RUN (target down)"));

        using var json = JsonDocument.Parse(JsonReport.Build(report));
        Assert.That(json.RootElement.GetProperty("summary").GetProperty("notRun").GetInt32(), Is.EqualTo(notRun));
        Assert.That(json.RootElement.GetProperty("summary").GetProperty("failed").GetInt32(), Is.EqualTo(1));
        Assert.That(json.RootElement.GetProperty("summary").GetProperty("exitCode").GetInt32(), Is.EqualTo(ExitCodes.TargetDown));
        var entries = json.RootElement.GetProperty("targets")[0].GetProperty("results").EnumerateArray().ToList();
        var notRunEntry = entries.First(e => e.GetProperty("verdict").GetString() == "NOT RUN");
        Assert.That(notRunEntry.GetProperty("requirements").GetArrayLength(), Is.Zero);
        var failEntry = entries.Single(e => e.GetProperty("verdict").GetString() == "FAIL");
        Assert.That(failEntry.GetProperty("requirements")[0].GetProperty("id").GetString(), Is.EqualTo("TRANS-2"));
        Assert.That(failEntry.GetProperty("targetDown").GetString(), Does.Contain("stopped accepting connections"));

        var junit = JunitReport.Build(report);
        Assert.That(junit.Descendants("failure").Count(), Is.EqualTo(1));
        Assert.That(junit.Descendants("error"), Is.Empty, "a scenario that never ran has not failed");
        var skipped = junit.Descendants("testcase").Where(t => t.Element("skipped") is not null).ToList();
        Assert.That(skipped, Has.Count.EqualTo(notRun));
        Assert.That(skipped.Select(t => (string?)t.Element("skipped")!.Attribute("message")), Has.All.StartsWith("NOT RUN: target down"));
        Assert.That((int?)junit.Root!.Attribute("skipped"), Is.EqualTo(notRun));

        var html = HtmlReport.Build(report);
        Assert.That(html, Does.Contain("<td class=\"NOTRUN\"><a href=").And.Contain($"{notRun} not run (target down)"));
    }

    [Test]
    public async Task With_launch_only_the_crashing_scenario_changes_and_the_server_is_stopped()
    {
        var marker = $"--read-timeout {31 + Random.Shared.Next(1000)}";
        var crashing = await RunCliAsync($"dotnet {SelfTest} serve --listen tcp://127.0.0.1:{{port}} {marker} --defect crash-on-null-header");
        var healthy = await RunCliAsync($"dotnet {Cli} serve --listen {{address}} {marker}");

        Assert.That(healthy.Code, Is.EqualTo(ExitCodes.Success), healthy.Output);
        Assert.That(crashing.Code, Is.EqualTo(ExitCodes.MustFailed), "a restart leaves nothing NOT RUN; the crash is a MUST failure\n" + crashing.Output);
        Assert.That(crashing.Verdicts.Keys, Is.EquivalentTo(healthy.Verdicts.Keys));
        foreach (var (id, verdict) in healthy.Verdicts)
        {
            if (id != CrashingScenario)
            {
                Assert.That(crashing.Verdicts[id].Verdict, Is.EqualTo(verdict.Verdict), $"{id} must keep the verdict it has without the crash");
            }
        }

        var failure = crashing.Verdicts[CrashingScenario];
        Assert.That(failure.Verdict, Is.EqualTo("FAIL"));
        Assert.That(failure.Requirements[0], Is.EqualTo("TRANS-2"));
        Assert.That(failure.Requirements, Does.Contain("HDR-5"));
        Assert.That(failure.Message.Split('\n')[0], Does.StartWith("[TRANS-2] the target went down during this scenario")
            .And.Contain("SIGABRT").And.Contain("Unhandled exception."));
        Assert.That(failure.Message, Does.Contain("the kit started the server again"));

        Assert.That(RunningServers(marker), Is.Empty, "the launched servers are stopped at the end of the run");
    }

    [Test]
    public async Task An_exec_child_that_dies_with_an_unhandled_exception_fails_citing_TRANS_2()
    {
        var result = await RunExecAsync($"exec:dotnet {SelfTest} serve --listen stdio --defect crash-on-null-header", CrashingScenario);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(result.RequirementIds[0].Value, Is.EqualTo("TRANS-2"));
        Assert.That(result.Execution.Message!.Split('\n')[0], Does.StartWith("[TRANS-2] the target crashed during this scenario")
            .And.Contain("SIGABRT").And.Contain(".NET unhandled exception"));
        Assert.That(result.Execution.Message, Does.Contain("the scenario's own steps passed"),
            "over exec: the crash ends only its own connection, so the steps pass: the crash alone is the failure");
    }

    /// <summary>A server whose steps all pass but whose process then panics the way Go does: the panic alone is the failure.</summary>
    [TestCase("printf 'panic: runtime error: invalid memory address or nil pointer dereference\\n\\ngoroutine 1 [running]:\\nmain.main()\\n' >&2; exit 2", true)]
    [TestCase("printf 'Traceback (most recent call last):\\n  File \"server.py\", line 3\\nTypeError: x\\n' >&2; exit 1", true)]
    [TestCase("exit 1", false)]
    [TestCase("printf 'panic: recovered and logged\\n' >&2; exit 0", false)]
    public async Task Crash_text_on_stderr_with_a_failing_exit_status_is_flagged(string afterServing, bool crash)
    {
        var command = $"exec:sh -c 'dotnet {Cli} serve --listen stdio --quiet; {afterServing.Replace("'", "'\\''", StringComparison.Ordinal)}'";
        var result = await RunExecAsync(command, "rpc-ok-response-has-body/json");

        if (crash)
        {
            Assert.That(result.Verdict, Is.EqualTo(Verdict.Fail));
            Assert.That(result.RequirementIds[0].Value, Is.EqualTo("TRANS-2"));
            Assert.That(result.Execution.Message!.Split('\n')[0], Does.StartWith("[TRANS-2] the target crashed").And.Contain("exit status"));
            Assert.That(result.Execution.Message, Does.Contain("its standard error ends with:"));
        }
        else
        {
            // A non-zero status alone is how a stdio server may end a connection; a crash text with status 0 was survived.
            Assert.That(result.Verdict, Is.EqualTo(Verdict.Pass), result.Execution.Message);
            Assert.That(result.RequirementIds.Select(id => id.Value), Does.Not.Contain("TRANS-2"));
        }
    }

    [Test]
    public async Task Launch_needs_a_placeholder_and_reports_a_server_that_never_listens()
    {
        var noPlaceholder = await RunCliAsync("sleep 5", expectJson: false);
        Assert.That(noPlaceholder.Code, Is.EqualTo(ExitCodes.UsageError));
        Assert.That(noPlaceholder.Error, Does.Contain("{port}"));

        var neverListens = await RunCliAsync("sleep 30 {port}", expectJson: false, "--launch-timeout", "1");
        Assert.That(neverListens.Code, Is.EqualTo(ExitCodes.TargetUnreachable));
        Assert.That(neverListens.Output, Does.Contain("did not accept a connection on tcp://127.0.0.1:").And.Contain("within 1 s"));

        var exits = await RunCliAsync("sh -c 'echo cannot bind {port} >&2; exit 3'", expectJson: false);
        Assert.That(exits.Code, Is.EqualTo(ExitCodes.TargetUnreachable));
        Assert.That(exits.Output, Does.Contain("exited before it accepted a connection").And.Contain("exit status 3").And.Contain("cannot bind"));
    }

    /// <summary>
    /// A target found down only when the next scenario cannot open its first connection: the
    /// scenario that ran before gets the TRANS-2 FAIL (revised), the next one is NOT RUN.
    /// </summary>
    [Test]
    public async Task A_target_found_down_by_the_next_scenario_puts_the_failure_on_the_one_before()
    {
        var all = FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory);
        var scenarios = new[] { "rpc-ok-response-has-body/json", "trans-no-greeting", "hdr-absent-and-null-fields" }
            .Select(id => all.Single(s => s.Id == id)).ToList();
        await using var target = new DyingTarget();
        var observer = new KillAfterFirst(target);
        var settings = new RunSettings();

        var results = await ConformanceRun.RunServerScenariosAsync(scenarios, target, settings,
            new ScenarioExecutor(settings.BindingAssembly), observer, CancellationToken.None);

        Assert.That(results.Select(r => r.Verdict), Is.EqualTo(new[] { Verdict.Fail, Verdict.NotRun, Verdict.NotRun }));
        Assert.That(results[0].RequirementIds[0].Value, Is.EqualTo("TRANS-2"));
        Assert.That(results[0].Execution.Message, Does.Contain("found when the next scenario, trans-no-greeting, could not connect")
            .And.Contain("the scenario's own steps passed"));
        Assert.That(observer.Revised.Select(r => r.Id), Is.EqualTo(new[] { scenarios[0].Id }));
    }

    /// <summary>The built-in reference server behind a switch that makes every later connection attempt fail.</summary>
    private sealed class DyingTarget : IServerTarget
    {
        private readonly ReferenceServerTarget _inner = new();

        public bool Dead { get; set; }

        public string Name => "dying reference";

        public string? TargetArgument => null;

        public Task<Stream> ConnectAsync(CancellationToken cancellationToken)
            => Dead ? throw new TargetUnreachableException(Name, "Connection refused") : _inner.ConnectAsync(cancellationToken);

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }

    /// <summary>Kills the target once the first scenario has been reported (after the runner's own check).</summary>
    private sealed class KillAfterFirst(DyingTarget target) : IRunObserver
    {
        public List<ScenarioResult> Revised { get; } = [];

        public void TargetStarted(ITarget started, string? unreachableError)
        {
        }

        public void ScenarioFinished(ScenarioResult result) => target.Dead = true;

        public void ScenarioRevised(ScenarioResult result) => Revised.Add(result);
    }

    [TestCase("panic: runtime error: index out of range [3] with length 3", "Go panic")]
    [TestCase("goroutine 7 [running]:", "Go panic")]
    [TestCase("fatal error: concurrent map writes", "Go runtime fatal error")]
    [TestCase("Unhandled exception. System.NullReferenceException: Object reference not set", ".NET unhandled exception")]
    [TestCase("Traceback (most recent call last):", "Python traceback")]
    [TestCase("thread 'main' panicked at src/main.rs:4:5:", "Rust panic")]
    [TestCase("Exception in thread \"main\" java.lang.NullPointerException", "Java uncaught exception")]
    [TestCase("Segmentation fault (core dumped)", "segmentation fault")]
    public void Crash_texts_are_recognised(string line, string kind)
    {
        var signature = CrashEvidence.FindSignature($"listening on stdio\n{line}\n  at somewhere\n");
        Assert.That(signature, Is.Not.Null);
        Assert.That(signature!.Kind, Is.EqualTo(kind));
        Assert.That(signature.Line, Is.EqualTo(line));
    }

    [TestCase("zrpc serve: connection 4: protocol error [HDR-5]: malformed RPC header")]
    [TestCase("level=error msg=\"cannot decode header\" panicked=false")]
    [TestCase("note: the word panic: in the middle of a line")]
    public void Ordinary_log_lines_are_not_crash_texts(string line)
        => Assert.That(CrashEvidence.FindSignature(line + "\n"), Is.Null);

    [TestCase(139, "SIGSEGV")]
    [TestCase(134, "SIGABRT")]
    [TestCase(135, "SIGBUS")]
    [TestCase(137, null)]
    [TestCase(143, null)]
    [TestCase(1, null)]
    public void Exit_statuses_of_fatal_signals_are_crashes(int status, string? signal)
    {
        Assert.That(CrashEvidence.CrashSignal(status), Is.EqualTo(signal));
        Assert.That(CrashEvidence.Describe(status, null) is not null, Is.EqualTo(signal is not null));
    }

    private sealed record Entry(string Verdict, string[] Requirements, string Message);

    private sealed record CliRun(int Code, string Output, string Error, Dictionary<string, Entry> Verdicts);

    private static async Task<CliRun> RunCliAsync(string launch, bool expectJson = true, params string[] extra)
    {
        var json = Path.Combine(Directory.CreateTempSubdirectory("zrpc-launch-").FullName, "report.json");
        var output = new StringWriter();
        var error = new StringWriter();
        var args = new[] { "--launch", launch, "--section", "header", "--tags", "not @slow", "--json", json }.Concat(extra).ToArray();
        var code = await ConformanceCli.RunAsync(args, output, error);
        var verdicts = new Dictionary<string, Entry>();
        if (expectJson)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(json));
            foreach (var entry in document.RootElement.GetProperty("targets")[0].GetProperty("results").EnumerateArray())
            {
                verdicts[entry.GetProperty("id").GetString()!] = new Entry(
                    entry.GetProperty("verdict").GetString()!,
                    entry.GetProperty("requirements").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToArray(),
                    entry.TryGetProperty("message", out var message) ? message.GetString() ?? "" : "");
            }
        }

        return new CliRun(code, output.ToString(), error.ToString(), verdicts);
    }

    private static async Task<ScenarioResult> RunExecAsync(string target, string scenarioId)
    {
        var scenario = FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory).First(s => s.Id == scenarioId);
        var spec = TargetParser.ParseServer(target);
        var settings = new RunSettings { Targets = [spec] };
        await using var created = spec.Open(KitProfile.P6ab05ee);
        return await ConformanceRun.RunOneAsync(scenario, created, settings, new ScenarioExecutor(settings.BindingAssembly));
    }

    /// <summary>Processes still running whose command line holds <paramref name="marker"/> (Linux /proc).</summary>
    private static List<string> RunningServers(string marker)
    {
        var found = new List<string>();
        if (!Directory.Exists("/proc"))
        {
            return found;
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(marker, StringComparison.Ordinal) && commandLine.Contains("serve", StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(directory)}: {commandLine}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was being looked at.
            }
        }

        return found;
    }
}
