using System.Text;
using System.Text.RegularExpressions;

namespace Zrpc.Conformance.Tests.Documentation;

/// <summary>The relative links of a Markdown file and the heading anchors it offers, the way GitHub renders them.</summary>
public static partial class MarkdownLinks
{
    public sealed record Link(int Line, string Target);

    // [text](target) and [text](target "title"); images too. Autolinks and reference-style links are not used here.
    [GeneratedRegex(@"\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"^(?<fence>```|~~~)")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^#{1,6}\s+(?<title>.+?)\s*#*\s*$")]
    private static partial Regex Heading();

    /// <summary>Links outside code (fenced blocks and inline code are examples, not links).</summary>
    public static IEnumerable<Link> Links(string markdown)
    {
        var inFence = false;
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (Fence().IsMatch(lines[i].TrimStart()))
            {
                inFence = !inFence;
                continue;
            }
            if (inFence) continue;
            var prose = InlineCode().Replace(lines[i], "");
            foreach (Match m in InlineLink().Matches(prose))
            {
                yield return new Link(i + 1, m.Groups["target"].Value);
            }
        }
    }

    public static bool IsExternal(string target)
        => target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal);

    /// <summary>The anchors GitHub gives the file's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (Fence().IsMatch(line.TrimStart()))
            {
                inFence = !inFence;
                continue;
            }
            if (inFence) continue;
            var m = Heading().Match(line.TrimEnd('\r'));
            if (!m.Success) continue;
            var slug = Slug(m.Groups["title"].Value);
            var n = seen.GetValueOrDefault(slug);
            seen[slug] = n + 1;
            anchors.Add(n == 0 ? slug : $"{slug}-{n}");
        }
        return anchors;
    }

    public static string Slug(string title)
    {
        var text = Regex.Replace(title, @"\[(?<text>[^\]]*)\]\([^)]*\)", "${text}"); // a link in a heading keeps its text
        var slug = new StringBuilder();
        foreach (var c in text.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_') slug.Append(c);
            else if (c == ' ') slug.Append('-');
        }
        return slug.ToString();
    }
}
