using System.Text;
using Zrpc.Conformance.Runner;
using Zrpc.Spec;

namespace Zrpc.Conformance.Tests.Suite;

/// <summary>The failure text of one scenario for NUnit: requirement sentences, message, traffic, replay.</summary>
internal static class FailureText
{
    private static readonly Lazy<RequirementCatalog> Catalog = new(RequirementCatalog.LoadEmbedded);

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
