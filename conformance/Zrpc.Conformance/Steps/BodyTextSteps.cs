using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Reqnroll;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Steps;

/// <summary>
/// JSON bodies that are not valid text (RPC-13): either undecodable (RequestError) or read with
/// U+FFFD in place of each invalid part; never a server fault.
/// </summary>
[Binding]
public sealed class BodyTextSteps(ScenarioState state)
{
    const char Replacement = '\uFFFD';

    [Then(@"^the response has status RequestError or is OK with the JSON '([\s\S]*)' where U\+FFFD stands for the invalid text$")]
    public void RequestErrorOrReplaced(string expectedJson)
    {
        var response = state.LastResponse ?? throw new InvalidOperationException("no response has been read yet in this scenario");
        if (response.Status == WireConstants.StatusRequestError)
        {
            state.Target.Note("the implementation refused the body as undecodable (RequestError)");
            return;
        }

        RequirementViolation.Require(response.Status == WireConstants.StatusOk, "RPC-13", () =>
            $"a request body that is not valid text must be answered RequestError or served with U+FFFD in place of the invalid text; " +
            $"the implementation answered {WireConstants.StatusName(response.Status)}" +
            (response.Header.ErrorMessage.Length > 0 ? $" (\"{response.Header.ErrorMessage}\")" : ""));

        var bytes = response.Body?.KeptBytes() ?? [];
        RequirementViolation.Require(System.Text.Unicode.Utf8.IsValid(bytes), "RPC-13", () =>
            $"the OK response body is not valid UTF-8 itself: {KitConnection.Hex(bytes)}");
        JsonNode? received;
        try
        {
            received = JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new RequirementViolation("RPC-7", $"the OK response body is not one JSON value ({e.Message}): {KitConnection.Hex(bytes)}");
        }

        // One U+FFFD per byte or one per invalid run are both replacements (RPC-13); compare with runs merged.
        var normalized = MergeReplacementRuns(received);
        var expected = MergeReplacementRuns(JsonNode.Parse(expectedJson));
        RequirementViolation.Require(JsonNode.DeepEquals(normalized, expected), "RPC-13", () =>
            $"the OK response body {Encoding.UTF8.GetString(bytes).TrimEnd()} is not the value sent with U+FFFD in place of the invalid text ({expectedJson})");
        state.Target.Note("the implementation replaced the invalid text with U+FFFD and answered OK");
    }

    static JsonNode? MergeReplacementRuns(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(Merge(p.Key), MergeReplacementRuns(p.Value)))),
        JsonArray a => new JsonArray(a.Select(MergeReplacementRuns).ToArray()),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonValue.Create(Merge(v.GetValue<string>())),
        _ => node.DeepClone(),
    };

    static string Merge(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c == Replacement && sb.Length > 0 && sb[^1] == Replacement) continue;
            sb.Append(c);
        }
        return sb.ToString();
    }
}
