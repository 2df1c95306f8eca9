using System.Text;
using NUnit.Framework;
using Zrpc.Mutants;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>
/// Writes the README table "mutant → scenarios that catch it" by running every scenario except
/// @slow against every mutant (several minutes). Opt-in:
/// <c>ZRPC_MUTANT_TABLE=path.md dotnet test conformance/Zrpc.Conformance.Tests --filter FullyQualifiedName~MutantTable</c>.
/// </summary>
[TestFixture]
[Explicit("runs the whole suite once per mutant; writes the README table")]
[Category("mutant-table")]
public sealed class MutantTable
{
    [Test]
    public async Task WriteTable()
    {
        string path = Environment.GetEnvironmentVariable("ZRPC_MUTANT_TABLE") is { Length: > 0 } p
            ? p
            : Path.Combine(TestContext.CurrentContext.WorkDirectory, "mutant-table.md");
        var scenarios = MutantRuns.Quick;
        var text = new StringBuilder();
        text.AppendLine("| Mutant (`zrpc serve --defect NAME`) | Defect | Breaks | @must scenarios that catch it |");
        text.AppendLine("|---|---|---|---|");
        var survivors = new List<string>();
        foreach (var defect in ServerDefects.All)
        {
            var results = await MutantRuns.RunAsync(defect, scenarios, stopAtFirstMustFailure: false);
            var expected = MutantExpectations.Breaks[defect.Name];
            var catchers = results.Where(MutantRuns.IsMustFailure).ToList();
            // A catcher that cites an expected requirement is the one that counts; the others are collateral.
            var citing = catchers.Where(r => r.Scenario.RequirementIds.Intersect(expected).Any()).Select(r => $"`{r.Id}`").ToList();
            var others = catchers.Count - citing.Count;
            if (citing.Count == 0)
            {
                survivors.Add(defect.Name);
            }

            string cell = citing.Count == 0 ? "**none: suite gap**" : string.Join(", ", citing);
            if (others > 0)
            {
                cell += $" (+{others} other)";
            }

            text.AppendLine($"| `{defect.Name}` | {defect.Description.Replace("|", "\\|")} | {string.Join(", ", expected)} | {cell} |");
            TestContext.Out.WriteLine($"{defect.Name}: {catchers.Count} @must failures, {citing.Count} citing {string.Join("/", expected)}");
        }

        text.AppendLine();
        text.AppendLine($"{ServerDefects.All.Count} mutants, {scenarios.Count} scenarios (all but @slow) against each. " +
            "Regenerate: `ZRPC_MUTANT_TABLE=FILE.md dotnet test conformance/Zrpc.Conformance.Tests --filter FullyQualifiedName~MutantTable`.");
        await File.WriteAllTextAsync(path, text.ToString());
        TestContext.Out.WriteLine($"wrote {path}");
        Assert.That(survivors, Is.Empty, "mutants that no citing @must scenario catches");
    }
}
