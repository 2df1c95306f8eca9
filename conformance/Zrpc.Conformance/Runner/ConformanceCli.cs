using System.CommandLine;
using System.Globalization;
using System.Reflection;

namespace Zrpc.Conformance.Runner;

/// <summary>The command line of zrpc-conformance (the contract is docs/runner.md).</summary>
public static class ConformanceCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Assembly? bindingAssembly = null)
    {
        var target = new Option<string[]>("--target")
        {
            HelpName = "TARGET",
            Description = "Implementation under test: tcp://HOST:PORT, unix:///PATH or exec:COMMAND ARGS (a fresh process per connection). " +
                          "Repeat for a side-by-side matrix. Default: the built-in reference server.",
            AllowMultipleArgumentsPerToken = false,
        };
        var launch = new Option<string[]>("--launch")
        {
            HelpName = "COMMAND",
            Description = "Start the server under test with COMMAND (split like exec:, no shell), {port} and {address} replaced by a free loopback port and tcp://127.0.0.1:PORT; " +
                          "the kit waits until it accepts connections, restarts it after a crash so that one crash costs one scenario, and stops it (and its process group) at the end. " +
                          "Without --target only this server is tested. Repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var launchTimeout = new Option<double>("--launch-timeout")
        {
            HelpName = "SECONDS",
            Description = "How long a --launch server may take to accept its first connection, at start and after each restart.",
            DefaultValueFactory = _ => RunSettings.DefaultLaunchTimeout.TotalSeconds,
        };
        var role = new Option<string>("--role")
        {
            HelpName = "server|client|both",
            Description = "Which side is tested. server (default): --target is a server, @client scenarios are skipped. " +
                          "client: --target is a client driver, exec:COMMAND ARGS with {address} (see CLIENT-DRIVER.md), or reference-client (zrpc client-driver); only @client scenarios run. " +
                          "both: --target servers run the server scenarios, --client-target drivers the @client ones.",
            DefaultValueFactory = _ => ClientRole.Roles.Server,
        };
        role.AcceptOnlyFromAmong(ClientRole.Roles.Server, ClientRole.Roles.Client, ClientRole.Roles.Both);
        var clientTarget = new Option<string[]>("--client-target")
        {
            HelpName = "TARGET",
            Description = "With --role both (or client): a client driver to test, exec:COMMAND ARGS where {address} becomes the kit's fake server address, " +
                          "or reference-client (zrpc client-driver). Repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var tags = new Option<string>("--tags") { HelpName = "EXPRESSION", Description = "Tag expression (\"@RPC-7 and not @slow\") or a list of tags (\"@RPC-7 @RPC-8\": any of them)." };
        var section = new Option<string[]>("--section") { HelpName = "SECTION", Description = "Run one spec section: feature file name (frame) or requirement area (FRAME). Repeatable." };
        var only = new Option<string[]>("--only") { HelpName = "ID", Description = "Run the scenario with this stable id (an outline's id runs all its rows). Repeatable." };
        var timeout = new Option<double>("--timeout")
        {
            HelpName = "SECONDS",
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
        {
            HelpName = "FILE",
            Description = "FILE of known failures, one 'ID REASON' per line (scenario or requirement id): listed failures are KNOWN, a listed pass is flagged.",
        };
        var strictDeviations = new Option<bool>("--strict-deviations") { Description = "Fail the run (exit 7) when a scenario listed in --expect-deviations passes, so the list cannot rot." };
        var baseline = new Option<string>("--baseline")
        {
            HelpName = "FILE",
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
            var request = new RunRequest
            {
                Targets = pr.GetValue(target) ?? [],
                Launch = pr.GetValue(launch) ?? [],
                LaunchTimeoutSeconds = pr.GetValue(launchTimeout),
                Role = pr.GetValue(role) ?? ClientRole.Roles.Server,
                ClientTargets = pr.GetValue(clientTarget) ?? [],
                Tags = pr.GetValue(tags),
                Sections = pr.GetValue(section) ?? [],
                Only = pr.GetValue(only) ?? [],
                TimeoutSeconds = pr.GetValue(timeout),
                Junit = pr.GetValue(junit),
                Json = pr.GetValue(json),
                Html = pr.GetValue(html),
                CucumberHtml = pr.GetValue(cucumberHtml),
                Ndjson = pr.GetValue(ndjson),
                Fuzz = pr.GetValue(fuzz),
                Seed = pr.GetValue(seed),
                FuzzReplay = pr.GetValue(fuzzReplay),
                Deviations = pr.GetValue(deviations),
                StrictDeviations = pr.GetValue(strictDeviations),
                Baseline = pr.GetValue(baseline),
                Repeat = pr.GetValue(repeat),
                Matrix = pr.GetValue(matrix),
                RequireCoverage = pr.GetValue(requireCoverage),
                List = pr.GetValue(list),
                Features = pr.GetValue(features),
                Spec = pr.GetValue(spec),
                Profile = pr.GetValue(profile)!,
                DetectProfile = pr.GetValue(detectProfile),
            };
            exitCode = await new RunCommand(request, output, error, bindingAssembly ?? typeof(ConformanceCli).Assembly).ExecuteAsync(ct).ConfigureAwait(false);
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
    }

    /// <summary>The message that fails a run whose deviations list holds an entry past its "until" date.</summary>
    internal static string ExpiredMessage(Deviation entry)
        => $"expected deviation {entry.Describe()} expired on {entry.Until:yyyy-MM-dd}" + (entry.Link is null ? "" : $" ({entry.Link})") +
           ": it no longer excuses a failure; fix the implementation or renew the date";

    internal static string Seconds(TimeSpan value) => value.TotalSeconds.ToString(CultureInfo.InvariantCulture);
}
