using System.Reflection;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Reporting;
using Zrpc.Spec;

namespace Zrpc.Conformance.Runner;

/// <summary>The values of zrpc-conformance's options for a run (the root command), as parsed.</summary>
public sealed record RunRequest
{
    public string[] Targets { get; init; } = [];
    public string[] Launch { get; init; } = [];
    public double LaunchTimeoutSeconds { get; init; } = RunSettings.DefaultLaunchTimeout.TotalSeconds;
    public string Role { get; init; } = ClientRole.Roles.Server;
    public string[] ClientTargets { get; init; } = [];
    public string? Tags { get; init; }
    public string[] Sections { get; init; } = [];
    public string[] Only { get; init; } = [];
    public double TimeoutSeconds { get; init; } = RunSettings.DefaultStepTimeout.TotalSeconds;
    public string? Junit { get; init; }
    public string? Json { get; init; }
    public string? Html { get; init; }
    public string? CucumberHtml { get; init; }
    public string? Ndjson { get; init; }
    public int Fuzz { get; init; }
    public int? Seed { get; init; }
    public string? FuzzReplay { get; init; }
    public string? Deviations { get; init; }
    public bool StrictDeviations { get; init; }
    public string? Baseline { get; init; }
    public int Repeat { get; init; }
    public bool Matrix { get; init; }
    public bool RequireCoverage { get; init; }
    public bool List { get; init; }
    public string? Features { get; init; }
    public string? Spec { get; init; }
    public string Profile { get; init; } = Steps.Wire.KitProfiles.Default;
    public bool DetectProfile { get; init; }
}

/// <summary>
/// One run of zrpc-conformance's root command, in the order the contract (docs/runner.md) fixes:
/// load the inputs, select the scenarios, validate the run's options, run, report. Each step
/// returns the exit code that ends the command early, or null to go on.
/// </summary>
public sealed class RunCommand(RunRequest request, TextWriter output, TextWriter error, Assembly bindingAssembly)
{
    RequirementCatalog _catalog = RequirementCatalog.Empty;
    IReadOnlyList<ScenarioCase> _scenarios = [];
    ScenarioSelection _selection = new();
    ExpectedDeviations _expected = ExpectedDeviations.None;
    ResultFile? _baseline;
    Steps.Wire.KitProfile _profile;
    ConsoleReport? _console;

    /// <summary>The catalogue the run cites requirements from (after <see cref="Load"/>).</summary>
    public RequirementCatalog Catalog => _catalog;

    /// <summary>The scenarios the run covers (after <see cref="Select"/>).</summary>
    public IReadOnlyList<ScenarioCase> Selected { get; private set; } = [];

    /// <summary>What the run is given to do (after <see cref="Validate"/>).</summary>
    public RunSettings? Settings { get; private set; }

    public async Task<int> ExecuteAsync(CancellationToken ct)
    {
        ConfigureReqnrollFormatters(request.CucumberHtml, request.Ndjson);
        if (request.Fuzz > 0 || request.FuzzReplay is not null) return await FuzzAsync(ct).ConfigureAwait(false);
        if (request.DetectProfile)
        {
            return await ProfileOptions.DetectAsync(request.Targets, Steps.Wire.KitProfiles.Parse(request.Profile), TimeSpan.FromSeconds(request.TimeoutSeconds), output, error, ct).ConfigureAwait(false);
        }

        if (Load() is { } loadExit) return loadExit;
        if (Select() is { } selectExit) return selectExit;
        if (Validate(ct) is { } validateExit) return validateExit;
        var report = await RunAsync(ct).ConfigureAwait(false);
        return Report(report);
    }

    Task<int> FuzzAsync(CancellationToken ct)
    {
        if (request.Launch.Length > 0)
        {
            error.WriteLine("error: --fuzz tests a running server given with --target; --launch is for the scenarios");
            return Task.FromResult(ExitCodes.UsageError);
        }

        if (request.Targets.Length > 1)
        {
            error.WriteLine("error: --fuzz takes one --target");
            return Task.FromResult(ExitCodes.UsageError);
        }

        return Fuzz.FuzzCommand.RunAsync(request.Targets.FirstOrDefault(), request.Fuzz, request.Seed, request.FuzzReplay, TimeSpan.FromSeconds(request.TimeoutSeconds), output, ct);
    }

