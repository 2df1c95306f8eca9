using System.Collections.Specialized;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using Reqnroll;
using Zrpc.Conformance.Adapters;

namespace Zrpc.Conformance.Driver;

/// <summary>
/// Runs one <see cref="ScenarioCase"/> through Reqnroll's runtime (no generated code): feature
/// and scenario lifecycle, each step by its keyword, then the collected error. The scenario's
/// <see cref="TargetContext"/> is put into the scenario container before the scenario starts.
/// Undefined, ambiguous and pending steps are failures, never passes.
/// </summary>
public sealed class ScenarioExecutor
{
    private static readonly TimeSpan StepGrace = TimeSpan.FromSeconds(5);

    public ScenarioExecutor(Assembly bindingAssembly)
    {
        BindingAssembly = bindingAssembly;
    }

    /// <summary>The assembly whose [Binding] classes (and runtime plugin) Reqnroll uses.</summary>
    public Assembly BindingAssembly { get; }

    public async Task<ScenarioExecution> RunAsync(ScenarioCase scenario, TargetContext context)
    {
        await ReqnrollSession.EnsureStartedAsync(BindingAssembly).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var output = new StringBuilder();
        var previousTrace = ScenarioTraceListener.Current;
        ScenarioTraceListener.Current = output;

        // Bindings may use NUnit asserts; when this runs inside an NUnit test, an isolated
        // context keeps their failure from being recorded on the test before the driver maps it
        // (to WARN, KNOWN, ...).
        using var isolated = new NUnit.Framework.Internal.TestExecutionContext.IsolatedContext();
        try
        {
            if (scenario.HasTag("@ignore"))
            {
                return new ScenarioExecution(ExecutionStatus.Skipped, "tagged @ignore", null, null, false, clock.Elapsed, "");
            }

            return await RunStepsAsync(scenario, context, clock, output).ConfigureAwait(false);
        }
        finally
        {
            ScenarioTraceListener.Current = previousTrace;
        }
    }

