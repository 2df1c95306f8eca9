using System.Text.Json;
using System.Text.Json.Serialization;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Reporting;

/// <summary>Machine-readable results (--json): one object per target with one entry per scenario.</summary>
public static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Build(RunReport report)
    {
        var document = new
        {
            summary = new
            {
                passed = report.Count(Verdict.Pass) + report.Count(Verdict.Warn),
                failed = report.Count(Verdict.Fail),
                skipped = report.Count(Verdict.Skip),
                warnings = report.Count(Verdict.Warn),
                known = report.Count(Verdict.Known),
                notRun = report.Count(Verdict.NotRun),
                exitCode = report.ExitCode,
            },
            targets = report.Targets.Select(t => new
            {
                name = t.Name,
                target = t.TargetArgument,
                unreachable = t.UnreachableError,
                results = t.Results.Select(r => new
                {
                    id = r.Id,
                    scenario = r.Scenario.Title,
                    feature = r.Scenario.Feature.RelativePath,
                    section = r.Scenario.Section,
                    line = r.Scenario.Line,
                    tags = r.Scenario.Tags,
                    requirements = r.RequirementIds.Select(id => new
                    {
                        id,
                        level = report.Catalog.Find(id)?.Level.ToString().ToUpperInvariant(),
                        text = report.Catalog.Find(id)?.Text,
                    }),
                    verdict = r.Verdict.Label(),
                    targetDown = r.TargetDownEvidence,
                    message = r.Execution.Message,
                    failedStep = r.Execution.FailedStep,
                    errorType = r.Execution.ErrorType,
                    durationMs = (long)r.Execution.Duration.TotalMilliseconds,
                    notes = r.Notes,
                    deviationReason = r.DeviationReason,
                    unexpectedPass = r.UnexpectedPass ? true : (bool?)null,
                    traffic = r.Verdict == Verdict.Pass ? null : r.Traffic,
                    stderr = r.StandardError,
                    replay = r.ReplayCommand,
                }),
            }),
        };
        return JsonSerializer.Serialize(document, Options);
    }

    public static void Write(RunReport report, string path) => File.WriteAllText(path, Build(report));
}