    /// <summary>Reads the spec, the scenarios, the deviations list and the baseline; a file that cannot be read is a usage error.</summary>
    public int? Load()
    {
        _profile = Steps.Wire.KitProfiles.Parse(request.Profile);
        try
        {
            _catalog = request.Spec is { } specDir ? RequirementCatalog.LoadDirectory(specDir) : RequirementCatalog.LoadEmbedded();
            _scenarios = request.Features is { } featuresDir ? FeatureLoader.LoadDirectory(featuresDir) : FeatureLoader.LoadEmbedded();
            _selection = new ScenarioSelection
            {
                Tags = request.Tags is { Length: > 0 } expression ? TagExpression.Parse(expression) : null,
                Sections = request.Sections,
                Only = request.Only,
            };
            if (request.Deviations is { } deviationsFile)
            {
                _expected = ExpectedDeviations.Load(deviationsFile);
            }

            if (request.Baseline is { } baselinePath)
            {
                // A pipeline's first run has no earlier result: it is judged as without --baseline.
                if (File.Exists(baselinePath))
                {
                    _baseline = ResultFile.Load(baselinePath);
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

        return null;
    }

    /// <summary>Applies the selection, the profile and the role; answers --matrix and --list, and a selection that matches nothing.</summary>
    public int? Select()
    {
        if (request.Matrix)
        {
            var root = RepositoryCoverageSources.FindRepositoryRoot(Environment.CurrentDirectory)
                ?? RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory);
            var coverage = new CoverageMatrix(_catalog, [new ScenarioCoverageSource(_scenarios), .. RepositoryCoverageSources.From(root)]);
            coverage.Write(output);
            return request.RequireCoverage && coverage.UncoveredMusts.Count > 0 ? ExitCodes.MustFailed : ExitCodes.Success;
        }

        Selected = ClientRole.Roles.ForRole(ProfileOptions.ForProfile(_selection.Apply(_scenarios), _profile), request.Role);
        if (request.List)
        {
            foreach (var scenario in Selected)
            {
                output.WriteLine($"{scenario.Id}\t{scenario.Section}\t{string.Join(' ', scenario.Tags.Where(t => !t.StartsWith(FeatureLoader.IdTagPrefix, StringComparison.Ordinal)))}\t{scenario.Title}");
            }

            output.WriteLine($"{Selected.Count} scenarios");
            return Selected.Count == 0 ? ExitCodes.NothingSelected : ExitCodes.Success;
        }

        if (Selected.Count == 0)
        {
            error.WriteLine($"error: the selection matched no scenario ({_scenarios.Count} loaded)");
            output.WriteLine("0 passed, 0 failed, 0 skipped");
            return ExitCodes.NothingSelected;
        }

        return null;
    }

    /// <summary>Checks the options of a run and the targets' forms, and builds <see cref="Settings"/>.</summary>
    public int? Validate(CancellationToken ct)
    {
        if (request.Repeat < 0) return Usage("--repeat must be 0 or more");
        if (request.StrictDeviations && request.Deviations is null) return Usage("--strict-deviations needs --expect-deviations FILE");
        if (request.TimeoutSeconds <= 0 || double.IsNaN(request.TimeoutSeconds)) return Usage("--timeout must be a positive number of seconds");

        var launches = request.Launch.ToList();
        var targets = request.Targets is { Length: > 0 } given ? given.Select(t => (string?)t).ToList()
            : launches.Count > 0 ? [] : [null];
        if (request.LaunchTimeoutSeconds <= 0 || double.IsNaN(request.LaunchTimeoutSeconds)) return Usage("--launch-timeout must be a positive number of seconds");
        if (launches.Count > 0 && request.Role == ClientRole.Roles.Client) return Usage("--launch starts a server; it needs --role server or --role both");

        foreach (var text in launches)
        {
            try
            {
                _ = new Adapters.LaunchedServerTarget(text, TimeSpan.FromSeconds(request.LaunchTimeoutSeconds));
            }
            catch (FormatException e)
            {
                return Usage(e.Message);
            }
        }

        var clientTargets = request.ClientTargets.ToList();
        if (request.Role == ClientRole.Roles.Client)
        {
            // In the client role --target names client drivers.
            clientTargets = [.. targets.Where(t => t is not null).Select(t => t!), .. clientTargets];
            targets = [];
        }
        else if (request.Role == ClientRole.Roles.Server && clientTargets.Count > 0)
        {
            return Usage("--client-target needs --role both or --role client");
        }

        if (request.Role != ClientRole.Roles.Server && clientTargets.Count == 0)
        {
            return Usage($"--role {request.Role} needs a client driver: {(request.Role == ClientRole.Roles.Client ? "--target" : "--client-target")} 'exec:COMMAND ARGS' with {{address}} in it (see conformance/CLIENT-DRIVER.md)");
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
            return Usage(e.Message);
        }

        Settings = new RunSettings
        {
            Targets = serverSpecs,
            ClientTargets = clientSpecs,
            Launch = launches,
            LaunchTimeout = TimeSpan.FromSeconds(request.LaunchTimeoutSeconds),
            StepTimeout = TimeSpan.FromSeconds(request.TimeoutSeconds),
            Deviations = _expected,
            Profile = _profile,
            Repeat = request.Repeat,
            BindingAssembly = bindingAssembly,
        };
        return null;
    }

    int Usage(string message)
    {
        error.WriteLine($"error: {message}");
        return ExitCodes.UsageError;
    }

    /// <summary>Notes the deviations list's unused and expired entries, then runs the selected scenarios against every target.</summary>
    public async Task<RunReport> RunAsync(CancellationToken ct)
    {
        var settings = Settings ?? throw new InvalidOperationException("Validate the options before running");
        foreach (var unused in _expected.Unused(_scenarios))
        {
            output.WriteLine($"note: expected deviation '{unused.Id}' (line {unused.Line}) matches no scenario");
        }

        var deviationProblems = _expected.Expired.Select(ConformanceCli.ExpiredMessage).ToList();
        foreach (var problem in deviationProblems)
        {
            output.WriteLine($"error: {problem}");
        }

        _console = new ConsoleReport(output, _catalog);
        RunReport report;
        try
        {
            report = await ConformanceRun.RunAsync(Selected, settings, _catalog, _console, ct).ConfigureAwait(false);
        }
        finally
        {
            await ReqnrollSession.EndAllAsync().ConfigureAwait(false);
            try
            {
                if (request.Ndjson is { Length: > 0 } ndjsonFile) CucumberMessageRepair.RepairNdjson(ndjsonFile);
                if (request.CucumberHtml is { Length: > 0 } cucumberFile) CucumberMessageRepair.RepairHtml(cucumberFile);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"warning: Reqnroll's Cucumber output was left as written (its step arguments could not be read: {e.Message})");
            }
        }

        if (request.StrictDeviations)
        {
            deviationProblems.AddRange(report.AllResults.Where(r => r.UnexpectedPass)
                .Select(r => $"expected deviation {_expected.Find(r.Scenario)?.Describe() ?? $"'{r.Id}'"} is listed, but {r.Id} passes against {r.Target} (--strict-deviations): remove the entry"));
        }

        report = report with
        {
            Identity = RunIdentity.Of(_scenarios, Steps.Wire.KitProfiles.Name(settings.Profile)),
            DeviationProblems = deviationProblems,
        };
        if (_baseline is not null)
        {
            report = report with { Baseline = ResultComparison.Compare(_baseline, ResultFile.From(report)) };
        }

        return report;
    }

    /// <summary>
    /// Reqnroll's own formatters read their configuration when its test run starts; the
    /// environment variable is how a runner without reqnroll.json switches them on.
    /// </summary>
    static void ConfigureReqnrollFormatters(string? htmlFile, string? ndjsonFile)
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

    /// <summary>Writes the report files asked for and the console summary; the run's exit code.</summary>
    public int Report(RunReport report)
    {
        if (request.Junit is { } junitFile) JunitReport.Write(report, junitFile);
        if (request.Json is { } jsonFile) JsonReport.Write(report, jsonFile);
        if (request.Html is { } htmlFile) HtmlReport.Write(report, htmlFile);
        (_console ?? new ConsoleReport(output, _catalog)).WriteSummary(report);
        return report.ExitCode;
    }
}
