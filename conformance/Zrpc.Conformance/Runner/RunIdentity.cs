using System.Security.Cryptography;
using System.Text;
using Zrpc.Conformance.Driver;

namespace Zrpc.Conformance.Runner;

/// <summary>
/// What a result file says about the kit that judged it: the kit's version and commit, the
/// protocol profile of the run, and a hash of the scenario catalogue, so that a baseline written
/// by another kit version, or with other scenarios, is recognised as such.
/// </summary>
public sealed record RunIdentity(string KitVersion, string KitCommit, string Profile, string CatalogueHash)
{
    /// <summary>The identity of this build of the kit for a run of <paramref name="profile"/> over <paramref name="catalogue"/>.</summary>
    public static RunIdentity Of(IEnumerable<ScenarioCase> catalogue, string profile)
    {
        var (version, commit) = Zrpc.Build.ToolVersion.Read(typeof(RunIdentity).Assembly);
        return new RunIdentity(version, commit, profile, HashOf(catalogue));
    }

    /// <summary>
    /// SHA-256 (hex, first 16 digits) over the scenario ids and their step texts (keyword, text,
    /// doc string, table cells), in id order: stable across runs, file moves and tag or title
    /// edits, different as soon as a scenario is added, removed or checks something else.
    /// </summary>
    public static string HashOf(IEnumerable<ScenarioCase> scenarios)
    {
        var text = new StringBuilder();
        foreach (var scenario in scenarios.OrderBy(s => s.Id, StringComparer.Ordinal))
        {
            text.Append("scenario ").Append(scenario.Id).Append('\n');
            foreach (var step in scenario.Steps)
            {
                text.Append(step.Keyword.Trim()).Append(' ').Append(step.Text).Append('\n');
                if (step.DocString is not null)
                {
                    text.Append("\"\"\"\n").Append(step.DocString).Append("\n\"\"\"\n");
                }

                foreach (var row in step.Table ?? [])
                {
                    text.Append('|').AppendJoin('|', row).Append("|\n");
                }
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
