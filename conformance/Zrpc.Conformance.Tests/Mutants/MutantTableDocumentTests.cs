using NUnit.Framework;
using Zrpc.Conformance.Tests.Documentation;
using Zrpc.SelfTest;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>
/// The mutant tables of docs/self-test.md against the catalogue: the same mutants in the same
/// order, with the same descriptions and broken requirements, the same counts, and a catching
/// scenario for every defect. The tables are written by <see cref="MutantTable"/> (explicit: it
/// runs the whole suite per mutant); this check is quick and runs with every build.
/// </summary>
[TestFixture]
public sealed class MutantTableDocumentTests
{
    private static string Document => File.ReadAllText(Path.Combine(DocumentationFiles.Root, "docs", "self-test.md"));

    private static IEnumerable<TestCaseData> Tables()
    {
        yield return new TestCaseData(MutantTableDocument.Server).SetName("server mutant table matches the catalogue");
        yield return new TestCaseData(MutantTableDocument.Client).SetName("client mutant table matches the catalogue");
    }

    [TestCaseSource(nameof(Tables))]
    public void Matches(string table)
    {
        var block = MutantTableDocument.Block(Document, table);
        Assert.That(block, Is.Not.Null, $"docs/self-test.md has no {MutantTableDocument.Begin(table)} block");
        var catalogue = table == MutantTableDocument.Server
            ? ServerDefects.All.Select(d => (d.Name, d.Description, Breaks: MutantExpectations.Breaks[d.Name])).ToList()
            : ClientDefects.All.Select(d => (d.Name, d.Description, Breaks: MutantExpectations.ClientBreaks[d.Name])).ToList();
        var rows = MutantTableDocument.Rows(block!);
        const string regenerate = "regenerate the tables with MutantTable (docs/self-test.md, 'Regenerating the tables')";

        Assert.That(rows.Select(r => r.Name), Is.EqualTo(catalogue.Select(c => c.Name)), $"mutants and their order differ from the catalogue: {regenerate}");
        Assert.Multiple(() =>
        {
            foreach (var (row, entry) in rows.Zip(catalogue))
            {
                Assert.That(row.Description, Is.EqualTo(entry.Description), $"{row.Name}: description differs from the catalogue: {regenerate}");
                Assert.That(row.Breaks, Is.EqualTo(entry.Breaks), $"{row.Name}: broken requirements differ from MutantExpectations: {regenerate}");
                Assert.That(row.Catchers, Does.Not.Contain("none: suite gap").And.Not.Contain("false failure"), $"{row.Name}: {row.Catchers}");
            }

            var count = table == MutantTableDocument.Server ? $"{catalogue.Count} mutants," : $"{catalogue.Count} client mutants,";
            Assert.That(block, Does.Contain("\n" + count), $"the count under the table differs from the catalogue: {regenerate}");
        });
    }

    [Test]
    public void Rows_are_read_back_as_written()
    {
        var block = "\n| `a` | says \\| this (X-1) | X-1, Y-2 | `s/1` (+2 other) |\n| `b` | no defect |  | none |\n";
        var rows = MutantTableDocument.Rows(block);
        Assert.That(rows, Has.Count.EqualTo(2));
        Assert.That(rows[0], Is.EqualTo(rows[0] with { Name = "a", Description = "says | this (X-1)", Catchers = "`s/1` (+2 other)" }));
        Assert.That(rows[0].Breaks, Is.EqualTo(new[] { "X-1", "Y-2" }));
        Assert.That(rows[1].Breaks, Is.Empty);
        var spliced = MutantTableDocument.Splice($"x\n{MutantTableDocument.Begin("t")}\nold\n{MutantTableDocument.End("t")}\ny", "t", "new");
        Assert.That(MutantTableDocument.Block(spliced, "t"), Is.EqualTo("\nnew\n"));
        Assert.That(spliced, Does.StartWith("x\n").And.EndWith("\ny"));
    }
}
