using NUnit.Framework;
using Zrpc.Conformance.Reporting;

namespace Zrpc.Conformance.Tests.Coverage;

/// <summary>
/// Product source files stay short enough to read in one sitting: a type that grows past the limit
/// is split into parts (partial classes named after their job) or into types of its own. Test
/// files are lists of cases and are not held to it.
/// </summary>
public sealed class SourceFileSizeTests
{
    const int MaxLines = 420;

    [Test]
    public void No_product_source_file_is_over_the_limit()
    {
        string root = RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("the tests must run inside the repository");
        var sep = Path.DirectorySeparatorChar;
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}obj{sep}") && !f.Contains($"{sep}bin{sep}") && !f.Contains($"{sep}artifacts{sep}"))
            .Where(f => !Path.GetRelativePath(root, f).Split(sep).Any(part => part.EndsWith(".Tests", StringComparison.Ordinal)))
            .ToList();
        Assert.That(files, Has.Count.GreaterThan(100), "the scan must see the repository's sources");

        var over = files
            .Select(f => (Path: Path.GetRelativePath(root, f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxLines)
            .Select(f => $"{f.Path}: {f.Lines} lines")
            .ToList();
        Assert.That(over, Is.Empty, $"product source files over {MaxLines} lines (split them by job)");
    }
}
