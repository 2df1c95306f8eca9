using System.Text.Json;

namespace Zrpc.Conformance.Runner;

/// <summary>One target's verdicts in a result file, by scenario id.</summary>
public sealed record ResultTarget(string Name, string? TargetArgument, string? Unreachable, IReadOnlyDictionary<string, string> Verdicts, IReadOnlyList<string> Order);

/// <summary>
/// The part of a JSON result (--json) that baselines and <c>diff</c> compare: who wrote it and, per
/// target, each scenario's verdict. Read from a file, or taken from the run in progress.
/// </summary>
public sealed record ResultFile(string Source, string? KitVersion, string? Profile, string? CatalogueHash, IReadOnlyList<ResultTarget> Targets)
{
    /// <summary>Reads a file written by --json; throws <see cref="FormatException"/> naming the file and what is missing.</summary>
    public static ResultFile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{path}: cannot read the result file: {e.Message}", e);
        }

        try
        {
            return Parse(text, path);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not a JSON result file of zrpc-conformance --json: {e.Message}", e);
        }
    }

    public static ResultFile Parse(string text, string source)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("targets", out var targets) || targets.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{source}: not a JSON result file of zrpc-conformance --json (no \"targets\" array)");
        }

        string? kitVersion = null, profile = null, hash = null;
        if (root.TryGetProperty("kit", out var kit) && kit.ValueKind == JsonValueKind.Object)
        {
            kitVersion = String(kit, "version");
            profile = String(kit, "profile");
            hash = String(kit, "catalogueHash");
        }

        var list = new List<ResultTarget>();
        var position = 0;
        foreach (var target in targets.EnumerateArray())
        {
            position++;
            var name = String(target, "name") ?? throw new FormatException($"{source}: target {position} has no \"name\"");
            var verdicts = new Dictionary<string, string>(StringComparer.Ordinal);
            var order = new List<string>();
            if (target.TryGetProperty("results", out var results) && results.ValueKind == JsonValueKind.Array)
            {
                foreach (var result in results.EnumerateArray())
                {
                    var id = String(result, "id");
                    var verdict = String(result, "verdict");
                    if (id is null || verdict is null)
                    {
                        throw new FormatException($"{source}: a result of target '{name}' has no \"id\" or \"verdict\"");
                    }

                    if (verdicts.TryAdd(id, verdict.ToUpperInvariant()))
                    {
                        order.Add(id);
                    }
                }
            }

            list.Add(new ResultTarget(name, String(target, "target"), String(target, "unreachable"), verdicts, order));
        }

        return new ResultFile(source, kitVersion, profile, hash, list);
    }

    /// <summary>The verdicts of a run that has just ended, as its --json file would record them.</summary>
    public static ResultFile From(RunReport report, string source = "this run")
        => new(source, report.Identity?.KitVersion, report.Identity?.Profile, report.Identity?.CatalogueHash,
            report.Targets.Select(t => new ResultTarget(t.Name, t.TargetArgument, t.UnreachableError,
                t.Results.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.First().Verdict.Label(), StringComparer.Ordinal),
                t.Results.Select(r => r.Id).Distinct().ToList())).ToList());

    /// <summary>"kit 0.1.0, profile 6ab05ee, catalogue 0123abcd..." or what is unknown of it.</summary>
    public string Describe()
        => KitVersion is null
            ? "written by a kit that records no version"
            : $"kit {KitVersion}, profile {Profile ?? "unknown"}, catalogue {CatalogueHash ?? "unknown"}";

    private static string? String(JsonElement element, string property)
        => element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
