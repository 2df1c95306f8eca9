using System.Text;
using System.Text.RegularExpressions;

namespace Zrpc.Spec;

/// <summary>
/// The requirement paragraphs of the spec (spec/*.md), indexed by id. Every requirement is one
/// paragraph starting with <c>**ID** (LEVEL)</c>; the tools (coverage matrix, conformance
/// reports) cite requirements from here so that an error message can quote the spec sentence.
/// </summary>
public sealed partial class RequirementCatalog
{
    private readonly Dictionary<string, Requirement> _byId;

    private RequirementCatalog(IReadOnlyList<Requirement> all)
    {
        All = all;
        _byId = new Dictionary<string, Requirement>(StringComparer.Ordinal);
        foreach (var requirement in all)
        {
            if (!_byId.TryAdd(requirement.Id, requirement))
            {
                var first = _byId[requirement.Id];
                throw new FormatException(
                    $"requirement {requirement.Id} is defined twice: {first.Source}:{first.Line} and {requirement.Source}:{requirement.Line}");
            }
        }
    }

    /// <summary>All requirements in document order (files in name order).</summary>
    public IReadOnlyList<Requirement> All { get; }

    public static RequirementCatalog Empty { get; } = new([]);

    [GeneratedRegex(@"^\*\*([A-Z]+-[0-9]+)\*\* \((MUST|SHOULD|MAY)\) (.+)$")]
    private static partial Regex RequirementParagraph();

    [GeneratedRegex(@"^(#{1,6})\s+(.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    /// <summary>Null when the spec has no such id.</summary>
    public Requirement? Find(string id) => _byId.GetValueOrDefault(id);

    public bool Contains(string id) => _byId.ContainsKey(id);

    /// <summary>
    /// <paramref name="value"/> as an id this catalogue defines: the one check that a cited
    /// requirement exists. <see cref="FormatException"/> for text not shaped like an id,
    /// <see cref="UnknownRequirementException"/> for an id the spec does not have.
    /// </summary>
    public RequirementId Id(string value)
    {
        var id = RequirementId.Parse(value);
        return _byId.ContainsKey(id.Value) ? id : throw new UnknownRequirementException(id);
    }

    private static readonly Lazy<RequirementCatalog> EmbeddedCatalog = new(LoadEmbedded);

    /// <summary>The spec built into this assembly, read once (<see cref="LoadEmbedded"/>).</summary>
    public static RequirementCatalog Embedded => EmbeddedCatalog.Value;

    /// <summary>Parses one markdown text. <paramref name="sourceName"/> only labels the results.</summary>
    public static RequirementCatalog Parse(string markdown, string sourceName = "spec")
        => new(ParseRequirements(markdown, sourceName).ToList());

    /// <summary>Reads every *.md file in <paramref name="directory"/> (e.g. the repository's spec/ folder).</summary>
    public static RequirementCatalog LoadDirectory(string directory)
    {
        var requirements = new List<Requirement>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.md").Order(StringComparer.Ordinal))
        {
            requirements.AddRange(ParseRequirements(File.ReadAllText(path), path));
        }

        return new RequirementCatalog(requirements);
    }

    public static RequirementCatalog LoadFile(string path)
        => new(ParseRequirements(File.ReadAllText(path), path).ToList());

    /// <summary>
    /// The spec as compiled into this assembly (spec/*.md are embedded resources), so that the
    /// conformance runner can cite requirements without a checkout of the repository.
    /// </summary>
    public static RequirementCatalog LoadEmbedded()
    {
        var assembly = typeof(RequirementCatalog).Assembly;
        var requirements = new List<Requirement>();
        foreach (var name in assembly.GetManifestResourceNames()
                     .Where(n => n.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
                     .Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            requirements.AddRange(ParseRequirements(reader.ReadToEnd(), name));
        }

        return new RequirementCatalog(requirements);
    }

    /// <summary>Names of the embedded spec documents (empty until spec/*.md exist).</summary>
    public static IReadOnlyList<string> EmbeddedDocuments()
        => typeof(RequirementCatalog).Assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".md", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();

    private static IEnumerable<Requirement> ParseRequirements(string markdown, string sourceName)
    {
        var section = "";
        var inFence = false;
        var paragraph = new StringBuilder();
        var paragraphLine = 0;
        var lineNumber = 0;

        // A paragraph may be wrapped over several lines; it is joined with single spaces before
        // matching, so a wrapped requirement is not silently lost.
        Requirement? Flush()
        {
            if (paragraph.Length == 0)
            {
                return null;
            }

            var text = paragraph.ToString();
            paragraph.Clear();
            var match = RequirementParagraph().Match(text);
            if (!match.Success)
            {
                return null;
            }

            var level = match.Groups[2].Value switch
            {
                "MUST" => RequirementLevel.Must,
                "SHOULD" => RequirementLevel.Should,
                _ => RequirementLevel.May,
            };
            return new Requirement(match.Groups[1].Value, level, match.Groups[3].Value.Trim(), section)
            {
                Source = sourceName,
                Line = paragraphLine,
            };
        }

        using var reader = new StringReader(markdown);
        while (reader.ReadLine() is { } rawLine)
        {
            lineNumber++;
            var line = rawLine.TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                if (Flush() is { } r0) yield return r0;
                inFence = !inFence;
                continue;
            }

            if (inFence)
            {
                continue;
            }

            var heading = Heading().Match(line);
            if (heading.Success)
            {
                if (Flush() is { } r1) yield return r1;
                section = heading.Groups[2].Value;
                continue;
            }

            if (line.Length == 0)
            {
                if (Flush() is { } r2) yield return r2;
                continue;
            }

            if (paragraph.Length == 0)
            {
                paragraphLine = lineNumber;
                paragraph.Append(line);
            }
            else
            {
                paragraph.Append(' ').Append(line.Trim());
            }
        }

        if (Flush() is { } last) yield return last;
    }
}
