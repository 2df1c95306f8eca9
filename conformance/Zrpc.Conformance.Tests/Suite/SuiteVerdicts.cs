using NUnit.Framework;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Suite;

/// <summary>How a scenario's verdict becomes an NUnit outcome, the same for server and client suites.</summary>
internal static class SuiteVerdicts
{
    public static void Report(string id, ScenarioResult result)
    {
        TestContext.Out.WriteLine($"{result.Verdict.ToString().ToUpperInvariant()} {id} against {result.Target}");
        foreach (var note in result.Notes)
        {
            TestContext.Out.WriteLine("note: " + note);
        }

        switch (result.Verdict)
        {
            case Verdict.Fail:
                Assert.Fail(FailureText.Describe(result));
                break;
            case Verdict.Warn:
                Assert.Warn(FailureText.Describe(result));
                break;
            case Verdict.Skip:
                Assert.Ignore(result.Execution.Message ?? "skipped");
                break;
            case Verdict.NotRun:
                // Inconclusive, not ignored or failed: the scenario says nothing about the target.
                Assert.Inconclusive(result.Execution.Message ?? "NOT RUN: target down");
                break;
            case Verdict.Known:
                Assert.Ignore($"known deviation: {result.DeviationReason}\n{result.Execution.Message}");
                break;
            default:
                if (result.UnexpectedPass)
                {
                    Assert.Warn($"listed as a known deviation ({result.DeviationReason}) but passed: fixed? remove it from the list");
                }

                break;
        }
    }
}
