using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Suite;

/// <summary>
/// The runner's target-down rules for the NUnit suite, which runs one scenario per test case: the
/// scenario during which the target went down is the one FAIL (TRANS-2 first, with the evidence),
/// every later test case is NOT RUN and cites nothing. A launched target is restarted by the
/// runner's own loop, and then nothing is NOT RUN.
/// </summary>
internal sealed class SuiteTargetWatch(IServerTarget target, RunSettings settings, ScenarioExecutor executor)
{
    private string? _down;
    private string? _previous;

    /// <summary>Why the target counts as down (the test cases left are NOT RUN), or null.</summary>
    public string? Down => _down;

    public async Task<ScenarioResult> RunAsync(ScenarioCase scenario, CancellationToken cancellationToken = default)
    {
        if (_down is not null)
        {
            return ConformanceRun.NotRun(scenario, target, settings, _down);
        }

        var result = (await ConformanceRun.RunServerScenariosAsync([scenario], target, settings, executor, null, cancellationToken).ConfigureAwait(false))[0];
        if (result.Verdict == Verdict.NotRun)
        {
            // Down before this scenario began: the test case that caused it has already been
            // reported, so the one FAIL is this one, saying where the target was last seen up.
            var evidence = await ConformanceRun.CheckDownAsync(target, cancellationToken).ConfigureAwait(false) ?? "it did not accept this scenario's connections";
            var last = _previous is null ? "before the first scenario" : $"after {_previous}, the scenario before this one";
            _down = $"{target.Name} stopped accepting connections {last}";
            return ConformanceRun.TargetDown(result with { Verdict = Verdict.Fail }, $"{evidence} (it went down {last})",
                "the test cases after this one were not run (NOT RUN: target down)", settings, "was found down at the start of");
        }

        if (result.TargetDownEvidence is not null && await ConformanceRun.CheckDownAsync(target, cancellationToken).ConfigureAwait(false) is not null)
        {
            _down = $"{target.Name} went down during {scenario.Id}";
        }

        _previous = scenario.Id;
        return result;
    }
}
