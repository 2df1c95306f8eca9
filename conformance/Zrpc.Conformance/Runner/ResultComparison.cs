namespace Zrpc.Conformance.Runner;

/// <summary>How one scenario's verdict changed between a baseline and a later run, for one target.</summary>
public enum ChangeKind
{
    /// <summary>Passed in the baseline (PASS or WARN), FAIL now: the only change that fails a run with --baseline.</summary>
    Regressed,
    /// <summary>Passed in the baseline, FLAKY now.</summary>
    Flaky,
    /// <summary>Failed in the baseline (FAIL, KNOWN, WARN or FLAKY), PASS now.</summary>
    Fixed,
    /// <summary>Failed in the baseline and fails now (FAIL, KNOWN, WARN or FLAKY).</summary>
    StillFailing,
    /// <summary>NOT RUN now (the target went down): not judged, so not a regression.</summary>
    NotRun,
    /// <summary>In this run, not in the baseline (a new scenario, or a target the baseline did not test).</summary>
    Added,
    /// <summary>In the baseline, not in this run.</summary>
    Removed,
    /// <summary>Any other change of verdict (PASS to SKIP, SKIP to FAIL, ...).</summary>
    Changed,
}

/// <summary>One scenario's change; <see cref="Before"/> / <see cref="After"/> are verdict labels, null when absent.</summary>
public sealed record ScenarioChange(ChangeKind Kind, string Target, string Id, string? Before, string? After)
{
    public static string Label(ChangeKind kind) => kind switch
    {
        ChangeKind.StillFailing => "STILL FAILING",
        ChangeKind.NotRun => "NOT RUN",
        ChangeKind.Flaky => "NEWLY FLAKY",
        _ => kind.ToString().ToUpperInvariant(),
    };

    /// <summary>The key used in the JSON report: regressed, flaky, fixed, stillFailing, notRun, added, removed, changed.</summary>
    public static string Key(ChangeKind kind) => char.ToLowerInvariant(kind.ToString()[0]) + kind.ToString()[1..];
}

/// <summary>
/// What changed between two result files, target by target and scenario by scenario id. Targets
/// are paired by name, and otherwise by position (a launched server's port changes between runs).
/// </summary>
public sealed record ResultComparison(ResultFile Baseline, ResultFile Current, IReadOnlyList<ScenarioChange> Changes, IReadOnlyList<string> Notes)
{
    private static readonly HashSet<string> Passed = ["PASS", "WARN"];
    private static readonly HashSet<string> Failing = ["FAIL", "KNOWN", "WARN", "FLAKY"];

    public IReadOnlyList<ScenarioChange> Of(ChangeKind kind) => Changes.Where(c => c.Kind == kind).ToList();

    public IReadOnlyList<ScenarioChange> Regressions => Of(ChangeKind.Regressed);

