using System.Text.RegularExpressions;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>
/// Where the mutant tables live in docs/self-test.md: between marker comments, so that
/// <see cref="MutantTable"/> replaces them in place and <see cref="MutantTableDocumentTests"/> can
/// read them back and hold them against the catalogue.
/// </summary>
internal static partial class MutantTableDocument
{
    public const string Server = "server-mutant-table";
    public const string Client = "client-mutant-table";

    /// <summary>One row as the document shows it.</summary>
    public sealed record Row(string Name, string Description, IReadOnlyList<string> Breaks, string Catchers);

    public static string Begin(string table) => $"<!-- {table}: written by MutantTable, do not edit by hand -->";

    public static string End(string table) => $"<!-- /{table} -->";

    /// <summary>The text between the markers of <paramref name="table"/>; null when the document has none.</summary>
    public static string? Block(string document, string table)
    {
        int begin = document.IndexOf(Begin(table), StringComparison.Ordinal);
        int end = document.IndexOf(End(table), StringComparison.Ordinal);
        return begin < 0 || end < begin ? null : document[(begin + Begin(table).Length)..end];
    }

    /// <summary><paramref name="document"/> with the block of <paramref name="table"/> replaced by <paramref name="content"/>.</summary>
    public static string Splice(string document, string table, string content)
    {
        int begin = document.IndexOf(Begin(table), StringComparison.Ordinal);
        int end = document.IndexOf(End(table), StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new InvalidOperationException($"the document has no {Begin(table)} ... {End(table)} block to replace");
        }

        return document[..(begin + Begin(table).Length)] + "\n" + content.TrimEnd('\n') + "\n" + document[end..];
    }

    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex CellBorder();

    /// <summary>The mutant rows of a block (the lines that start with a mutant name in backticks).</summary>
    public static IReadOnlyList<Row> Rows(string block)
    {
        var rows = new List<Row>();
        foreach (var line in block.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = CellBorder().Split(line).Select(c => c.Trim()).ToArray();
            if (cells.Length != 6)
            {
                throw new FormatException($"a mutant table row has {cells.Length - 2} cells, not 4: {line}");
            }

            var breaks = cells[3].Length == 0 ? [] : cells[3].Split(", ");
            rows.Add(new Row(cells[1].Trim('`'), cells[2].Replace("\\|", "|", StringComparison.Ordinal), breaks, cells[4]));
        }

        return rows;
    }

    /// <summary>A description as a table cell shows it.</summary>
    public static string Cell(string description) => description.Replace("|", "\\|", StringComparison.Ordinal);
}
