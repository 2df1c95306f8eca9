using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Zrpc.Conformance.Reporting;

/// <summary>
/// Fixes the step-match arguments in the Cucumber messages Reqnroll writes (--ndjson, and the
/// messages embedded in --cucumber-html). Reqnroll records an argument for every capture group,
/// also one that matched the empty string (<c>the response ErrorMessage is ''</c>) or took no
/// part in the match (an optional group). Cucumber's HTML renderer moves its position in the step
/// text by the length of each argument's value only when the value is non-empty, so after an
/// empty one it repeats the text from the start and draws the whole step inside the quotes. An
/// argument with an empty value highlights nothing, so it is dropped; the others are kept as they are.
/// </summary>
public static partial class CucumberMessageRepair
{
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=(?:^|[^\\])(?:\\\\)*)\\x([0-9A-Fa-f]{2})")]
    private static partial System.Text.RegularExpressions.Regex JavaScriptHexEscape();

    private const string HtmlMessagesPrefix = "window.CUCUMBER_MESSAGES = ";

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>Drops empty arguments from a <c>testCase</c> envelope; true when it changed.</summary>
    public static bool Repair(JsonNode? envelope)
    {
        var changed = false;
        if (envelope?["testCase"]?["testSteps"] is not JsonArray steps) return false;
        foreach (var lists in steps.Select(s => s?["stepMatchArgumentsLists"]).OfType<JsonArray>())
        {
            foreach (var arguments in lists.Select(l => l?["stepMatchArguments"]).OfType<JsonArray>())
            {
                for (var i = arguments.Count - 1; i >= 0; i--)
                {
                    var value = arguments[i]?["group"]?["value"];
                    if (value is null || (value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Length == 0))
                    {
                        arguments.RemoveAt(i);
                        changed = true;
                    }
                }
            }
        }

        return changed;
    }

    /// <summary>Repairs an NDJSON file of Cucumber messages in place (one envelope per line).</summary>
    public static void RepairNdjson(string path)
    {
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path);
        var changed = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].Contains("\"testCase\":", StringComparison.Ordinal)) continue;
            var envelope = JsonNode.Parse(lines[i]);
            if (Repair(envelope))
            {
                lines[i] = envelope!.ToJsonString(Compact);
                changed = true;
            }
        }

        if (changed)
        {
            File.WriteAllText(path, string.Join('\n', lines) + "\n");
        }
    }

    /// <summary>Repairs the messages embedded in Reqnroll's Cucumber HTML report, in place.</summary>
    public static void RepairHtml(string path)
    {
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith(HtmlMessagesPrefix, StringComparison.Ordinal) || !lines[i].EndsWith(';')) continue;
            // A JavaScript literal: Reqnroll writes '<' as \x3C, which JSON spells \u003C.
            var json = JavaScriptHexEscape().Replace(lines[i][HtmlMessagesPrefix.Length..^1], "\\u00$1");
            if (JsonNode.Parse(json) is not JsonArray messages) return;
            var changed = false;
            foreach (var envelope in messages)
            {
                changed |= Repair(envelope);
            }

            if (!changed) return;
            // The default encoder escapes '<' and '>', so no "</script>" can end the script early.
            lines[i] = HtmlMessagesPrefix + messages.ToJsonString(Compact) + ";";
            File.WriteAllText(path, string.Join('\n', lines) + "\n", new UTF8Encoding(false));
            return;
        }
    }
}
