namespace Zrpc.Spec;

/// <summary>Obligation level of a requirement, as written in the spec (RFC 2119 words).</summary>
public enum RequirementLevel
{
    Must,
    Should,
    May,
}

/// <summary>
/// One numbered requirement paragraph of the spec, e.g. <c>**FRAME-6** (MUST) A receiver MUST ...</c>.
/// <paramref name="Section"/> is the text of the nearest heading above the paragraph.
/// </summary>
public sealed record Requirement(string Id, RequirementLevel Level, string Text, string Section)
{
    /// <summary>The id prefix that names the spec area, e.g. "FRAME" for "FRAME-6".</summary>
    public string Area => Id[..Id.IndexOf('-')];

    /// <summary>File the paragraph was read from (resource or path); informational.</summary>
    public string? Source { get; init; }

    /// <summary>1-based line of the paragraph's first line in <see cref="Source"/>.</summary>
    public int Line { get; init; }

    public override string ToString() => $"{Id} ({Level.ToString().ToUpperInvariant()}) {Text}";
}
