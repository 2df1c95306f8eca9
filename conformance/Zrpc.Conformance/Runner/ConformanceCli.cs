using System.CommandLine;
using System.Globalization;
using System.Reflection;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Reporting;
using Zrpc.Rpc;
using Zrpc.Spec;

namespace Zrpc.Conformance.Runner;

/// <summary>The command line of zrpc-conformance (the contract is docs/runner.md).</summary>
public static class ConformanceCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Assembly? bindingAssembly = null)
    {
        var target = new Option<string[]>("--target")
        { HelpName = "TARGET",
            Description = "Implementation under test: tcp://HOST:PORT, unix:///PATH or exec:COMMAND ARGS (a fresh process per connection). " +
                          "Repeat for a side-by-side matrix. Default: the built-in reference server.",
            AllowMultipleArgumentsPerToken = false,
        };
        var launch = new Option<string[]>("--launch")
        { HelpName = "COMMAND",
            Description = "Start the server under test with COMMAND (split like exec:, no shell), {port} and {address} replaced by a free loopback port and tcp://127.0.0.1:PORT; " +
                          "the kit waits until it accepts connections, restarts it after a crash so that one crash costs one scenario, and stops it (and its process group) at the end. " +
                          "Without --target only this server is tested. Repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var launchTimeout = new Option<double>("--launch-timeout")
        { HelpName = "SECONDS",
            Description = "How long a --launch server may take to accept its first connection, at start and after each restart.",
            DefaultValueFactory = _ => RunSettings.DefaultLaunchTimeout.TotalSeconds,
        };
        var role = new Option<string>("--role")
        { HelpName = "server|client|both",
            Description = "Which side is tested. server (default): --target is a server, @client scenarios are skipped. " +
                          "client: --target is a client driver, exec:COMMAND ARGS with {address} (see CLIENT-DRIVER.md), or reference-client (zrpc client-driver); only @client scenarios run. " +
                          "both: --target servers run the server scenarios, --client-target drivers the @client ones.",
            DefaultValueFactory = _ => ClientRole.Roles.Server,
        };
        role.AcceptOnlyFromAmong(ClientRole.Roles.Server, ClientRole.Roles.Client, ClientRole.Roles.Both);
        var clientTarget = new Option<string[]>("--client-target")
        { HelpName = "TARGET",
            Description = "With --role both (or client): a client driver to test, exec:COMMAND ARGS where {address} becomes the kit's fake server address, " +
                          "or reference-client (zrpc client-driver). Repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var tags = new Option<string>("--tags") { HelpName = "EXPRESSION", Description = "Tag expression (\"@RPC-7 and not @slow\") or a list of tags (\"@RPC-7 @RPC-8\": any of them)." };
        var section = new Option<string[]>("--section") { HelpName = "SECTION", Description = "Run one spec section: feature file name (frame) or requirement area (FRAME). Repeatable." };
        var only = new Option<string[]>("--only") { HelpName = "ID", Description = "Run the scenario with this stable id (an outline's id runs all its rows). Repeatable." };
        var timeout = new Option<double>("--timeout")
        { HelpName = "SECONDS",
            Description = "Per-step timeout in seconds.",
            DefaultValueFactory = _ => RunSettings.DefaultStepTimeout.TotalSeconds,
        };
        var junit = new Option<string>("--junit") { HelpName = "FILE", Description = "Write JUnit XML results to FILE." };
        var json = new Option<string>("--json") { HelpName = "FILE", Description = "Write machine-readable JSON results to FILE." };
        var html = new Option<string>("--html") { HelpName = "FILE", Description = "Write a self-contained HTML report to FILE." };
        var cucumberHtml = new Option<string>("--cucumber-html") { HelpName = "FILE", Description = "Also write Reqnroll's Cucumber HTML report (steps, tags, timings) to FILE." };
        var fuzz = new Option<int>("--fuzz") { HelpName = "N", Description = "Fuzz mode: send N generated cases (valid requests, then a random protocol violation) instead of the scenarios; failures are shrunk and printed with a replay command." };
        var seed = new Option<int?>("--seed") { HelpName = "S", Description = "Seed of --fuzz (default: random, always printed)." };
        var fuzzReplay = new Option<string>("--fuzz-replay") { HelpName = "FILE", Description = "Replay one saved fuzz case (written to artifacts/fuzz/ when a case fails)." };
        var ndjson = new Option<string>("--ndjson") { HelpName = "FILE", Description = "Also write Cucumber Messages (NDJSON) to FILE, for Cucumber tooling." };
        var deviations = new Option<string>("--expect-deviations")
        { HelpName = "FILE",
            Description = "FILE of known failures, one 'ID REASON' per line (scenario or requirement id): listed failures are KNOWN, a listed pass is flagged.",
        };
        var strictDeviations = new Option<bool>("--strict-deviations") { Description = "Fail the run (exit 7) when a scenario listed in --expect-deviations passes, so the list cannot rot." };
        var baseline = new Option<string>("--baseline")
        { HelpName = "FILE",
            Description = "A --json result of an earlier run: the run then fails (exit 6) only on regressions, scenarios that passed in FILE and fail now (per target, by scenario id); fixed, still failing, not run, added and removed scenarios are listed. A FILE that does not exist yet is noted and the run is judged without it.",
        };
        var repeat = new Option<int>("--repeat") { HelpName = "N", Description = "Rerun each failing scenario N more times alone; one whose attempts disagree is FLAKY (exit 8), with every attempt's verdict." };
        var matrix = new Option<bool>("--matrix") { Description = "Print every requirement of the spec against the scenarios that cover it, then exit." };
        var requireCoverage = new Option<bool>("--require-coverage") { Description = "With --matrix: exit 1 when a MUST requirement is covered by nothing." };
        var list = new Option<bool>("--list") { Description = "List the selected scenario ids with their tags, then exit." };
        var features = new Option<string>("--features") { HelpName = "DIR", Description = "Folder of .feature files (default: the scenarios built into the runner)." };
        var spec = new Option<string>("--spec") { HelpName = "DIR", Description = "Folder of the spec's *.md files (default: the copy built into the runner)." };
        var (profile, detectProfile) = (ProfileOptions.CreateProfile(), ProfileOptions.CreateDetect());

        var root = new RootCommand("zrpc-conformance: tests an implementation of the zrpc frame RPC protocol against the spec, scenario by scenario.\n" +
            "Verdicts: PASS, FAIL, WARN (failed SHOULD), SKIP, KNOWN (listed deviation), NOT RUN (the target went down earlier; cites no requirement), FLAKY (--repeat: the attempts disagree). " +
            "A target that crashes or stops accepting connections fails the scenario in progress citing TRANS-2.\n" +
            "Exit codes: 0 no MUST failed; 1 a MUST failed; 2 usage error; 3 nothing selected; 4 a target could not be reached; " +
            "5 a target went down during the run and scenarios were NOT RUN; 6 with --baseline, a scenario regressed; " +
            "7 an expected deviation expired (or, with --strict-deviations, passed); 8 with --repeat, a scenario is FLAKY; with --detect-profile: 0 certain, 9 probable, 10 no profile fits.");
        foreach (var option in new Option[] { target, launch, launchTimeout, role, clientTarget, tags, section, only, timeout, junit, json, html, cucumberHtml, ndjson, fuzz, seed, fuzzReplay, deviations, strictDeviations, baseline, repeat, matrix, requireCoverage, list, features, spec, profile, detectProfile })
        {
            root.Options.Add(option);
        }

        var diffExit = ExitCodes.Success;
        var diffBefore = new Argument<string>("BASELINE") { Description = "The earlier --json result." };
        var diffAfter = new Argument<string>("RESULT") { Description = "The later --json result." };
        var diff = new Command("diff", "Print what changed between two --json results, per target and scenario id. Exit codes: 0 nothing regressed; 6 a scenario that passed in BASELINE fails in RESULT; 2 a file that cannot be read.");
        diff.Arguments.Add(diffBefore);
        diff.Arguments.Add(diffAfter);
        diff.SetAction(pr =>
        {
            try
            {
                var comparison = ResultComparison.Compare(ResultFile.Load(pr.GetValue(diffBefore)!), ResultFile.Load(pr.GetValue(diffAfter)!));
                comparison.Write(output, nameCurrent: true);
                diffExit = comparison.Regressions.Count > 0 ? ExitCodes.Regressed : ExitCodes.Success;
            }
            catch (FormatException e)
            {
                error.WriteLine($"error: {e.Message}");
                diffExit = ExitCodes.UsageError;
            }

            return diffExit;
        });
        root.Subcommands.Add(diff);

        Zrpc.Build.ToolVersion.Install(root, "zrpc-conformance");

        var exitCode = ExitCodes.Success;
        root.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            exitCode = await ExecuteAsync(pr, ct).ConfigureAwait(false);
            return exitCode;
        });

        // "@RPC-7" is a tag here, not a response file: response-file expansion stays off.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                error.WriteLine(parseError.Message);
            }

            error.WriteLine("Run with --help for usage.");
            return ExitCodes.UsageError;
        }

        var invoked = await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }).ConfigureAwait(false);
        if (parsed.CommandResult.Command == diff) return diffExit;
        return invoked == 0 ? exitCode : invoked;

        async Task<int> ExecuteAsync(ParseResult pr, CancellationToken ct)
        {
            ConfigureReqnrollFormatters(pr.GetValue(cucumberHtml), pr.GetValue(ndjson));
            if (pr.GetValue(fuzz) > 0 || pr.GetValue(fuzzReplay) is not null)
            {
                var targetsGiven = pr.GetValue(target) ?? [];
                if ((pr.GetValue(launch) ?? []).Length > 0)
                {
                    error.WriteLine("error: --fuzz tests a running server given with --target; --launch is for the scenarios");
                    return ExitCodes.UsageError;
                }

                if (targetsGiven.Length > 1)
                {
                    error.WriteLine("error: --fuzz takes one --target");
                    return ExitCodes.UsageError;
                }
                return await Fuzz.FuzzCommand.RunAsync(targetsGiven.FirstOrDefault(), pr.GetValue(fuzz), pr.GetValue(seed),
                    pr.GetValue(fuzzReplay), TimeSpan.FromSeconds(pr.GetValue(timeout)), output, ct).ConfigureAwait(false);
            }
            if (pr.GetValue(detectProfile))
            {
                return await ProfileOptions.DetectAsync(pr.GetValue(target) ?? [], Steps.Wire.KitProfiles.Parse(pr.GetValue(profile)!), TimeSpan.FromSeconds(pr.GetValue(timeout)), output, error, ct).ConfigureAwait(false);
            }

            var runProfile = Steps.Wire.KitProfiles.Parse(pr.GetValue(profile)!);
            RequirementCatalog catalog;
            IReadOnlyList<ScenarioCase> scenarios;
            ScenarioSelection selection;
            ExpectedDeviations expected = ExpectedDeviations.None;
            ResultFile? baselineFile = null;
            try
            {
                catalog = pr.GetValue(spec) is { } specDir ? RequirementCatalog.LoadDirectory(specDir) : RequirementCatalog.LoadEmbedded();
                scenarios = pr.GetValue(features) is { } featuresDir ? FeatureLoader.LoadDirectory(featuresDir) : FeatureLoader.LoadEmbedded();
                selection = new ScenarioSelection
                {
                    Tags = pr.GetValue(tags) is { Length: > 0 } expression ? TagExpression.Parse(expression) : null,
                    Sections = pr.GetValue(section) ?? [],
                    Only = pr.GetValue(only) ?? [],
                };
                if (pr.GetValue(deviations) is { } deviationsFile)
                {
                    expected = ExpectedDeviations.Load(deviationsFile);
                }

                if (pr.GetValue(baseline) is { } baselinePath)
                {
                    // A pipeline's first run has no earlier result: it is judged as without --baseline.
                    if (File.Exists(baselinePath))
                    {
                        baselineFile = ResultFile.Load(baselinePath);
                    }
                    else
                    {
                        output.WriteLine($"note: no baseline at {baselinePath} (a first run?): every MUST failure fails the run");
                    }
                }
            }
            catch (Exception e) when (e is FormatException or FeatureLoadException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.UsageError;
            }

            if (pr.GetValue(matrix))
            {
                var root = RepositoryCoverageSources.FindRepositoryRoot(Environment.CurrentDirectory)
                    ?? RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory);
                var coverage = new CoverageMatrix(catalog, [new ScenarioCoverageSource(scenarios), .. RepositoryCoverageSources.From(root)]);
                coverage.Write(output);
                return pr.GetValue(requireCoverage) && coverage.UncoveredMusts.Count > 0 ? ExitCodes.MustFailed : ExitCodes.Success;
            }

            var roleName = pr.GetValue(role) ?? ClientRole.Roles.Server;
            var selected = ClientRole.Roles.ForRole(ProfileOptions.ForProfile(selection.Apply(scenarios), runProfile), roleName);
            if (pr.GetValue(list))
            {
                foreach (var scenario in selected)
                {
                    output.WriteLine($"{scenario.Id}\t{scenario.Section}\t{string.Join(' ', scenario.Tags.Where(t => !t.StartsWith(FeatureLoader.IdTagPrefix, StringComparison.Ordinal)))}\t{scenario.Title}");
                }

                output.WriteLine($"{selected.Count} scenarios");
                return selected.Count == 0 ? ExitCodes.NothingSelected : ExitCodes.Success;
            }

            if (selected.Count == 0)
            {
                error.WriteLine($"error: the selection matched no scenario ({scenarios.Count} loaded)");
                output.WriteLine("0 passed, 0 failed, 0 skipped");
                return ExitCodes.NothingSelected;
            }

            var repeatCount = pr.GetValue(repeat);
            if (repeatCount < 0)
            {
                error.WriteLine("error: --repeat must be 0 or more");
                return ExitCodes.UsageError;
            }

            if (pr.GetValue(strictDeviations) && pr.GetValue(deviations) is null)
            {
                error.WriteLine("error: --strict-deviations needs --expect-deviations FILE");
                return ExitCodes.UsageError;
            }

            var timeoutSeconds = pr.GetValue(timeout);
            if (timeoutSeconds <= 0 || double.IsNaN(timeoutSeconds))
            {
                error.WriteLine("error: --timeout must be a positive number of seconds");
                return ExitCodes.UsageError;
            }

            var launches = (pr.GetValue(launch) ?? []).ToList();
            var targets = pr.GetValue(target) is { Length: > 0 } given ? given.Select(t => (string?)t).ToList()
                : launches.Count > 0 ? [] : [null];
            var launchSeconds = pr.GetValue(launchTimeout);
            if (launchSeconds <= 0 || double.IsNaN(launchSeconds))
            {
                error.WriteLine("error: --launch-timeout must be a positive number of seconds");
                return ExitCodes.UsageError;
            }

            if (launches.Count > 0 && roleName == ClientRole.Roles.Client)
            {
                error.WriteLine("error: --launch starts a server; it needs --role server or --role both");
                return ExitCodes.UsageError;
            }

            foreach (var text in launches)
            {
                try
                {
                    _ = new Adapters.LaunchedServerTarget(text, TimeSpan.FromSeconds(launchSeconds));
                }
                catch (FormatException e)
                {
                    error.WriteLine($"error: {e.Message}");
                    return ExitCodes.UsageError;
                }
            }

            var clientTargets = (pr.GetValue(clientTarget) ?? []).ToList();
            if (roleName == ClientRole.Roles.Client)
            {
                // In the client role --target names client drivers.
                clientTargets = [.. targets.Where(t => t is not null).Select(t => t!), .. clientTargets];
                targets = [];
            }
            else if (roleName == ClientRole.Roles.Server && clientTargets.Count > 0)
            {
                error.WriteLine("error: --client-target needs --role both or --role client");
                return ExitCodes.UsageError;
            }

            if (roleName != ClientRole.Roles.Server && clientTargets.Count == 0)
            {
                error.WriteLine($"error: --role {roleName} needs a client driver: {(roleName == ClientRole.Roles.Client ? "--target" : "--client-target")} 'exec:COMMAND ARGS' with {{address}} in it (see conformance/CLIENT-DRIVER.md)");
                return ExitCodes.UsageError;
            }

            // Parsed once here; the run decides by the kind of each target, never by its text.
            List<Adapters.ClientDriverSpec> clientSpecs;
            List<Adapters.ServerTargetSpec> serverSpecs;
            try
            {
                clientSpecs = clientTargets.Select(Adapters.TargetParser.ParseClient).ToList();
                serverSpecs = targets.Select(Adapters.TargetParser.ParseServer).ToList();
            }
            catch (FormatException e)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.UsageError;
            }

            var settings = new RunSettings
            {
                Targets = serverSpecs,
                ClientTargets = clientSpecs,
                Launch = launches,
                LaunchTimeout = TimeSpan.FromSeconds(launchSeconds),
                StepTimeout = TimeSpan.FromSeconds(timeoutSeconds),
                Deviations = expected,
                Profile = runProfile,
                Repeat = repeatCount,
                BindingAssembly = bindingAssembly ?? typeof(ConformanceCli).Assembly,
            };
            foreach (var unused in expected.Unused(scenarios))
            {
                output.WriteLine($"note: expected deviation '{unused.Id}' (line {unused.Line}) matches no scenario");
            }

            var deviationProblems = expected.Expired.Select(ExpiredMessage).ToList();
            foreach (var problem in deviationProblems)
            {
                output.WriteLine($"error: {problem}");
            }

            var console = new ConsoleReport(output, catalog);
            RunReport report;
            try
            {
                report = await ConformanceRun.RunAsync(selected, settings, catalog, console, ct).ConfigureAwait(false);
            }
            finally
            {
                await ReqnrollSession.EndAllAsync().ConfigureAwait(false);
                try
                {
                    if (pr.GetValue(ndjson) is { Length: > 0 } ndjsonFile) CucumberMessageRepair.RepairNdjson(ndjsonFile);
                    if (pr.GetValue(cucumberHtml) is { Length: > 0 } cucumberFile) CucumberMessageRepair.RepairHtml(cucumberFile);
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or IOException or UnauthorizedAccessException)
                {
                    error.WriteLine($"warning: Reqnroll's Cucumber output was left as written (its step arguments could not be read: {e.Message})");
                }
            }

            if (pr.GetValue(strictDeviations))
            {
                deviationProblems.AddRange(report.AllResults.Where(r => r.UnexpectedPass)
                    .Select(r => $"expected deviation {expected.Find(r.Scenario)?.Describe() ?? $"'{r.Id}'"} is listed, but {r.Id} passes against {r.Target} (--strict-deviations): remove the entry"));
            }

            report = report with
            {
                Identity = RunIdentity.Of(scenarios, Steps.Wire.KitProfiles.Name(settings.Profile)),
                DeviationProblems = deviationProblems,
            };
            if (baselineFile is not null)
            {
                report = report with { Baseline = ResultComparison.Compare(baselineFile, ResultFile.From(report)) };
            }

            if (pr.GetValue(junit) is { } junitFile) JunitReport.Write(report, junitFile);
            if (pr.GetValue(json) is { } jsonFile) JsonReport.Write(report, jsonFile);
            if (pr.GetValue(html) is { } htmlFile) HtmlReport.Write(report, htmlFile);
            console.WriteSummary(report);
            return report.ExitCode;
        }
    }

    /// <summary>The message that fails a run whose deviations list holds an entry past its "until" date.</summary>
    internal static string ExpiredMessage(Deviation entry)
        => $"expected deviation {entry.Describe()} expired on {entry.Until:yyyy-MM-dd}" + (entry.Link is null ? "" : $" ({entry.Link})") +
           ": it no longer excuses a failure; fix the implementation or renew the date";

    internal static string Seconds(TimeSpan value) => value.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Reqnroll's own formatters read their configuration when its test run starts; the
    /// environment variable is how a runner without reqnroll.json switches them on.
    /// </summary>
    private static void ConfigureReqnrollFormatters(string? htmlFile, string? ndjsonFile)
    {
        var formatters = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, file) in new[] { ("html", htmlFile), ("message", ndjsonFile) })
        {
            if (string.IsNullOrEmpty(file)) continue;
            var full = Path.GetFullPath(file);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            formatters[name] = new System.Text.Json.Nodes.JsonObject { ["outputFilePath"] = full };
        }
        if (formatters.Count > 0)
            Environment.SetEnvironmentVariable("REQNROLL_FORMATTERS", new System.Text.Json.Nodes.JsonObject { ["formatters"] = formatters }.ToJsonString());
    }
}
