using System.Globalization;
using System.Xml.Linq;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Reporting;

/// <summary>
/// JUnit XML as CI systems read it: one testsuite per target and feature, one testcase per
/// scenario named by its stable id. FAIL is a failure; SKIP and KNOWN are skipped (with the
/// reason); WARN passes with the message in system-out. NOT RUN is skipped with the message
/// "NOT RUN: target down (...)": CI tools list errors among the failures, and a scenario that never
/// ran has not failed; the one scenario during which the target went down is the failure. FLAKY
/// passes with a <c>flakyFailure</c> per failed attempt (the Maven Surefire form CI tools read).
/// With a baseline, each compared testcase carries a "baseline" property (regressed, fixed, ...)
/// and a last testsuite "baseline" holds one testcase that fails naming every regression.
/// </summary>
public static class JunitReport
{
    public static XDocument Build(RunReport report)
    {
        var suites = new XElement("testsuites",
            new XAttribute("name", "zrpc conformance"),
            new XAttribute("tests", report.AllResults.Count()),
            new XAttribute("failures", report.Count(Verdict.Fail)),
            new XAttribute("skipped", report.Count(Verdict.Skip) + report.Count(Verdict.Known) + report.Count(Verdict.NotRun)));
        var changes = report.Baseline?.Changes.ToDictionary(c => (c.Target, c.Id)) ?? [];
        foreach (var target in report.Targets)
        {
            if (target.UnreachableError is not null)
            {
                suites.Add(new XElement("testsuite",
                    new XAttribute("name", target.Name), new XAttribute("tests", 1), new XAttribute("errors", 1),
                    new XElement("testcase", new XAttribute("name", "connect"), new XAttribute("classname", target.Name),
                        new XElement("error", new XAttribute("message", target.UnreachableError)))));
                continue;
            }

            foreach (var feature in target.Results.GroupBy(r => r.Scenario.Feature.RelativePath))
            {
                var suite = new XElement("testsuite",
                    new XAttribute("name", $"{target.Name} / {feature.Key}"),
                    new XAttribute("tests", feature.Count()),
                    new XAttribute("failures", feature.Count(r => r.Verdict == Verdict.Fail)),
                    new XAttribute("skipped", feature.Count(r => r.Verdict is Verdict.Skip or Verdict.Known or Verdict.NotRun)),
                    new XAttribute("time", Seconds(feature.Sum(r => r.Execution.Duration.TotalSeconds))));
                foreach (var result in feature)
                {
                    var testCase = TestCase(target, result);
                    if (changes.TryGetValue((target.Name, result.Id), out var change))
                    {
                        testCase.AddFirst(new XElement("properties", new XElement("property",
                            new XAttribute("name", "baseline"), new XAttribute("value", $"{ScenarioChange.Key(change.Kind)} ({change.Before ?? "-"} -> {change.After ?? "-"})"))));
                    }

                    suite.Add(testCase);
                }

                suites.Add(suite);
            }
        }

        if (report.Baseline is { } baseline)
        {
            suites.Add(BaselineSuite(baseline));
        }

        if (report.DeviationProblems.Count > 0)
        {
            suites.Add(new XElement("testsuite",
                new XAttribute("name", "expected deviations"), new XAttribute("tests", 1), new XAttribute("failures", 1),
                new XElement("testcase", new XAttribute("name", "deviations list"), new XAttribute("classname", "expected deviations"),
                    new XElement("failure", new XAttribute("message", report.DeviationProblems[0]), string.Join('\n', report.DeviationProblems)))));
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites);
    }

    private static XElement BaselineSuite(ResultComparison baseline)
    {
        var regressions = baseline.Regressions;
        var text = new StringWriter();
        baseline.Write(text);
        var testCase = new XElement("testcase", new XAttribute("name", "no regression"), new XAttribute("classname", "baseline"));
        if (regressions.Count > 0)
        {
            testCase.Add(new XElement("failure",
                new XAttribute("message", $"{regressions.Count} regressed against the baseline: {string.Join(' ', regressions.Select(c => $"{c.Id} ({c.Target})"))}"),
                text.ToString()));
        }
        else
        {
            testCase.Add(new XElement("system-out", text.ToString()));
        }

        return new XElement("testsuite",
            new XAttribute("name", "baseline"), new XAttribute("tests", 1), new XAttribute("failures", regressions.Count > 0 ? 1 : 0),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "baseline.file"), new XAttribute("value", baseline.Baseline.Source)),
                Enum.GetValues<ChangeKind>().Select(k => new XElement("property", new XAttribute("name", "baseline." + ScenarioChange.Key(k)), new XAttribute("value", baseline.Of(k).Count)))),
            testCase);
    }

    public static void Write(RunReport report, string path) => Build(report).Save(path);

    private static XElement TestCase(TargetRun target, ScenarioResult result)
    {
        var testCase = new XElement("testcase",
            new XAttribute("name", result.Id),
            new XAttribute("classname", $"{target.Name}.{result.Scenario.Section}"),
            new XAttribute("time", Seconds(result.Execution.Duration.TotalSeconds)));
        var details = $"{string.Join(' ', result.RequirementIds)} {result.Scenario.Title}\n{result.Execution.Message}\n\ntraffic:\n{result.Traffic}" +
                      (result.StandardError is null ? "" : $"\nstderr:\n{result.StandardError}") + $"\nreplay: {result.ReplayCommand}";
        switch (result.Verdict)
        {
            case Verdict.Fail:
                testCase.Add(new XElement("failure", new XAttribute("message", FirstLine(result.Execution.Message)), details));
                break;
            case Verdict.Skip:
                testCase.Add(new XElement("skipped", new XAttribute("message", FirstLine(result.Execution.Message))));
                break;
            case Verdict.NotRun:
                testCase.Add(new XElement("skipped", new XAttribute("message", FirstLine(result.Execution.Message))));
                break;
            case Verdict.Known:
                testCase.Add(new XElement("skipped", new XAttribute("message", $"known deviation: {result.DeviationReason}")));
                testCase.Add(new XElement("system-out", details));
                break;
            case Verdict.Warn:
                testCase.Add(new XElement("system-out", "WARN (failed SHOULD): " + details));
                break;
            case Verdict.Flaky:
                for (var i = 0; i < result.Attempts.Count; i++)
                {
                    if (result.Attempts[i] is Verdict.Fail or Verdict.Warn)
                    {
                        testCase.Add(new XElement("flakyFailure", new XAttribute("message", $"attempt {i + 1}: {result.Attempts[i].Label()}" + (i == 0 ? ": " + FirstLine(result.Execution.Message) : ""))));
                    }
                }

                testCase.Add(new XElement("system-out", $"FLAKY: attempts {string.Join(", ", result.Attempts.Select(v => v.Label()))}\n" + details));
                break;
            default:
                if (result.UnexpectedPass)
                {
                    testCase.Add(new XElement("system-out", $"listed as a known deviation ({result.DeviationReason}) but passed: fixed? remove it from the list"));
                }

                break;
        }

        return testCase;
    }

    private static string FirstLine(string? text) => text is null ? "" : text.Split('\n')[0];

    private static string Seconds(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
