using System.Text;
using NUnit.Framework;
using Zrpc.Conformance.Runner;
using Zrpc.SelfTest;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>
/// Writes the tables of docs/self-test.md, "mutant → scenarios that catch it" by running every scenario except
/// @slow against every mutant (several minutes each). Opt-in:
/// <c>ZRPC_MUTANT_TABLE=docs/self-test.md ZRPC_CLIENT_MUTANT_TABLE=docs/self-test.md dotnet test conformance/Zrpc.Conformance.Tests --filter FullyQualifiedName~MutantTable.Write</c>
/// (<c>Name=WriteTable</c> for the server table alone, <c>Name=WriteClientTable</c> for the client table alone).
/// A path to a document with the table's markers gets only that block replaced; any other path gets the table alone.
/// </summary>
[TestFixture]
[Explicit("runs the whole suite once per mutant; writes the tables of docs/self-test.md")]
[Category("mutant-table")]
public sealed class MutantTable
{
    private sealed record Row(string Name, string Description, string[] Expected, IReadOnlyList<ScenarioResult> Results);

    [Test]
    public async Task WriteTable()
    {
        string path = OutputPath("ZRPC_MUTANT_TABLE", "mutant-table.md");
        var scenarios = MutantRuns.Quick;
        var rows = new List<Row>();
        foreach (var defect in ServerDefects.All)
        {
            var profile = MutantExpectations.ProfileOf(defect.Name);
            var results = await MutantRuns.RunAsync(defect, MutantRuns.QuickOf(profile), stopAtFirstMustFailure: false, profile);
            rows.Add(new Row(defect.Name, defect.Description, MutantExpectations.Breaks[defect.Name], results));
        }

        var footer = $"{ServerDefects.All.Count} mutants, {scenarios.Count} scenarios (all but @slow) against each. " +
                     "Regenerate: `ZRPC_MUTANT_TABLE=docs/self-test.md dotnet test conformance/Zrpc.Conformance.Tests --filter Name=WriteTable`.";
        var survivors = await WriteAsync(path, MutantTableDocument.Server, "Mutant (`zrpc-selftest serve --defect NAME`)", rows, footer);
        Assert.That(survivors, Is.Empty, "mutants that no citing @must scenario catches");
    }

    /// <summary>
    /// The client table: every @client scenario except @slow against every client mutant. Mutants
    /// run side by side (a few at a time): each is mostly waiting for driver processes and timeouts.
    /// </summary>
    [Test]
    public async Task WriteClientTable()
    {
        string path = OutputPath("ZRPC_CLIENT_MUTANT_TABLE", "client-mutant-table.md");
        var scenarios = ClientMutantRuns.Quick;
        using var slots = new SemaphoreSlim(Math.Max(2, Environment.ProcessorCount));
        var runs = ClientDefects.All.Select(async defect =>
        {
            await slots.WaitAsync();
            try
            {
                var profile = MutantExpectations.ProfileOf(defect.Name);
                var results = await ClientMutantRuns.RunAsync(defect, ClientMutantRuns.QuickOf(profile), stopAtFirstMustFailure: false, profile);
                return new Row(defect.Name, defect.Description, MutantExpectations.ClientBreaks[defect.Name], results);
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        var rows = await Task.WhenAll(runs);

        var footer = $"{ClientDefects.All.Count} client mutants, {scenarios.Count} client scenarios (all @client but @slow) against each, " +
                     "each through `zrpc-selftest client-driver --defect NAME` (runner target `reference-client+defect:NAME`). " +
                     "Regenerate: `ZRPC_CLIENT_MUTANT_TABLE=docs/self-test.md dotnet test conformance/Zrpc.Conformance.Tests --filter Name=WriteClientTable`.";
        var survivors = await WriteAsync(path, MutantTableDocument.Client, "Client mutant (`zrpc-selftest client-driver --defect NAME`)", rows, footer);
        Assert.That(survivors, Is.Empty, "client mutants that no citing @must scenario catches");
    }

    private static string OutputPath(string variable, string fileName)
        => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } p
            ? Path.IsPathRooted(p) ? p : Path.Combine(Documentation.DocumentationFiles.Root, p)
            : Path.Combine(TestContext.CurrentContext.WorkDirectory, fileName);

    /// <summary>
    /// Writes the table; returns the mutants no citing @must scenario catches (and those that are
    /// not defects but fail a scenario). When <paramref name="path"/> is a document with the
    /// table's markers (docs/self-test.md), only the block between them is replaced.
    /// </summary>
    private static async Task<List<string>> WriteAsync(string path, string marker, string firstColumn, IEnumerable<Row> rows, string footer)
    {
        var text = new StringBuilder();
        text.AppendLine($"| {firstColumn} | Defect | Breaks | @must scenarios that catch it |");
        text.AppendLine("|---|---|---|---|");
        var survivors = new List<string>();
        foreach (var row in rows)
        {
            var catchers = row.Results.Where(MutantRuns.IsMustFailure).ToList();
            string cell;
            if (row.Expected.Length == 0)
            {
                // Not a defect (a limitation the spec allows): nothing may fail because of it.
                cell = catchers.Count == 0 ? "none (not a defect)" : $"**false failure: {string.Join(", ", catchers.Select(r => $"`{r.Id}`"))}**";
                if (catchers.Count > 0)
                {
                    survivors.Add(row.Name);
                }
            }
            else
            {
                // A catcher that cites an expected requirement is the one that counts; the others are collateral.
                var citing = catchers.Where(r => r.RequirementIds.Select(id => id.Value).Intersect(row.Expected).Any()).Select(r => $"`{r.Id}`").ToList();
                var others = catchers.Count - citing.Count;
                if (citing.Count == 0)
                {
                    survivors.Add(row.Name);
                }

                cell = citing.Count == 0 ? "**none: suite gap**" : string.Join(", ", citing);
                if (others > 0)
                {
                    cell += $" (+{others} other)";
                }
            }

            text.AppendLine($"| `{row.Name}` | {MutantTableDocument.Cell(row.Description)} | {string.Join(", ", row.Expected)} | {cell} |");
            TestContext.Out.WriteLine($"{row.Name}: {catchers.Count} @must failures, expected {string.Join("/", row.Expected)}");
        }

        text.AppendLine();
        text.AppendLine(footer);
        var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : null;
        var output = existing is not null && MutantTableDocument.Block(existing, marker) is not null
            ? MutantTableDocument.Splice(existing, marker, text.ToString())
            : text.ToString();
        await File.WriteAllTextAsync(path, output);
        TestContext.Out.WriteLine($"wrote {path}");
        return survivors;
    }
}