    private async Task<ScenarioExecution> RunStepsAsync(ScenarioCase scenario, TargetContext context, Stopwatch clock, StringBuilder output)
    {
        var featureInfo = scenario.Feature.FeatureInfo;
        var runner = TestRunnerManager.GetTestRunnerForAssembly(BindingAssembly, featureHint: featureInfo);
        var releaseRunner = true;
        string? failedStep = null;
        string? timeoutMessage = null;
        try
        {
            if (!ReferenceEquals(runner.FeatureContext?.FeatureInfo, featureInfo))
            {
                if (runner.FeatureContext is not null)
                {
                    await runner.OnFeatureEndAsync().ConfigureAwait(false);
                }

                await runner.OnFeatureStartAsync(featureInfo).ConfigureAwait(false);
            }

            var arguments = new OrderedDictionary();
            foreach (var (key, value) in scenario.Arguments)
            {
                arguments[key] = value;
            }

            var inherited = scenario.Feature.Tags.Concat(scenario.RuleTags).Select(Bare).ToArray();
            var scenarioInfo = new ScenarioInfo(scenario.Title, scenario.Description, scenario.OwnTags.Select(Bare).ToArray(),
                arguments, inherited, scenario.PickleIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var ruleInfo = scenario.RuleTitle is null
                ? null
                : new RuleInfo(scenario.RuleTitle, scenario.RuleDescription ?? "", scenario.RuleTags.Select(Bare).ToArray());
            runner.OnScenarioInitialize(scenarioInfo, ruleInfo);
            runner.ScenarioContext.ScenarioContainer.RegisterInstanceAs(context);
            await runner.OnScenarioStartAsync().ConfigureAwait(false);

            foreach (var step in scenario.Steps)
            {
                context.BeginStep();
                var table = ToTable(step.Table);
                var keyword = step.Keyword;
                var task = step.Kind switch
                {
                    StepKind.Given => runner.GivenAsync(step.Text, step.DocString, table, keyword),
                    StepKind.When => runner.WhenAsync(step.Text, step.DocString, table, keyword),
                    StepKind.Then => runner.ThenAsync(step.Text, step.DocString, table, keyword),
                    _ => runner.AndAsync(step.Text, step.DocString, table, keyword),
                };

                // The binding is expected to honour StepCancellation; this guard catches one
                // that does not, so a silent implementation cannot hang the whole run.
                if (!await WaitWithinStepLimitAsync(task, context).ConfigureAwait(false))
                {
                    failedStep ??= Describe(step);
                    var limit = context.CurrentStepLimit;
                    timeoutMessage = $"step did not finish within {(limit + StepGrace).TotalSeconds:0.#} s (its time limit {limit.TotalSeconds:0.#} s: --timeout or the step's own allowance, plus {StepGrace.TotalSeconds:0} s grace); the kit closed its connections";
                    await context.AbortAsync().ConfigureAwait(false);
                    if (await Task.WhenAny(task, Task.Delay(StepGrace)).ConfigureAwait(false) != task)
                    {
                        // Reqnroll's runner is still inside the step: it cannot be reused.
                        releaseRunner = false;
                        return new ScenarioExecution(ExecutionStatus.Failed, timeoutMessage, failedStep, "Timeout", true, clock.Elapsed, output.ToString());
                    }
                }

                await task.ConfigureAwait(false);
                if (failedStep is null && runner.ScenarioContext.ScenarioExecutionStatus != ScenarioExecutionStatus.OK)
                {
                    failedStep = Describe(step);
                }
            }

            var status = runner.ScenarioContext.ScenarioExecutionStatus;
            try
            {
                await runner.CollectScenarioErrorsAsync().ConfigureAwait(false);
            }
            catch (ScenarioSkippedException e)
            {
                return new ScenarioExecution(ExecutionStatus.Skipped, e.Message, failedStep, null, false, clock.Elapsed, output.ToString());
            }
            catch (Exception e) when (e is NUnit.Framework.IgnoreException or NUnit.Framework.InconclusiveException)
            {
                return new ScenarioExecution(ExecutionStatus.Skipped, e.Message, failedStep, null, false, clock.Elapsed, output.ToString());
            }
            catch (Exception e)
            {
                var message = status switch
                {
                    ScenarioExecutionStatus.UndefinedStep => $"undefined step: no binding matches {failedStep}\n{e.Message}",
                    ScenarioExecutionStatus.StepDefinitionPending => $"pending step: {failedStep}\n{e.Message}",
                    _ => e.Message,
                };
                if (timeoutMessage is not null)
                {
                    message = timeoutMessage + "\n" + message;
                }

                return new ScenarioExecution(ExecutionStatus.Failed, message, failedStep, Classify(status, e), timeoutMessage is not null, clock.Elapsed, output.ToString());
            }

            if (timeoutMessage is not null)
            {
                return new ScenarioExecution(ExecutionStatus.Failed, timeoutMessage, failedStep, "Timeout", true, clock.Elapsed, output.ToString());
            }

            // Reqnroll does not throw for some non-OK states; never let them pass.
            if (status != ScenarioExecutionStatus.OK)
            {
                return new ScenarioExecution(ExecutionStatus.Failed, $"scenario ended with status {status}", failedStep, status.ToString(), false, clock.Elapsed, output.ToString());
            }

            return new ScenarioExecution(ExecutionStatus.Passed, null, null, null, false, clock.Elapsed, output.ToString());
        }
        finally
        {
            if (releaseRunner)
            {
                try
                {
                    await runner.OnScenarioEndAsync().ConfigureAwait(false);
                }
                finally
                {
                    TestRunnerManager.ReleaseTestRunner(runner);
                }
            }
        }
    }

    /// <summary>Waits for the step; false when it overran its limit (which the step may extend while it runs).</summary>
    private static async Task<bool> WaitWithinStepLimitAsync(Task step, TargetContext context)
    {
        while (true)
        {
            var remaining = context.CurrentStepRemaining + StepGrace;
            if (remaining <= TimeSpan.Zero)
            {
                return step.IsCompleted;
            }

            if (await Task.WhenAny(step, Task.Delay(remaining)).ConfigureAwait(false) == step)
            {
                return true;
            }
        }
    }

    private static string Classify(ScenarioExecutionStatus status, Exception e) => status switch
    {
        ScenarioExecutionStatus.UndefinedStep => "UndefinedStep",
        ScenarioExecutionStatus.StepDefinitionPending => "PendingStep",
        ScenarioExecutionStatus.BindingError => "BindingError",
        _ => e.GetType().Name,
    };

    private static string Describe(ScenarioStep step) => $"{step.Keyword.Trim()} {step.Text} (line {step.Line})";

    private static string Bare(string tag) => tag.TrimStart('@');

    private static Table? ToTable(IReadOnlyList<IReadOnlyList<string>>? rows)
    {
        if (rows is null || rows.Count == 0)
        {
            return null;
        }

        var table = new Table(rows[0].ToArray());
        foreach (var row in rows.Skip(1))
        {
            table.AddRow(row.ToArray());
        }

        return table;
    }
}
