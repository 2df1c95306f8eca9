using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Runner;
using Zrpc.Spec;

namespace Zrpc.Conformance.Reporting;

/// <summary>
/// The console report: per target and spec section, one line per scenario with its verdict, id
/// and requirement tags; under each failure the requirement sentences, the assertion message,
/// the annotated traffic, the exec target's stderr and the replay command.
/// </summary>
public sealed class ConsoleReport(TextWriter output, RequirementCatalog catalog) : IRunObserver
{
    private string? _section;
    private bool _notRunExplained;

    public void TargetStarted(ITarget target, string? unreachableError)
    {
        _section = null;
        _notRunExplained = false;
        output.WriteLine($"== target: {target.Name}");
        if (unreachableError is not null)
        {
            output.WriteLine($"   UNREACHABLE: {unreachableError}");
        }
    }

    public void ScenarioFinished(ScenarioResult result)
    {
        var scenario = result.Scenario;
        if (_section != scenario.Feature.RelativePath)
        {
            _section = scenario.Feature.RelativePath;
            output.WriteLine();
            output.WriteLine($"-- {scenario.Section}: {scenario.Feature.Title} ({scenario.Feature.RelativePath})");
        }

        var requirements = result.RequirementIds.Count == 0 ? "" : " [" + string.Join(' ', result.RequirementIds) + "]";
        var label = result.Verdict.Label();
        output.WriteLine($"{label,-5} {scenario.Id}{requirements} {scenario.Title}");
        foreach (var note in result.Notes)
        {
            output.WriteLine($"      note: {note}");
        }

        if (result.UnexpectedPass)
        {
            output.WriteLine($"      listed as a known deviation ({result.DeviationReason}) but passed: fixed? remove it from the list");
        }

        switch (result.Verdict)
        {
            case Verdict.Fail:
            case Verdict.Warn:
                WriteFailure(result);
                break;
            case Verdict.Known:
                output.WriteLine($"      known deviation: {result.DeviationReason}");
                output.WriteLine($"      {FirstLine(result.Execution.Message)}");
                break;
            case Verdict.Skip:
                output.WriteLine($"      skipped: {result.Execution.Message}");
                break;
            case Verdict.NotRun when !_notRunExplained:
                // Said once per target: every later scenario is NOT RUN for the same reason.
                _notRunExplained = true;
                output.WriteLine($"      {result.Execution.Message}; the scenarios after it are NOT RUN too");
                break;
        }
    }

    /// <summary>A scenario printed earlier got a new verdict (the target was found down only after it ended).</summary>
    public void ScenarioRevised(ScenarioResult result)
    {
        output.WriteLine($"      revised: {result.Id} was reported before the target was found down; its verdict is now:");
        _section = null;
        ScenarioFinished(result);
    }

    /// <summary>A failing scenario rerun alone (--repeat): the verdict of every attempt.</summary>
    public void ScenarioRepeated(ScenarioResult result)
    {
        output.WriteLine($"{result.Verdict.Label(),-5} {result.Id} after {result.Attempts.Count} attempts against {result.Target}: {Attempts(result)}");
    }

    internal static string Attempts(ScenarioResult result) => string.Join(", ", result.Attempts.Select(v => v.Label()));

    public void WriteSummary(RunReport report)
    {
        output.WriteLine();
        if (report.Targets.Count > 1)
        {
            WriteMatrix(report);
        }

        var flaky = report.AllResults.Where(r => r.Verdict == Verdict.Flaky).ToList();
        if (flaky.Count > 0)
        {
            output.WriteLine("flaky (failed, then got another verdict when rerun alone):");
            foreach (var result in flaky)
            {
                output.WriteLine($"  FLAKY {result.Id} on {result.Target}: {Attempts(result)}");
            }

            output.WriteLine();
        }

        if (report.Baseline is { } baseline)
        {
            baseline.Write(output);
            output.WriteLine(baseline.Regressions.Count == 0
                ? "no regression against the baseline"
                : $"regressions against the baseline: {string.Join(' ', baseline.Regressions.Select(c => c.Id).Distinct())}");
            output.WriteLine();
        }

        foreach (var problem in report.DeviationProblems)
        {
            output.WriteLine($"error: {problem}");
        }

        output.WriteLine(
            $"verdicts: {report.Count(Verdict.Pass)} PASS, {report.Count(Verdict.Warn)} WARN, {report.Count(Verdict.Fail)} FAIL, " +
            $"{report.Count(Verdict.Skip)} SKIP, {report.Count(Verdict.Known)} KNOWN" +
            (report.Count(Verdict.NotRun) > 0 ? $", {report.Count(Verdict.NotRun)} NOT RUN (target down)" : "") +
            (flaky.Count > 0 ? $", {flaky.Count} FLAKY" : "") +
            (report.AllResults.Any(r => r.UnexpectedPass) ? $", {report.AllResults.Count(r => r.UnexpectedPass)} listed deviations passed" : ""));
        foreach (var target in report.Targets.Where(t => t.ProfileHint is not null))
        {
            output.WriteLine($"profile mismatch? {target.Name}: {target.ProfileHint}");
        }

        output.WriteLine(report.SummaryLine);
    }

    private void WriteMatrix(RunReport report)
    {
        output.WriteLine("matrix (scenario x target):");
        var idWidth = Math.Max(8, report.Scenarios.Select(s => s.Id.Length).DefaultIfEmpty(8).Max());
        var cellWidth = report.Count(Verdict.NotRun) > 0 ? Verdict.NotRun.Label().Length : 5;
        for (var i = 0; i < report.Targets.Count; i++)
        {
            output.WriteLine($"  [{i + 1}] {report.Targets[i].Name}");
        }

        output.WriteLine("  " + "scenario".PadRight(idWidth) + " " + string.Join(' ', report.Targets.Select((_, i) => $"[{i + 1}]".PadRight(cellWidth))));
        foreach (var scenario in report.Scenarios)
        {
            var cells = report.Targets.Select(t =>
                t.UnreachableError is not null ? new string('-', cellWidth) + " "
                : (t.Results.FirstOrDefault(r => r.Id == scenario.Id)?.Verdict.Label() ?? "").PadRight(cellWidth) + " ");
            output.WriteLine("  " + scenario.Id.PadRight(idWidth) + " " + string.Join("", cells));
        }

        output.WriteLine();
    }

    private void WriteFailure(ScenarioResult result)
    {
        var scenario = result.Scenario;
        foreach (var id in result.RequirementIds)
        {
            var requirement = catalog.Find(id);
            output.WriteLine(requirement is null
                ? $"      {id}: (not in the spec catalog)"
                : $"      {requirement.Id} ({requirement.Level.ToString().ToUpperInvariant()}) {requirement.Text}");
        }

        output.WriteLine($"      at {scenario.Feature.RelativePath}:{scenario.Line}" +
                         (result.Execution.FailedStep is null ? "" : $", step: {result.Execution.FailedStep}"));
        output.WriteLine("      " + (result.Execution.Message ?? "(no message)").Replace("\n", "\n      ", StringComparison.Ordinal));
        output.WriteLine("      traffic:");
        output.Write(Indent(result.Traffic, "        "));
        if (!string.IsNullOrEmpty(result.StandardError))
        {
            output.WriteLine("      stderr of the target:");
            output.Write(Indent(result.StandardError, "        "));
        }

        output.WriteLine($"      replay: {result.ReplayCommand}");
    }

    private static string FirstLine(string? text) => text is null ? "" : text.Split('\n')[0];

    internal static string Indent(string text, string prefix)
        => string.Concat(text.TrimEnd('\n').Split('\n').Select(l => prefix + l + "\n"));
}
