using System.Text;
using NUnit.Framework;
using Zrpc.Conformance.Runner;
using Zrpc.Spec;

namespace Zrpc.Conformance.NUnit;

/// <summary>
/// How a scenario's verdict becomes an NUnit outcome: FAIL fails the test with the runner's
/// failure text, WARN (a @should scenario that failed) is a warning, SKIP and KNOWN are ignored
/// with their reason, NOT RUN (the target went down before it) is inconclusive.
/// </summary>
public static class ConformanceVerdicts
{
    private static readonly Lazy<RequirementCatalog> Catalog = new(RequirementCatalog.LoadEmbedded);

    public static void Report(ScenarioResult result)
    {
        TestContext.Out.WriteLine($"{result.Verdict.Label()} {result.Id} against {result.Target}");
        foreach (var note in result.Notes)
        {
            TestContext.Out.WriteLine("note: " + note);
        }

        switch (result.Verdict)
        {
            case Verdict.Fail:
                Assert.Fail(Describe(result));
                break;
            case Verdict.Warn:
                Assert.Warn(Describe(result));
                break;
            case Verdict.Skip:
                Assert.Ignore(result.Execution.Message ?? "skipped");
                break;
            case Verdict.Known:
                Assert.Ignore($"known deviation: {result.DeviationReason}\n{result.Execution.Message}");
                break;
            case Verdict.NotRun:
                Assert.Inconclusive(result.Execution.Message ?? "NOT RUN: target down");
                break;
            default:
                if (result.UnexpectedPass)
                {
                    Assert.Warn($"listed as a known deviation ({result.DeviationReason}) but passed: fixed? remove it from the list");
                }

                break;
        }
    }

    /// <summary>The failure text of one scenario: requirement sentences, message, traffic, replay.</summary>
    public static string Describe(ScenarioResult result)
    {
        var text = new StringBuilder();
        foreach (var id in result.RequirementIds)
        {
            text.AppendLine(Catalog.Value.Find(id)?.ToString() ?? $"{id} (not in the spec catalog)");
        }

        text.AppendLine($"at {result.Scenario.Feature.RelativePath}:{result.Scenario.Line}, step: {result.Execution.FailedStep}");
        text.AppendLine(result.Execution.Message);
        text.AppendLine("traffic:").Append(result.Traffic);
        if (result.StandardError is not null)
        {
            text.AppendLine("stderr of the target:").AppendLine(result.StandardError);
        }

        return text.AppendLine("replay: " + result.ReplayCommand).ToString();
    }
}
