using System.Text.Json;
using System.Text.RegularExpressions;
using Zrpc.Conformance.Driver;

namespace Zrpc.Conformance.Runner;

/// <summary>
/// One entry of an expected-deviations file. <paramref name="Link"/> points at where the deviation
/// is tracked; after <paramref name="Until"/> the entry has expired: it excuses nothing and fails
/// the run.
/// </summary>
public sealed record Deviation(string Id, string Reason, int Line, string? Link = null, DateOnly? Until = null)
{
    /// <summary>True once <paramref name="today"/> is after the entry's "until" date.</summary>
    public bool IsExpired(DateOnly today) => Until is { } until && today > until;

    /// <summary>"'ID' (line N)", how messages name the entry.</summary>
    public string Describe() => $"'{Id}' (line {Line})";
}

/// <summary>
/// The failures a project already knows about, so it can adopt the kit before it conforms.
/// Text format, one entry per line: <c>ID REASON</c>, where ID is a scenario id (an outline's
/// scenario id covers all its rows; <c>id/row</c> one row) or a requirement id such as
/// <c>FRAME-6</c> (covers every scenario tagged with it); REASON is required free text.
/// Blank lines and lines starting with '#' are ignored. Within REASON, <c>until YYYY-MM-DD</c>
/// sets an expiry date and an <c>http(s)://</c> address the link. A JSON file
/// (<c>[{"id": "...", "reason": "...", "link": "...", "until": "YYYY-MM-DD"}]</c>) is accepted too.
/// </summary>
public sealed partial class ExpectedDeviations
{
    private readonly List<Deviation> _entries;

    private readonly List<Deviation> _active;

    private ExpectedDeviations(List<Deviation> entries, DateOnly? today = null)
    {
        _entries = entries;
        Today = today ?? DateOnly.FromDateTime(DateTime.UtcNow);
        _active = entries.Where(e => !e.IsExpired(Today)).ToList();
    }

    public static ExpectedDeviations None { get; } = new([]);

    public IReadOnlyList<Deviation> Entries => _entries;

    /// <summary>The date expiry is judged against (UTC today unless a test sets it).</summary>
    public DateOnly Today { get; }

    /// <summary>Entries whose "until" date has passed: they excuse nothing and fail the run.</summary>
    public IReadOnlyList<Deviation> Expired => _entries.Where(e => e.IsExpired(Today)).ToList();

    /// <summary>The same entries, judged against <paramref name="today"/>.</summary>
    public ExpectedDeviations AsOf(DateOnly today) => new(_entries, today);

    [GeneratedRegex(@"^[A-Z]+-[0-9]+$")]
    private static partial Regex RequirementId();

    // Only a word that starts like a date is an expiry: "broken until upstream fixes it" is a reason.
    [GeneratedRegex(@"(?:^|\s)until\s+([0-9]{4}-\S*)(?=\s|$)")]
    private static partial Regex UntilClause();

    [GeneratedRegex(@"(?:^|\s)(https?://\S+)(?=\s|$)")]
    private static partial Regex LinkClause();

    /// <summary>The date of an "until" clause; throws <see cref="FormatException"/> naming the entry for anything but YYYY-MM-DD.</summary>
    private static DateOnly ParseUntil(string text, string where)
        => DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date)
            ? date
            : throw new FormatException($"{where}: 'until {text}' is not a date; write 'until YYYY-MM-DD'");

    /// <summary>Splits REASON of a text entry into the reason, its link and its expiry date.</summary>
    private static (string Reason, string? Link, DateOnly? Until) SplitReason(string text, string where)
    {
        DateOnly? until = null;
        var untilMatch = UntilClause().Match(text);
        if (untilMatch.Success)
        {
            until = ParseUntil(untilMatch.Groups[1].Value, where);
            text = text.Remove(untilMatch.Index, untilMatch.Length);
        }

        string? link = null;
        var linkMatch = LinkClause().Match(text);
        if (linkMatch.Success)
        {
            link = linkMatch.Groups[1].Value;
            text = text.Remove(linkMatch.Index, linkMatch.Length);
        }

        return (Regex.Replace(text, @"\s+", " ").Trim(), link, until);
    }

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

            var where = $"{sourceName}:{lineNumber}";
            var (reason, link, until) = SplitReason(line[split..].Trim(), where);
            if (reason.Length == 0)
            {
                throw new FormatException($"{where}: '{line}' has no reason besides its link and date; write 'ID REASON'");
            }

            entries.Add(new Deviation(line[..split], reason, lineNumber, link, until));
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

            var link = items[i].TryGetProperty("link", out var linkValue) ? linkValue.GetString() : null;
            DateOnly? until = items[i].TryGetProperty("until", out var untilValue) && untilValue.GetString() is { } untilText
                ? ParseUntil(untilText, $"{sourceName}: entry {i + 1}")
                : null;
            entries.Add(new Deviation(id.Trim(), reason.Trim(), i + 1, string.IsNullOrWhiteSpace(link) ? null : link.Trim(), until));
        }

        return new ExpectedDeviations(entries);
    }

    /// <summary>The entry that covers <paramref name="scenario"/>, most specific first (row, scenario, requirement).</summary>
    public Deviation? Find(ScenarioCase scenario)
        => _active.FirstOrDefault(e => e.Id == scenario.Id)
           ?? _active.FirstOrDefault(e => e.Id == scenario.ScenarioId)
           ?? _active.FirstOrDefault(e => RequirementId().IsMatch(e.Id) && scenario.RequirementIds.Any(r => r.Value == e.Id));

    /// <summary>
    /// The entry that excuses the target going down during <paramref name="scenario"/>: one naming
    /// the scenario (or its row) or <paramref name="crashRequirement"/>; the scenario's other
    /// requirement ids do not, since the failure is not theirs.
    /// </summary>
    public Deviation? FindTargetDown(ScenarioCase scenario, Zrpc.Spec.RequirementId crashRequirement)
        => _active.FirstOrDefault(e => e.Id == scenario.Id)
           ?? _active.FirstOrDefault(e => e.Id == scenario.ScenarioId)
           ?? _active.FirstOrDefault(e => e.Id == crashRequirement.Value);

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
        return _entries.Where(e => !list.Any(s => s.Id == e.Id || s.ScenarioId == e.Id || s.RequirementIds.Any(r => r.Value == e.Id))).ToList();
    }
}
