using System.Globalization;
using System.Reflection;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Driver;
using Zrpc.Spec;

namespace Zrpc.Conformance.Runner;

/// <summary>Settings of one run of the suite.</summary>
public sealed class RunSettings
{
    public static readonly TimeSpan DefaultStepTimeout = TimeSpan.FromSeconds(5);

    /// <summary>--target values; null or "reference" is the built-in reference server.</summary>
    public IReadOnlyList<string?> Targets { get; init; } = [null];

    /// <summary>Client driver targets (exec:COMMAND ARGS with {address}); they run only the @client scenarios.</summary>
    public IReadOnlyList<string> ClientTargets { get; init; } = [];

    public TimeSpan StepTimeout { get; init; } = DefaultStepTimeout;

    public ExpectedDeviations Deviations { get; init; } = ExpectedDeviations.None;

    /// <summary>Assembly with the step bindings; Zrpc.Conformance itself unless a test supplies samples.</summary>
    public Assembly BindingAssembly { get; init; } = typeof(ConformanceRun).Assembly;

    /// <summary>How the replay command starts the runner.</summary>
    public string ReplayPrefix { get; init; } = "dotnet run --project conformance/Zrpc.Conformance --";
}

/// <summary>The results of all selected scenarios against one target.</summary>
public sealed record TargetRun(string Name, string? TargetArgument, IReadOnlyList<ScenarioResult> Results, string? UnreachableError);

/// <summary>A whole run: every target, the scenarios, and the catalog used to cite requirements.</summary>
public sealed record RunReport(IReadOnlyList<TargetRun> Targets, IReadOnlyList<ScenarioCase> Scenarios, RequirementCatalog Catalog)
{
    public IEnumerable<ScenarioResult> AllResults => Targets.SelectMany(t => t.Results);

    public int Count(Verdict verdict) => AllResults.Count(r => r.Verdict == verdict);

    /// <summary>
    /// Exit code per the contract: 4 when a target was unreachable, 1 when a MUST scenario
    /// failed, 3 when nothing was selected, otherwise 0.
    /// </summary>
    public int ExitCode
    {
        get
        {
            if (Targets.Any(t => t.UnreachableError is not null)) return ExitCodes.TargetUnreachable;
            if (AllResults.Any(r => r.IsMustFailure)) return ExitCodes.MustFailed;
            if (Scenarios.Count == 0) return ExitCodes.NothingSelected;
            return ExitCodes.Success;
        }
    }

    /// <summary>The closing line: <c>N passed, N failed, N skipped</c> (WARN counts as passed; KNOWN is reported separately).</summary>
    public string SummaryLine
        => $"{Count(Verdict.Pass) + Count(Verdict.Warn)} passed, {Count(Verdict.Fail)} failed, {Count(Verdict.Skip)} skipped";
}

/// <summary>Runs scenarios against targets and classifies the outcomes.</summary>
public static class ConformanceRun
{
    public static async Task<RunReport> RunAsync(
        IReadOnlyList<ScenarioCase> scenarios,
        RunSettings settings,
        RequirementCatalog catalog,
        IRunObserver? observer,
        CancellationToken cancellationToken)
    {
        var executor = new ScenarioExecutor(settings.BindingAssembly);
        var runs = new List<TargetRun>();
        var all = settings.Targets.Select(t => (Text: t, Client: false)).Concat(settings.ClientTargets.Select(t => ((string?)t, true)));
        foreach (var (targetText, isClient) in all)
        {
            // Server targets run the server-role scenarios, client drivers the @client ones.
            var applicable = scenarios.Where(s => s.HasTag(Roles.ClientRoleTag) == isClient).ToList();
            if (applicable.Count == 0) continue;
            await using var target = isClient ? ClientDriverTarget.Create(targetText!) : Targets.Create(targetText);
            var unreachable = await ProbeAsync(target, cancellationToken).ConfigureAwait(false);
            observer?.TargetStarted(target, unreachable);
            if (unreachable is not null)
            {
                runs.Add(new TargetRun(target.Name, target.TargetArgument, [], unreachable));
                continue;
            }

            var results = new List<ScenarioResult>();
            foreach (var scenario in applicable)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = await RunOneAsync(scenario, target, settings, executor).ConfigureAwait(false);
                results.Add(result);
                observer?.ScenarioFinished(result);
            }

            runs.Add(new TargetRun(target.Name, target.TargetArgument, results, null));
        }

        return new RunReport(runs, scenarios, catalog);
    }

    /// <summary>Runs one scenario against one target (the NUnit driver calls this per test case).</summary>
    public static async Task<ScenarioResult> RunOneAsync(ScenarioCase scenario, ITarget target, RunSettings settings, ScenarioExecutor executor)
    {
        var replay = ReplayCommand(settings, target.TargetArgument, scenario.Id, clientRole: target is ClientDriverTarget);
        await using var context = new TargetContext(target, settings.StepTimeout, replay);
        var execution = await executor.RunAsync(scenario, context).ConfigureAwait(false);
        var (verdict, reason, unexpectedPass) = settings.Deviations.Classify(scenario, execution);
        return new ScenarioResult
        {
            Scenario = scenario,
            Target = target.Name,
            Verdict = verdict,
            Execution = execution,
            Traffic = context.Traffic.FormatAnnotatedHex(),
            StandardError = context.StandardErrorText,
            Notes = context.Notes,
            ReplayCommand = replay,
            DeviationReason = reason,
            UnexpectedPass = unexpectedPass,
        };
    }

    /// <summary>Opens and closes one connection; returns why the target is unreachable, or null.</summary>
    public static async Task<string?> ProbeAsync(ITarget target, CancellationToken cancellationToken)
    {
        if (target is ClientDriverTarget driver)
        {
            return await driver.ProbeAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var stream = await target.ConnectAsync(cancellationToken).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch (TargetUnreachableException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return $"cannot connect to target {target.Name}: {e.Message}";
        }
    }

    public static string ReplayCommand(RunSettings settings, string? targetArgument, string scenarioId, bool clientRole = false)
    {
        var command = settings.ReplayPrefix;
        if (clientRole)
        {
            command += " --role client";
        }

        if (targetArgument is not null)
        {
            command += " --target " + ShellQuote(targetArgument);
        }

        command += " --only " + ShellQuote(scenarioId);
        if (settings.StepTimeout != RunSettings.DefaultStepTimeout)
        {
            command += " --timeout " + settings.StepTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        }

        return command;
    }

    /// <summary>Quotes for a POSIX shell when needed, so the replay line can be pasted as is.</summary>
    public static string ShellQuote(string text)
        => text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:@%+=,".Contains(c))
            ? text
            : "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>Receives results while a run is in progress (the console report prints as it goes).</summary>
public interface IRunObserver
{
    void TargetStarted(ITarget target, string? unreachableError);

    void ScenarioFinished(ScenarioResult result);
}
