using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.Spec;

namespace Zrpc.Conformance.Runner;

/// <summary>Runs scenarios against targets and classifies the outcomes.</summary>
public static partial class ConformanceRun
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
        var all = settings.Targets.Select(t => (Create: (Func<ITarget>)(() => t.Open(settings.Profile)), Client: false))
            .Concat(settings.Launch.Select(c => (Create: (Func<ITarget>)(() => new LaunchedServerTarget(c, settings.LaunchTimeout)), Client: false)))
            .Concat(settings.ClientTargets.Select(t => (Create: (Func<ITarget>)(() => t.Open(settings.Profile)), Client: true)));
        foreach (var (create, isClient) in all)
        {
            // Server targets run the server-role scenarios, client drivers the @client ones.
            IReadOnlyList<ScenarioCase> applicable = scenarios.Where(s => s.HasTag(Roles.ClientRoleTag) == isClient).ToList();
            if (applicable.Count == 0) continue;
            await using var target = create();
            if (runs.Count > 0)
            {
                applicable = FeatureLoader.ForRun(applicable, $"target {runs.Count + 1}: {target.Name}");
            }

            var unreachable = await ProbeAsync(target, cancellationToken).ConfigureAwait(false);
            observer?.TargetStarted(target, unreachable);
            if (unreachable is not null)
            {
                runs.Add(new TargetRun(target.Name, target.TargetArgument, [], unreachable));
                continue;
            }

            var results = target switch
            {
                IClientTarget client => await RunClientScenariosAsync(applicable, client, settings, executor, observer, cancellationToken).ConfigureAwait(false),
                IServerTarget server => await RunServerScenariosAsync(applicable, server, settings, executor, observer, cancellationToken).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"target {target.Name} is neither a server nor a client target"),
            };
            if (settings.Repeat > 0)
            {
                results = await RepeatFailuresAsync(results, target, runs.Count + 1, settings, executor, observer, cancellationToken).ConfigureAwait(false);
            }

            var hint = target is IServerTarget probed ? await ProfileMismatchHintAsync(results, probed, settings, cancellationToken).ConfigureAwait(false) : null;
            runs.Add(new TargetRun(target.Name, target.TargetArgument, hint is null ? results : WithHint(results, hint), null) { ProfileHint = hint });
        }

        return new RunReport(runs, scenarios, catalog);
    }

    /// <summary>
    /// --repeat N: reruns each FAIL and WARN alone N times (after the target's run, so no other
    /// scenario runs in between) and records every attempt's verdict; a scenario whose attempts
    /// disagree becomes FLAKY. A scenario during which the target went down is not rerun, nor is
    /// anything once the target is down.
    /// </summary>
    public static async Task<List<ScenarioResult>> RepeatFailuresAsync(
        List<ScenarioResult> results, ITarget target, int targetNumber, RunSettings settings, ScenarioExecutor executor, IRunObserver? observer, CancellationToken cancellationToken)
    {
        if (results.Any(r => r.Verdict == Verdict.NotRun)) return results;
        var repeated = new List<ScenarioResult>(results.Count);
        foreach (var result in results)
        {
            if (result.Verdict is not (Verdict.Fail or Verdict.Warn) || result.TargetDownEvidence is not null)
            {
                repeated.Add(result);
                continue;
            }

            var attempts = new List<Verdict> { result.Verdict };
            for (var attempt = 1; attempt <= settings.Repeat; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // A copy of the feature of its own, so that Cucumber messages keep every attempt apart.
                var copy = FeatureLoader.ForRun([result.Scenario], $"target {targetNumber} rerun {attempt}: {target.Name}")[0];
                var again = await RunOneAsync(copy, target, settings, executor).ConfigureAwait(false);
                attempts.Add(again.Verdict);
            }

            var revised = result with
            {
                Attempts = attempts,
                Verdict = attempts.Distinct().Count() > 1 ? Verdict.Flaky : result.Verdict,
            };
            repeated.Add(revised);
            observer?.ScenarioRepeated(revised);
        }

        return repeated;
    }

    private static async Task<List<ScenarioResult>> RunClientScenariosAsync(
        IReadOnlyList<ScenarioCase> scenarios, IClientTarget target, RunSettings settings, ScenarioExecutor executor, IRunObserver? observer, CancellationToken cancellationToken)
    {
        var results = new List<ScenarioResult>();
        foreach (var scenario in scenarios)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await RunOneAsync(scenario, target, settings, executor).ConfigureAwait(false);
            results.Add(result);
            observer?.ScenarioFinished(result);
        }

        return results;
    }

    /// <summary>
    /// Runs the server-role scenarios and watches the target: after each scenario (for exec:
    /// only when a connection could not be opened) the kit checks that the target still accepts
    /// connections. When it does not, the scenario that was running is a FAIL citing TRANS-2;
    /// a launched server is started again and the run goes on, any other target is down and the
    /// scenarios left are NOT RUN.
    /// </summary>
    /// <param name="stopAfter">Optional: the run ends after the first result for which it is true (the mutant tests stop once a mutant is caught).</param>
    public static async Task<List<ScenarioResult>> RunServerScenariosAsync(
        IReadOnlyList<ScenarioCase> scenarios, IServerTarget target, RunSettings settings, ScenarioExecutor executor, IRunObserver? observer,
        CancellationToken cancellationToken, Func<ScenarioResult, bool>? stopAfter = null)
    {
        var results = new List<ScenarioResult>();
        var watchAlways = target is not TransportTarget { IsExec: true };
        string? down = null;
        var retried = false;
        for (var i = 0; i < scenarios.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var scenario = scenarios[i];
            if (down is not null)
            {
                var skipped = NotRun(scenario, target, settings, down);
                results.Add(skipped);
                observer?.ScenarioFinished(skipped);
                continue;
            }

            var started = DateTime.UtcNow;
            var result = await RunOneAsync(scenario, target, settings, executor).ConfigureAwait(false);
            var evidence = watchAlways || result.ConnectFailure is not null
                ? await CheckDownAsync(target, cancellationToken).ConfigureAwait(false)
                : null;
            if (evidence is null && watchAlways && target is not ReferenceServerTarget
                && (result.Execution.Status == ExecutionStatus.Failed || result.TargetEndedAConnection))
            {
                // A crash can take a moment to finish (a runtime formats its stack trace first):
                // look again before the next scenario could be blamed for it.
                if (target is LaunchedServerTarget settling)
                {
                    await settling.WaitForExitAsync(settings.CrashSettleTime, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(settings.CrashSettleTime, cancellationToken).ConfigureAwait(false);
                }

                evidence = await CheckDownAsync(target, cancellationToken).ConfigureAwait(false);
            }

            if (evidence is null)
            {
                retried = false;
                results.Add(result);
                observer?.ScenarioFinished(result);
                if (stopAfter?.Invoke(result) == true) break;
                continue;
            }

            string? restartError = null;
            var restarted = false;
            if (target is LaunchedServerTarget launched)
            {
                restartError = await launched.RestartAsync(cancellationToken).ConfigureAwait(false);
                restarted = restartError is null;
            }

            var aftermath = restarted
                ? "the kit started the server again for the next scenarios"
                : restartError is not null
                    ? $"the kit could not start it again, so the scenarios after this one were not run: {restartError}"
                    : "the scenarios after this one were not run (NOT RUN: target down); with --launch the kit starts the server itself and restarts it after a crash";
            var wentDownBefore = (result.ConnectFailure is not null && result.ConnectionsOpened == 0)
                || (target is LaunchedServerTarget { DownSinceUtc: { } since } && since < started);
            if (wentDownBefore)
            {
                // Not one byte of this scenario reached the target, or its crash began before this
                // scenario did: it went down because of the one before.
                if (results.Count > 0 && results[^1] is { TargetDownEvidence: null } previous && previous.Verdict != Verdict.NotRun)
                {
                    var found = result.ConnectFailure is null ? "was running" : $"could not connect: {result.ConnectFailure}";
                    var revised = TargetDown(previous, $"{evidence}\n(found when the next scenario, {scenario.Id}, {found})", aftermath, settings);
                    results[^1] = revised;
                    observer?.ScenarioRevised(revised);
                }

                if (restarted && !retried)
                {
                    retried = true;
                    i--;
                    continue;
                }

                down ??= $"{target.Name} stopped accepting connections before {scenario.Id}";
                result = NotRun(scenario, target, settings, down);
            }
            else
            {
                result = TargetDown(result, evidence, aftermath, settings);
                if (!restarted)
                {
                    down = $"{target.Name} went down during {scenario.Id}";
                }
            }

            retried = false;
            results.Add(result);
            observer?.ScenarioFinished(result);
            if (stopAfter is not null && results.Any(stopAfter)) break;
        }

        return results;
    }

    /// <summary>
    /// After a run with failures, asks the server which profile it speaks (the probe of
    /// --detect-profile). When both probes say "the other one", the failures are most likely
    /// that mismatch: the hint says so. The run's profile and verdicts never change.
    /// </summary>
    private static async Task<string?> ProfileMismatchHintAsync(IReadOnlyList<ScenarioResult> results, IServerTarget target, RunSettings settings, CancellationToken ct)
    {
        if (!results.Any(r => r.Verdict == Verdict.Fail) || results.Any(r => r.Verdict == Verdict.NotRun)) return null;
        var detection = await ProfileProbe.DetectAsync(target, settings.StepTimeout, ct).ConfigureAwait(false);
        if (detection is not { Profile: { } found, Certain: true } || found == settings.Profile) return null;
        return $"this looks like a {found.Name()} server, and the run checked profile {settings.Profile.Name()}: try --profile {found.Name()} " +
               $"(--detect-profile: {string.Join("; ", detection.Evidence)})";
    }

    /// <summary>The first failure carries the hint, so that reports read from the top show it where the trouble starts.</summary>
    private static List<ScenarioResult> WithHint(IReadOnlyList<ScenarioResult> results, string hint)
    {
        var list = results.ToList();
        var first = list.FindIndex(r => r.Verdict == Verdict.Fail);
        if (first >= 0)
        {
            list[first] = list[first] with { Execution = list[first].Execution with { Message = list[first].Execution.Message + "\nprofile mismatch? " + hint } };
        }

        return list;
    }

    /// <summary>Null while <paramref name="target"/> accepts connections; otherwise what shows it went down.</summary>
    public static async Task<string?> CheckDownAsync(IServerTarget target, CancellationToken cancellationToken)
    {
        if (target is LaunchedServerTarget launched)
        {
            return await launched.CheckAsync(cancellationToken).ConfigureAwait(false);
        }

        var error = await ProbeAsync(target, cancellationToken).ConfigureAwait(false);
        if (error is null)
        {
            return null;
        }

        var evidence = $"it stopped accepting connections ({error})";
        if (target is ReferenceServerTarget { ServerLog.Count: > 0 } reference)
        {
            evidence += $"; its log ends with:\n{CrashEvidence.Tail(string.Join('\n', reference.ServerLog), 5)}";
        }

        return evidence;
    }

    /// <summary>
    /// The verdict of a scenario during which the target crashed or went down: FAIL citing TRANS-2
    /// (first) and the scenario's own requirements, with the evidence, whatever its steps showed.
    /// </summary>
    public static ScenarioResult TargetDown(ScenarioResult result, string evidence, string? aftermath, RunSettings settings, string happened = "went down")
    {
        var execution = result.Execution;
        var own = execution.Status switch
        {
            ExecutionStatus.Passed => "passed",
            ExecutionStatus.Skipped => $"were skipped: {execution.Message}",
            _ => $"failed: {execution.Message}",
        };
        var when = happened.EndsWith(" of", StringComparison.Ordinal) ? $"{happened} this scenario" : $"{happened} during this scenario";
        var message = Steps.RequirementViolation.Format(CrashRequirement, $"the target {when}: {evidence}") +
                      (aftermath is null ? "" : $"\n{aftermath}") +
                      $"\nthe scenario's own steps {own}";
        var deviation = settings.Deviations.FindTargetDown(result.Scenario, CrashRequirement);
        return result with
        {
            Verdict = deviation is null ? Verdict.Fail : Verdict.Known,
            DeviationReason = deviation?.Reason,
            UnexpectedPass = false,
            Execution = execution with { Status = ExecutionStatus.Failed, Message = message, ErrorType = "TargetDown" },
            RequirementIds = [CrashRequirement, .. result.Scenario.RequirementIds.Where(id => id != CrashRequirement)],
            TargetDownEvidence = evidence,
        };
    }

    /// <summary>The requirement a crash or a server that goes down breaks: one connection took the others down.</summary>
    public static readonly RequirementId CrashRequirement = RequirementId.Of("TRANS-2");

    /// <summary>The verdict of a scenario the kit could not run because the target was down.</summary>
    public static ScenarioResult NotRun(ScenarioCase scenario, ITarget target, RunSettings settings, string why) => new()
    {
        Scenario = scenario,
        Target = target.Name,
        Verdict = Verdict.NotRun,
        Execution = new ScenarioExecution(ExecutionStatus.Skipped, $"NOT RUN: target down ({why})", null, null, false, TimeSpan.Zero, ""),
        ReplayCommand = ReplayCommand(settings, target, scenario.Id),
    };

    /// <summary>Runs one scenario against one target (the NUnit driver calls this per test case).</summary>
    public static async Task<ScenarioResult> RunOneAsync(ScenarioCase scenario, ITarget target, RunSettings settings, ScenarioExecutor executor)
    {
        var replay = ReplayCommand(settings, target, scenario.Id);
        Steps.Wire.KitProfiles.Current = settings.Profile;
        await using var context = new TargetContext(target, settings.StepTimeout, replay);
        var execution = await executor.RunAsync(scenario, context).ConfigureAwait(false);
        // Ends exec: processes still running, so that their exit status and last output are known.
        await context.CloseConnectionsAsync().ConfigureAwait(false);
        var (verdict, reason, unexpectedPass) = settings.Deviations.Classify(scenario, execution);
        var connections = context.Connections;
        var notes = context.Notes.ToList();
        if (execution.Status == ExecutionStatus.Failed)
        {
            foreach (var connection in connections.Where(c => c is { IsProcess: true, ExitedBeforeClose: true, ExitCode: not 0 }))
            {
                notes.Add($"the process of connection {connection.Label} ended with {CrashEvidence.DescribeExit(connection.ExitCode)} before the kit closed the connection");
            }
        }

        var result = new ScenarioResult
        {
            Scenario = scenario,
            Target = target.Name,
            Verdict = verdict,
            Execution = execution,
            Traffic = context.Traffic.FormatAnnotatedHex(),
            StandardError = context.StandardErrorText,
            Notes = notes,
            ReplayCommand = replay,
            DeviationReason = reason,
            UnexpectedPass = unexpectedPass,
            ConnectFailure = context.ConnectFailure,
            ConnectionsOpened = connections.Count,
            TargetEndedAConnection = context.Traffic.Connections.Any(label => context.Traffic.EntriesOf(label)
                .Any(e => e.Direction == TrafficDirection.Received
                          && (e.Text.StartsWith("end of stream", StringComparison.Ordinal) || e.Text.StartsWith("read failed", StringComparison.Ordinal)))),
        };
        if (execution.Status == ExecutionStatus.Failed
            && Steps.RequirementViolation.Cites(execution.Message, ClientScenario.ClientCrashRequirement))
        {
            // Like a server's crash (TRANS-2): the crash requirement first, then the scenario's own,
            // whichever kind of client target crashed (only client scenarios cite CLI-8).
            return result with { RequirementIds = [ClientScenario.ClientCrashRequirement, .. scenario.RequirementIds.Where(id => id != ClientScenario.ClientCrashRequirement)] };
        }

        return ProcessCrash(connections) is { } crash ? TargetDown(result, crash, null, settings, "crashed") : result;
    }

    /// <summary>What shows that a process of an exec: target crashed (fatal signal, or a runtime's crash text and a non-zero status); null when none did.</summary>
    private static string? ProcessCrash(IReadOnlyList<ConformanceConnection> connections)
    {
        foreach (var connection in connections.Where(c => c.IsProcess))
        {
            if (CrashEvidence.Describe(connection.ExitCode, connection.StandardErrorText) is { } crash)
            {
                var tail = CrashEvidence.Tail(connection.StandardErrorText);
                return $"the process of connection {connection.Label}: {crash}" +
                       (tail.Length == 0 ? "" : $"; its standard error ends with:\n{tail}");
            }
        }

        return null;
    }

    /// <summary>Opens and closes one connection; returns why the target is unreachable, or null.</summary>
    public static async Task<string?> ProbeAsync(ITarget target, CancellationToken cancellationToken)
    {
        if (target is IClientTarget driver)
        {
            return await driver.ProbeAsync(cancellationToken).ConfigureAwait(false);
        }

        if (target is not IServerTarget server)
        {
            return $"target {target.Name} is neither a server nor a client target";
        }

        try
        {
            var stream = await server.ConnectAsync(cancellationToken).ConfigureAwait(false);
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
}
