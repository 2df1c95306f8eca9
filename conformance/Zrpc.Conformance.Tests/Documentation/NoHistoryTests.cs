using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Zrpc.Conformance.Tests.Documentation;

/// <summary>
/// Code, docs and comments say what is true now; how the project got there belongs in the commit
/// messages. A numbered work period or a tracker number given as a reason is history, not a reason.
/// </summary>
[Category("docs")]
public sealed partial class NoHistoryTests
{
    private static readonly string[] TextExtensions =
        [".cs", ".md", ".sh", ".py", ".feature", ".csproj", ".props", ".targets", ".lua", ".yml", ".yaml", ".editorconfig"];

    [GeneratedRegex(@"\b[Ss]ession[ -]\d|\b[Ii]ssues? #?\d|\b[Ii]ssue #")]
    private static partial Regex History();

    public static IEnumerable<string> SourceAndDocFiles()
    {
        var root = DocumentationFiles.Root;
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(path => TextExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase)
                           || Path.GetFileName(path) == "run")
            .Where(path => !DocumentationFiles.IsGenerated(Path.GetRelativePath(root, path)))
            // This file spells out what the check looks for.
            .Where(path => Path.GetFileName(path) != nameof(NoHistoryTests) + ".cs");
    }

    [Test]
    public void No_file_tells_how_the_project_was_made()
    {
        var hits = new List<string>();
        foreach (var file in SourceAndDocFiles())
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (History().Match(lines[i]) is { Success: true } m)
                {
                    hits.Add($"{DocumentationFiles.Relative(file)}:{i + 1}: {m.Value}");
                }
            }
        }

        Assert.That(hits, Is.Empty, "say what is true now instead; the history is in the commit messages");
    }

    // Split so that a plain grep of the repository for such lines does not find these examples.
    [TestCase("the spin cost a lot (ses" + "sion 6)")]
    [TestCase("allocation must stay low (iss" + "ue 6)")]
    [TestCase("see iss" + "ue #12")]
    public void The_check_recognises_history(string line)
    {
        Assert.That(History().IsMatch(line), Is.True);
    }

    [TestCase("an SSH session's stdout")]
    [TestCase("response #1 Echo")]
    [TestCase("the issue of a clean read")]
    public void The_check_leaves_ordinary_words_alone(string line)
    {
        Assert.That(History().IsMatch(line), Is.False);
    }
}
