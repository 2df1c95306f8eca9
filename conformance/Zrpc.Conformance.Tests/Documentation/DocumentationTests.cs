using System.Diagnostics;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Zrpc.Conformance.Tests.Documentation;

/// <summary>
/// The docs cannot drift from the binaries and cannot send a reader nowhere: every help text
/// shown in a doc is what the built command prints, and every relative link resolves.
/// After changing an option, regenerate the shown help texts with
/// <c>ZRPC_UPDATE_DOC_HELP=1 dotnet test conformance/Zrpc.Conformance.Tests --filter FullyQualifiedName~DocumentationTests</c>.
/// </summary>
[Category("docs")]
public sealed class DocumentationTests
{
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(60);

    public static IEnumerable<TestCaseData> HelpBlocks() =>
        DocumentationFiles.All()
            .SelectMany(DocumentationFiles.HelpBlocks)
            .Select(block => new TestCaseData(block).SetArgDisplayNames(block.ToString()));

    [TestCaseSource(nameof(HelpBlocks))]
    public async Task A_help_text_shown_in_the_docs_is_what_the_command_prints(DocumentationFiles.HelpBlock block)
    {
        var printed = Normalize(await PrintedHelpAsync(block.Command));
        var shown = Normalize(block.Shown);
        if (printed == shown) return;

        if (Environment.GetEnvironmentVariable("ZRPC_UPDATE_DOC_HELP") == "1")
        {
            Rewrite(block, printed);
            Assert.Warn($"{block}: rewritten with what the command prints");
            return;
        }

        Assert.That(shown, Is.EqualTo(printed),
            $"{block} differs from what `{block.Command}` prints; update the doc (ZRPC_UPDATE_DOC_HELP=1 rewrites it)");
    }

    [TestCase("docs/runner.md", "zrpc-conformance --help")]
    [TestCase("docs/runner.md", "zrpc-conformance diff --help")]
    [TestCase("docs/zrpc-cli.md", "zrpc --help")]
    [TestCase("docs/zrpc-cli.md", "zrpc serve --help")]
    [TestCase("docs/zrpc-cli.md", "zrpc call --help")]
    [TestCase("docs/zrpc-cli.md", "zrpc client-driver --help")]
    public void The_manuals_show_the_help_of_their_commands(string doc, string command)
    {
        var blocks = DocumentationFiles.HelpBlocks(Path.Combine(DocumentationFiles.Root, doc)).Select(b => b.Command);

        Assert.That(blocks, Does.Contain(command), $"{doc} has no checked help block for `{command}`");
    }

    [Test]
    public void Every_help_like_block_in_the_docs_is_checked_against_its_command()
    {
        var unmarked = DocumentationFiles.All().SelectMany(DocumentationFiles.UnmarkedHelpLikeBlocks).ToList();

        Assert.That(unmarked, Is.Empty,
            "help output shown without a '<!-- help: COMMAND ARGS -->' line right above its fence, so no test compares it with the command");
    }

    [Test]
    public void Every_relative_link_in_the_docs_resolves()
    {
        var broken = new List<string>();
        foreach (var file in DocumentationFiles.All())
        {
            var markdown = File.ReadAllText(file);
            foreach (var link in MarkdownLinks.Links(markdown))
            {
                if (MarkdownLinks.IsExternal(link.Target)) continue;
                if (Resolve(file, markdown, link.Target) is { } problem)
                {
                    broken.Add($"{DocumentationFiles.Relative(file)}:{link.Line}: ({link.Target}) {problem}");
                }
            }
        }

        Assert.That(broken, Is.Empty, "links that lead nowhere");
    }

    [Test]
    public void The_link_check_finds_a_missing_file_and_a_missing_heading()
    {
        var file = Path.Combine(DocumentationFiles.Root, "docs", "runner.md");
        var markdown = File.ReadAllText(file);

        Assert.Multiple(() =>
        {
            Assert.That(Resolve(file, markdown, "no-such-doc.md"), Is.Not.Null);
            Assert.That(Resolve(file, markdown, "#no-such-heading"), Is.Not.Null);
            Assert.That(Resolve(file, markdown, "architecture.md#no-such-heading"), Is.Not.Null);
            Assert.That(Resolve(file, markdown, "#exit-codes"), Is.Null);
            Assert.That(Resolve(file, markdown, "../README.md#the-two-commands"), Is.Null);
            Assert.That(Resolve(file, markdown, "../spec/"), Is.Null);
        });
    }

    [Test]
    public void The_README_is_short_and_leads_with_the_two_commands()
    {
        var lines = File.ReadAllLines(Path.Combine(DocumentationFiles.Root, "README.md"));
        var headings = lines.Where(l => l.StartsWith("## ", StringComparison.Ordinal)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.LessThanOrEqualTo(220), "the README is the front door; details belong in docs/");
            Assert.That(headings.FirstOrDefault(), Is.EqualTo("## The two commands"));
            Assert.That(lines, Does.Contain("    dotnet run --project conformance/Zrpc.Conformance"));
            Assert.That(lines, Does.Contain("    ./test.sh"));
        });
    }

    /// <summary>Null when the link leads somewhere, else what is missing.</summary>
    private static string? Resolve(string file, string markdown, string target)
    {
        var hash = target.IndexOf('#');
        var pathPart = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
        var anchor = hash < 0 ? null : target[(hash + 1)..];

        var destination = pathPart.Length == 0
            ? file
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, pathPart));
        if (!File.Exists(destination) && !Directory.Exists(destination)) return "no such file or folder";
        if (anchor is null || anchor.Length == 0) return null;
        if (!destination.EndsWith(".md", StringComparison.OrdinalIgnoreCase)) return null; // line anchors of source files are GitHub's

        var text = destination == file ? markdown : File.ReadAllText(destination);
        return MarkdownLinks.Anchors(text).Contains(anchor) ? null : $"no heading with anchor #{anchor}";
    }

    private static string Normalize(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd());
        return string.Join('\n', lines).Trim('\n');
    }

    private static void Rewrite(DocumentationFiles.HelpBlock block, string printed)
    {
        var current = DocumentationFiles.HelpBlocks(block.File).First(b => b.Command == block.Command);
        var text = File.ReadAllText(block.File);
        File.WriteAllText(block.File, text[..current.ContentStart] + printed + text[(current.ContentStart + current.ContentLength)..]);
    }

    /// <summary>Runs the built command (next to this test assembly) with its output redirected, as a user piping it would.</summary>
    private static async Task<string> PrintedHelpAsync(string commandLine)
    {
        var words = Regex.Split(commandLine.Trim(), @"\s+");
        var dll = words[0] switch
        {
            "zrpc-conformance" => "zrpc-conformance.dll",
            "zrpc" => "Zrpc.Cli.dll",
            _ => null,
        };
        if (dll is null)
        {
            Assert.Fail($"no built command named '{words[0]}' next to the tests; help blocks can show zrpc-conformance or zrpc");
        }

        var path = Path.Combine(AppContext.BaseDirectory, dll!);
        Assert.That(File.Exists(path), $"{path} is not built next to the tests");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var info = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(path);
        foreach (var word in words.Skip(1)) info.ArgumentList.Add(word);

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(CommandLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{commandLine}` did not finish within {CommandLimit.TotalSeconds} s");
        }

        Assert.That(process.ExitCode, Is.EqualTo(0), $"`{commandLine}` exited {process.ExitCode}: {await error}");
        return await output;
    }
}
