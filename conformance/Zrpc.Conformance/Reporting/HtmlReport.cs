using System.Net;
using System.Text;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Reporting;

/// <summary>
/// A self-contained HTML page (no scripts, no external files): summary, the scenario x target
/// matrix, and per failure the requirement sentences, message, annotated traffic and replay line.
/// </summary>
public static class HtmlReport
{
    public static string Build(RunReport report)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>zrpc conformance report</title><style>")
            .Append("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}")
            .Append(".PASS{background:#cfc}.FAIL{background:#fcc}.WARN{background:#ffc}.SKIP{background:#eee}.KNOWN{background:#cdf}.NOTRUN{background:#ddd;color:#555}.FLAKY{background:#fd9}")
            .Append("pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}details{margin:4px 0 12px 0}")
            .Append("</style></head><body><h1>zrpc conformance report</h1>");
        html.Append("<p><b>").Append(E(report.SummaryLine)).Append("</b> &mdash; ")
            .Append($"{report.Count(Verdict.Warn)} warnings, {report.Count(Verdict.Known)} known deviations")
            .Append(report.Count(Verdict.NotRun) > 0 ? $", {report.Count(Verdict.NotRun)} not run (target down)" : "")
            .Append(report.Count(Verdict.Flaky) > 0 ? $", {report.Count(Verdict.Flaky)} flaky" : "")
            .Append($"; exit code {report.ExitCode}</p>");
        if (report.Identity is { } identity)
        {
            html.Append("<p>kit ").Append(E(identity.KitVersion)).Append(", protocol profile ").Append(E(identity.Profile))
                .Append(", scenario catalogue ").Append(E(identity.CatalogueHash)).Append("</p>");
        }

        foreach (var problem in report.DeviationProblems)
        {
            html.Append("<p class=\"FAIL\">").Append(E(problem)).Append("</p>");
        }

        var flaky = report.AllResults.Where(r => r.Verdict == Verdict.Flaky).ToList();
        if (flaky.Count > 0)
        {
            html.Append("<h2>Flaky</h2><table id=\"flaky\"><tr><th>target</th><th>scenario</th><th>attempts</th></tr>");
            foreach (var result in flaky)
            {
                html.Append("<tr><td>").Append(E(result.Target)).Append("</td><td>").Append(E(result.Id)).Append("</td><td>")
                    .Append(E(string.Join(", ", result.Attempts.Select(v => v.Label())))).Append("</td></tr>");
            }

            html.Append("</table>");
        }

        if (report.Baseline is { } baseline)
        {
            html.Append("<h2>Baseline</h2><p>").Append(E($"{baseline.Baseline.Source} ({baseline.Baseline.Describe()})")).Append("</p><p><b>")
                .Append(E(baseline.Regressions.Count == 0 ? "no regression against the baseline" : $"{baseline.Regressions.Count} regressed against the baseline"))
                .Append("</b>: ").Append(E(baseline.CountsLine())).Append("</p>");
            foreach (var note in baseline.Notes)
            {
                html.Append("<p>note: ").Append(E(note)).Append("</p>");
            }

            html.Append("<table id=\"baseline\"><tr><th>change</th><th>target</th><th>scenario</th><th>baseline</th><th>now</th></tr>");
            foreach (var change in baseline.Changes.OrderBy(c => c.Kind))
            {
                html.Append($"<tr class=\"{(change.Kind == ChangeKind.Regressed ? "FAIL" : change.Kind == ChangeKind.Fixed ? "PASS" : "")}\"><td>")
                    .Append(E(ScenarioChange.Label(change.Kind))).Append("</td><td>").Append(E(change.Target)).Append("</td><td>").Append(E(change.Id))
                    .Append("</td><td>").Append(E(change.Before ?? "-")).Append("</td><td>").Append(E(change.After ?? "-")).Append("</td></tr>");
            }

            html.Append("</table>");
        }

        html.Append("<h2>Matrix</h2><table id=\"matrix\"><tr><th>section</th><th>scenario</th><th>requirements</th>");
        foreach (var target in report.Targets)
        {
            html.Append("<th>").Append(E(target.Name)).Append("</th>");
        }

        html.Append("</tr>");
        foreach (var scenario in report.Scenarios)
        {
            html.Append("<tr><td>").Append(E(scenario.Section)).Append("</td><td title=\"").Append(E(scenario.Title)).Append("\">")
                .Append(E(scenario.Id)).Append("</td><td>").Append(E(string.Join(' ', scenario.RequirementIds))).Append("</td>");
            foreach (var target in report.Targets)
            {
                var cell = target.Results.FirstOrDefault(r => r.Id == scenario.Id)?.Verdict;
                var verdict = target.UnreachableError is not null ? "unreachable" : cell?.Label() ?? "";
                html.Append($"<td class=\"{cell?.Token() ?? verdict}\"><a href=\"#{E(Anchor(target.Name, scenario.Id))}\">{verdict}</a></td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
        foreach (var target in report.Targets)
        {
            html.Append("<h2>").Append(E(target.Name)).Append("</h2>");
            if (target.UnreachableError is not null)
            {
                html.Append("<p class=\"FAIL\">unreachable: ").Append(E(target.UnreachableError)).Append("</p>");
            }

            foreach (var result in target.Results)
            {
                var verdict = result.Verdict.Label();
                html.Append($"<h3 id=\"{E(Anchor(target.Name, result.Id))}\"><span class=\"{result.Verdict.Token()}\">{verdict}</span> ")
                    .Append(E(result.Id)).Append(" &mdash; ").Append(E(result.Scenario.Title)).Append("</h3>");
                foreach (var id in result.RequirementIds)
                {
                    var requirement = report.Catalog.Find(id);
                    html.Append("<p><b>").Append(E(id)).Append("</b> ")
                        .Append(E(requirement is null ? "(not in the spec catalog)" : $"({requirement.Level.ToString().ToUpperInvariant()}) {requirement.Text}")).Append("</p>");
                }

                if (result.Attempts.Count > 0)
                {
                    html.Append("<p>attempts: ").Append(E(string.Join(", ", result.Attempts.Select(v => v.Label())))).Append("</p>");
                }

                foreach (var note in result.Notes)
                {
                    html.Append("<p>note: ").Append(E(note)).Append("</p>");
                }

                if (result.DeviationReason is not null)
                {
                    html.Append("<p>expected deviation: ").Append(E(result.DeviationReason))
                        .Append(result.UnexpectedPass ? " &mdash; <b>passed: fixed? remove it from the list</b>" : "").Append("</p>");
                }

                if (result.Verdict == Verdict.NotRun)
                {
                    html.Append("<p>").Append(E(result.Execution.Message ?? "")).Append("</p>");
                }
                else if (result.Verdict != Verdict.Pass)
                {
                    html.Append("<pre>").Append(E(result.Execution.Message ?? "")).Append("</pre>");
                    html.Append("<details><summary>traffic</summary><pre>").Append(E(result.Traffic)).Append("</pre></details>");
                    if (result.StandardError is not null)
                    {
                        html.Append("<details><summary>stderr of the target</summary><pre>").Append(E(result.StandardError)).Append("</pre></details>");
                    }

                    html.Append("<p>replay: <code>").Append(E(result.ReplayCommand)).Append("</code></p>");
                }
            }
        }

        return html.Append("</body></html>\n").ToString();
    }

    public static void Write(RunReport report, string path) => File.WriteAllText(path, Build(report));

    private static string Anchor(string target, string id) => $"{target}-{id}";

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