    public static ResultComparison Compare(ResultFile baseline, ResultFile current)
    {
        var notes = new List<string>();
        if (baseline.KitVersion is null)
        {
            notes.Add($"the baseline was {baseline.Describe()}: scenarios are compared by id");
        }
        else if (baseline.KitVersion != current.KitVersion)
        {
            notes.Add($"the baseline was written by kit {baseline.KitVersion}, this by kit {current.KitVersion ?? "unknown"}: scenarios are compared by id");
        }

        if (baseline.Profile is not null && current.Profile is not null && baseline.Profile != current.Profile)
        {
            notes.Add($"the baseline tested protocol profile {baseline.Profile}, this profile {current.Profile}");
        }

        if (baseline.CatalogueHash is not null && current.CatalogueHash is not null && baseline.CatalogueHash != current.CatalogueHash)
        {
            notes.Add($"the scenario catalogue differs (baseline {baseline.CatalogueHash}, now {current.CatalogueHash}): added and removed scenarios are listed");
        }

        var pairs = Pair(baseline.Targets, current.Targets);
        var changes = new List<ScenarioChange>();
        foreach (var (now, before) in pairs)
        {
            if (before is null)
            {
                notes.Add($"target '{now.Name}' is not in the baseline: its scenarios are listed as added");
            }
            else if (before.Name != now.Name)
            {
                notes.Add($"target '{now.Name}' is compared with the baseline's target '{before.Name}' (same position)");
            }

            if (now.Unreachable is not null)
            {
                notes.Add($"target '{now.Name}' was unreachable in this run: not compared");
                continue;
            }

            foreach (var id in now.Order)
            {
                var after = now.Verdicts[id];
                string? was = null;
                before?.Verdicts.TryGetValue(id, out was);
                var kind = Classify(was, after);
                if (kind is { } k)
                {
                    changes.Add(new ScenarioChange(k, now.Name, id, was, after));
                }
            }

            if (before is null) continue;
            foreach (var id in before.Order.Where(id => !now.Verdicts.ContainsKey(id)))
            {
                changes.Add(new ScenarioChange(ChangeKind.Removed, now.Name, id, before.Verdicts[id], null));
            }
        }

        foreach (var gone in baseline.Targets.Where(b => pairs.All(p => !ReferenceEquals(p.Before, b))))
        {
            notes.Add($"the baseline's target '{gone.Name}' is not in this run");
        }

        return new ResultComparison(baseline, current, changes, notes);
    }

    /// <summary>The change from <paramref name="before"/> to <paramref name="after"/>; null when there is nothing to say.</summary>
    public static ChangeKind? Classify(string? before, string after)
    {
        if (before is null) return ChangeKind.Added;
        if (after == "NOT RUN") return ChangeKind.NotRun;
        if (after == "FAIL" && Passed.Contains(before)) return ChangeKind.Regressed;
        if (after == "FLAKY" && Passed.Contains(before)) return ChangeKind.Flaky;
        if (after == "PASS" && Failing.Contains(before)) return ChangeKind.Fixed;
        if (Failing.Contains(after) && Failing.Contains(before)) return ChangeKind.StillFailing;
        return before == after ? null : ChangeKind.Changed;
    }

    private static List<(ResultTarget Now, ResultTarget? Before)> Pair(IReadOnlyList<ResultTarget> baseline, IReadOnlyList<ResultTarget> current)
    {
        var pairs = new List<(ResultTarget, ResultTarget?)>();
        var byName = current.Select(t => baseline.FirstOrDefault(b => b.Name == t.Name)).ToList();
        for (var i = 0; i < current.Count; i++)
        {
            var before = byName[i];
            if (before is null && i < baseline.Count && !byName.Contains(baseline[i]) && !current.Any(c => c.Name == baseline[i].Name))
            {
                before = baseline[i];
            }

            pairs.Add((current[i], before));
        }

        return pairs;
    }

    /// <summary>"2 regressed, 1 fixed, ..." (every kind, zeros included, so that a log can be grepped).</summary>
    public string CountsLine()
        => string.Join(", ", Enum.GetValues<ChangeKind>().Select(k => $"{Of(k).Count} {ScenarioChange.Label(k).ToLowerInvariant()}"));

    /// <summary>The comparison as the console and <c>diff</c> print it: notes, then one line per change, grouped by target.</summary>
    public void Write(TextWriter output, bool nameCurrent = false)
    {
        output.WriteLine($"baseline: {Baseline.Source} ({Baseline.Describe()})");
        if (nameCurrent)
        {
            output.WriteLine($"result:   {Current.Source} ({Current.Describe()})");
        }

        foreach (var note in Notes)
        {
            output.WriteLine($"  note: {note}");
        }

        foreach (var target in Changes.GroupBy(c => c.Target))
        {
            output.WriteLine($"  target {target.Key}:");
            foreach (var change in target.OrderBy(c => c.Kind))
            {
                output.WriteLine($"    {ScenarioChange.Label(change.Kind),-13} {change.Id}  {change.Before ?? "-"} -> {change.After ?? "-"}");
            }
        }

        output.WriteLine($"compared with the baseline: {CountsLine()}");
    }
}
