using Zrpc.Conformance.Adapters;

namespace Zrpc.Conformance.Runner;

/// <summary>Receives results while a run is in progress (the console report prints as it goes).</summary>
public interface IRunObserver
{
    void TargetStarted(ITarget target, string? unreachableError);

    void ScenarioFinished(ScenarioResult result);

    /// <summary>
    /// A scenario already reported got a new verdict: the target was found down only when the
    /// next scenario could not connect, so the crash is put on the scenario that ran before.
    /// </summary>
    void ScenarioRevised(ScenarioResult result) => ScenarioFinished(result);

    /// <summary>A failing scenario was rerun (--repeat): <see cref="ScenarioResult.Attempts"/> has every verdict.</summary>
    void ScenarioRepeated(ScenarioResult result)
    {
    }
}
