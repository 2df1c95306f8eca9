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
            kit = report.Identity is not { } identity ? null : new
            {
                version = identity.KitVersion,
                commit = identity.KitCommit,
                profile = identity.Profile,
                catalogueHash = identity.CatalogueHash,
            },
            summary = new
            {
                passed = report.Count(Verdict.Pass) + report.Count(Verdict.Warn),
                failed = report.Count(Verdict.Fail),
                skipped = report.Count(Verdict.Skip),
                warnings = report.Count(Verdict.Warn),
                known = report.Count(Verdict.Known),
                notRun = report.Count(Verdict.NotRun),
                flaky = report.Count(Verdict.Flaky),
                exitCode = report.ExitCode,
            },
            deviationProblems = report.DeviationProblems.Count == 0 ? null : report.DeviationProblems,
            baseline = report.Baseline is not { } baseline ? null : new
            {
                file = baseline.Baseline.Source,
                kitVersion = baseline.Baseline.KitVersion,
                profile = baseline.Baseline.Profile,
                catalogueHash = baseline.Baseline.CatalogueHash,
                notes = baseline.Notes,
                counts = Enum.GetValues<ChangeKind>().ToDictionary(ScenarioChange.Key, k => baseline.Of(k).Count),
                changes = baseline.Changes.Select(c => new { change = ScenarioChange.Key(c.Kind), target = c.Target, id = c.Id, before = c.Before, after = c.After }),
            },
            targets = report.Targets.Select(t => new
            {
                name = t.Name,
                target = t.TargetArgument,
                unreachable = t.UnreachableError,
                profile = report.Identity?.Profile,
                catalogueHash = RunIdentity.HashOf(t.Results.Select(r => r.Scenario)),
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
                    attempts = r.Attempts.Count == 0 ? null : r.Attempts.Select(v => v.Label()),
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
