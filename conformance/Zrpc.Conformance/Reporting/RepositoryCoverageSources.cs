using System.Text.Json;
using System.Text.RegularExpressions;

namespace Zrpc.Conformance.Reporting;

/// <summary>
/// Coverage that lives outside the scenarios, read from a source checkout: golden fixtures (their
/// "requirements" lists) and unit tests (their NUnit categories naming requirement ids). A runner
/// installed without the repository has neither, and reports scenario coverage only.
/// </summary>
public static partial class RepositoryCoverageSources
{
    [GeneratedRegex(@"Category\(""([A-Z]+-[0-9]+)""\)")]
    private static partial Regex CategoryAttribute();

    [GeneratedRegex(@"^[A-Z]+-[0-9]+$")]
    private static partial Regex RequirementId();

    /// <summary>The checkout root (the folder holding Conformance.sln) above <paramref name="start"/>, if any.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Conformance.sln"))) return dir.FullName;
        }
        return null;
    }

    public static IEnumerable<ICoverageSource> From(string? root) =>
        root is null ? [] : [new FixtureCoverage(Path.Combine(root, "fixtures")), new UnitTestCoverage(root)];

    private sealed class FixtureCoverage(string folder) : ICoverageSource
    {
        public IEnumerable<CoverageItem> Items()
        {
            if (!Directory.Exists(folder)) yield break;
            foreach (var file in Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("fixtures", out var fixtures)) continue;
                foreach (var fixture in fixtures.EnumerateArray())
                {
                    var id = fixture.TryGetProperty("id", out var idProperty) ? idProperty.GetString() ?? "?" : "?";
                    if (!fixture.TryGetProperty("requirements", out var requirements)) continue;
                    foreach (var requirement in requirements.EnumerateArray())
                        yield return new CoverageItem(requirement.GetString()!, "fixture", id);
                }
            }
        }
    }

    private sealed class UnitTestCoverage(string root) : ICoverageSource
    {
        public IEnumerable<CoverageItem> Items()
        {
            foreach (var project in Directory.EnumerateDirectories(root, "*.Tests", SearchOption.AllDirectories))
            {
                if (project.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") ||
                    project.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")) continue;
                foreach (var file in Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories))
                {
                    if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")) continue;
                    var name = Path.GetRelativePath(root, file);
                    foreach (var id in CategoryAttribute().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).Distinct())
                        if (RequirementId().IsMatch(id)) yield return new CoverageItem(id, "unit-test", name);
                }
            }
        }
    }
}
