using System.Text.RegularExpressions;
using Zrpc.Conformance.Reporting;

namespace Zrpc.Conformance.Tests.Documentation;

/// <summary>The user-facing Markdown of the repository, and what the documentation tests read out of it.</summary>
public static partial class DocumentationFiles
{
    public static string Root => RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("the tests must run inside the repository (Conformance.sln not found above the test assembly)");

    /// <summary>Every Markdown file a user may be sent to: the README, docs/, and the manuals beside the code.</summary>
    public static IReadOnlyList<string> All()
    {
        var root = Root;
        return Directory.EnumerateFiles(root, "*.md", SearchOption.AllDirectories)
            .Where(path => !IsGenerated(Path.GetRelativePath(root, path)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    /// <summary>Build output, artifacts and version control are not documentation.</summary>
    public static bool IsGenerated(string relative)
    {
        var parts = relative.Replace('\\', '/').Split('/');
        return parts.Any(p => p is "bin" or "obj" or "artifacts" or ".git" or "node_modules" or "TestResults");
    }

    /// <summary>A help text shown in a doc, with the command line that prints it.</summary>
    public sealed record HelpBlock(string File, int Line, string Command, string Shown, int ContentStart, int ContentLength)
    {
        public override string ToString() => $"{Relative(File)}:{Line} ({Command})";
    }

    // A help block is a fenced block right after the marker that names its command line:
    //   <!-- help: zrpc serve --help -->
    //   ```
    //   ...exactly what the command prints...
    //   ```
    [GeneratedRegex(@"<!--\s*help:\s*(?<command>[^>]+?)\s*-->\r?\n```[^\n]*\n(?<content>.*?)\r?\n```", RegexOptions.Singleline)]
    private static partial Regex MarkedHelpBlock();

    [GeneratedRegex(@"^```[^\n]*\n(?<content>.*?)\r?\n```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    public static IEnumerable<HelpBlock> HelpBlocks(string file)
    {
        var text = File.ReadAllText(file);
        foreach (Match m in MarkedHelpBlock().Matches(text))
        {
            var content = m.Groups["content"];
            yield return new HelpBlock(file, LineOf(text, m.Index), m.Groups["command"].Value, content.Value, content.Index, content.Length);
        }
    }

    /// <summary>
    /// Fenced blocks that look like a command's help output (System.CommandLine's "Description:" /
    /// "Usage:" sections) but carry no marker, so nothing would compare them with the binary.
    /// </summary>
    public static IEnumerable<string> UnmarkedHelpLikeBlocks(string file)
    {
        var text = File.ReadAllText(file);
        var marked = MarkedHelpBlock().Matches(text).Select(m => m.Groups["content"].Index).ToHashSet();
        foreach (Match m in FencedBlock().Matches(text))
        {
            var content = m.Groups["content"];
            var looksLikeHelp = content.Value.TrimStart().StartsWith("Description:", StringComparison.Ordinal)
                                || Regex.IsMatch(content.Value, @"^Usage:\s*$", RegexOptions.Multiline);
            if (looksLikeHelp && !marked.Contains(content.Index))
            {
                yield return $"{Relative(file)}:{LineOf(text, m.Index)}";
            }
        }
    }

    public static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;
}
