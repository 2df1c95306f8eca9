using System.Text.Json;
using System.Text.RegularExpressions;
using Zrpc.Conformance.Driver;

namespace Zrpc.Conformance.Runner;

/// <summary>One entry of an expected-deviations file.</summary>
public sealed record Deviation(string Id, string Reason, int Line);

/// <summary>
/// The failures a project already knows about, so it can adopt the kit before it conforms.
/// Text format, one entry per line: <c>ID REASON</c>, where ID is a scenario id (an outline's
/// scenario id covers all its rows; <c>id/row</c> one row) or a requirement id such as
/// <c>FRAME-6</c> (covers every scenario tagged with it); REASON is required free text.
/// Blank lines and lines starting with '#' are ignored. A JSON file
/// (<c>[{"id": "...", "reason": "..."}]</c>) is accepted too.
/// </summary>
public sealed partial class ExpectedDeviations
{
    private readonly List<Deviation> _entries;

    private ExpectedDeviations(List<Deviation> entries) => _entries = entries;

    public static ExpectedDeviations None { get; } = new([]);

    public IReadOnlyList<Deviation> Entries => _entries;

    [GeneratedRegex(@"^[A-Z]+-[0-9]+$")]
    private static partial Regex RequirementId();

    public static ExpectedDeviations Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Throws <see cref="FormatException"/> naming the file and line of a bad entry.</summary>
    public static ExpectedDeviations Parse(string text, string sourceName = "deviations")
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('[') || trimmed.StartsWith('{'))
        {
            return ParseJson(text, sourceName);
        }

        var entries = new List<Deviation>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var split = line.IndexOfAny([' ', '\t']);
            if (split < 0 || line[split..].Trim().Length == 0)
            {
                throw new FormatException($"{sourceName}:{lineNumber}: '{line}' has no reason; write 'ID REASON'");
            }

            entries.Add(new Deviation(line[..split], line[split..].Trim(), lineNumber));
        }

        return new ExpectedDeviations(entries);
    }

    private static ExpectedDeviations ParseJson(string text, string sourceName)
    {
        using var json = JsonDocument.Parse(text);
        var items = json.RootElement.ValueKind == JsonValueKind.Array
            ? json.RootElement.EnumerateArray().ToList()
            : json.RootElement.TryGetProperty("deviations", out var list) ? list.EnumerateArray().ToList()
            : throw new FormatException($"{sourceName}: expected an array of {{\"id\", \"reason\"}} objects");
        var entries = new List<Deviation>();
        for (var i = 0; i < items.Count; i++)
        {
            var id = items[i].TryGetProperty("id", out var idValue) ? idValue.GetString() : null;
            var reason = items[i].TryGetProperty("reason", out var reasonValue) ? reasonValue.GetString() : null;
            if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(reason))
            {
                throw new FormatException($"{sourceName}: entry {i + 1} needs a non-empty \"id\" and \"reason\"");
            }

            entries.Add(new Deviation(id.Trim(), reason.Trim(), i + 1));
        }

        return new ExpectedDeviations(entries);
    }

    /// <summary>The entry that covers <paramref name="scenario"/>, most specific first (row, scenario, requirement).</summary>
    public Deviation? Find(ScenarioCase scenario)
        => _entries.FirstOrDefault(e => e.Id == scenario.Id)
           ?? _entries.FirstOrDefault(e => e.Id == scenario.ScenarioId)
           ?? _entries.FirstOrDefault(e => RequirementId().IsMatch(e.Id) && scenario.RequirementIds.Contains(e.Id));

    /// <summary>
    /// The entry that excuses the target going down during <paramref name="scenario"/>: one naming
    /// the scenario (or its row) or <paramref name="crashRequirement"/>; the scenario's other
    /// requirement ids do not, since the failure is not theirs.
    /// </summary>
    public Deviation? FindTargetDown(ScenarioCase scenario, string crashRequirement)
        => _entries.FirstOrDefault(e => e.Id == scenario.Id)
           ?? _entries.FirstOrDefault(e => e.Id == scenario.ScenarioId)
           ?? _entries.FirstOrDefault(e => e.Id == crashRequirement);

    /// <summary>Applies @should and the deviation list to a raw execution.</summary>
    public (Verdict Verdict, string? Reason, bool UnexpectedPass) Classify(ScenarioCase scenario, ScenarioExecution execution)
    {
        var deviation = Find(scenario);
        return execution.Status switch
        {
            ExecutionStatus.Skipped => (Verdict.Skip, deviation?.Reason, false),
            ExecutionStatus.Passed => (Verdict.Pass, deviation?.Reason, deviation is not null),
            _ when deviation is not null => (Verdict.Known, deviation.Reason, false),
            _ when scenario.IsShould => (Verdict.Warn, null, false),
            _ => (Verdict.Fail, null, false),
        };
    }

    /// <summary>Entries that matched no loaded scenario (probably a typo or a removed scenario).</summary>
    public IReadOnlyList<Deviation> Unused(IEnumerable<ScenarioCase> scenarios)
    {
        var list = scenarios.ToList();
        return _entries.Where(e => !list.Any(s => s.Id == e.Id || s.ScenarioId == e.Id || s.RequirementIds.Contains(e.Id))).ToList();
    }
}
