using System.Text;
using System.Text.Json;
using Reqnroll;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Steps;

/// <summary>Whole calls: a canonical request, then (for "calls") its response.</summary>
[Binding]
public sealed class CallSteps(ScenarioState state)
{
    const int KeepBodyBytes = 24 << 20;

    /// <summary>Request body and response body types of the Conformance Test Service (CTS-2..5).</summary>
    internal static (int DataType, int Accept) TypesOf(string endpoint) => endpoint switch
    {
        "Source" => (WireConstants.DataTypeJson, WireConstants.DataTypeOctets),
        "Sink" => (WireConstants.DataTypeOctets, WireConstants.DataTypeJson),
        _ => (WireConstants.DataTypeJson, WireConstants.DataTypeJson),
    };

    internal static async Task SendRequestAsync(ScenarioState state, string endpoint, int dataType, int accept, byte[]? body)
    {
        var header = FrameBytes.CanonicalMessage(WireConstants.Header, HeaderJson.CanonicalRequest(endpoint, dataType, accept));
        state.Connection.RequestsAwaitingResponse++;
        await state.Connection.SendAsync(body is null ? header : (byte[])[.. header, .. body]);
    }

    async Task CallAsync(string endpoint, byte[] jsonBody, string description, Func<RequirementViolation, RequirementViolation?>? judge = null)
    {
        var (dataType, accept) = TypesOf(endpoint);
        await SendRequestAsync(state, endpoint, dataType, accept, jsonBody);
        await ReadAsync(description, judge);
    }

    /// <summary>
    /// Reads the response to the call just made. A response that does not come is not judged
    /// here: the next check of the response names the requirement it checks, with this as the reason.
    /// </summary>
    async Task ReadAsync(string description, Func<RequirementViolation, RequirementViolation?>? judge = null)
    {
        state.LastResponse = null;
        state.ReadFailure = null;
        try
        {
            state.LastResponse = await state.Connection.ReadResponseAsync(KeepBodyBytes, $"response to {description}");
        }
        catch (RequirementViolation e) when (judge?.Invoke(e) is { } rejudged)
        {
            throw rejudged;
        }
        catch (UnattributedFailure e)
        {
            // No response at all: an implementation that reads frame lengths big-endian never
            // answers a correct request, whatever the scenario is about (FRAME-1).
            if (await ConnectionSteps.ByteOrderProblem(state, e.Message) is { } byteOrder) throw byteOrder;
            state.ReadFailure = e;
        }
        finally
        {
            state.Connection.RequestsAwaitingResponse--;
        }
    }

    /// <summary>Reads the next response of a pipeline and checks its status, both for <paramref name="requirement"/>.</summary>
    async Task ReadNextAsync(string status, string? requirement)
    {
        try
        {
            state.LastResponse = await state.Connection.ReadResponseAsync(KeepBodyBytes, "response to the next request");
        }
        catch (UnattributedFailure e)
        {
            throw await ConnectionSteps.ByteOrderProblem(state, e.Message) ?? new RequirementViolation(requirement ?? "RPC-3", e.Detail);
        }
        finally
        {
            state.Connection.RequestsAwaitingResponse--;
        }
        ResponseSteps.RequireStatus(state.LastResponse!, status, requirement);
    }

    [StepDefinition(@"^the client calls (\S+) with JSON body '([\s\S]*)'$")]
    public Task CallJson(string endpoint, string json)
    {
        state.LastJsonSent = json;
        return CallAsync(endpoint, FrameBytes.CanonicalMessage(WireConstants.Data, Encoding.UTF8.GetBytes(json + "\n")), $"{endpoint} {json}");
    }

    [StepDefinition(@"^the client calls (\S+) with JSON body '([\s\S]*)' in frames of (\d+) bytes?$")]
    public async Task CallJsonSplit(string endpoint, string json, int frameSize)
    {
        state.LastJsonSent = json;
        var (dataType, accept) = TypesOf(endpoint);
        var header = FrameBytes.SplitMessage(WireConstants.Header, HeaderJson.CanonicalRequest(endpoint, dataType, accept), frameSize);
        var body = FrameBytes.SplitMessage(WireConstants.Data, Encoding.UTF8.GetBytes(json + "\n"), frameSize);
        state.Connection.RequestsAwaitingResponse++;
        await state.Connection.SendAsync((byte[])[.. header, .. body]);
        await ReadAsync($"{endpoint} {json} in {frameSize}-byte frames");
    }

    [StepDefinition(@"^the client calls (\S+) with the raw JSON body text '([\s\S]*)'$")]
    public Task CallRawJson(string endpoint, string text) =>
        CallAsync(endpoint, FrameBytes.CanonicalMessage(WireConstants.Data, FrameBytes.Unescape(text)), $"{endpoint} with body text '{text}'");

    [StepDefinition(@"^the client calls Source for (\d+) bytes$")]
    public Task CallSource(long length) => CallJson("Source", $"{{\"Length\":{length}}}");

    [StepDefinition(@"^the client calls Sink with an Octets body of (\d+) bytes$")]
    public Task CallSink(long length) => CallSink(length, WireConstants.MaxPayload);

    [StepDefinition(@"^the client calls Sink with an Octets body of (\d+) bytes in frames of (\d+) bytes$")]
    public async Task CallSink(long length, int frameSize)
    {
        await SendRequestAsync(state, "Sink", WireConstants.DataTypeOctets, WireConstants.DataTypeJson, body: null);
        state.LastOctetsSent = (length, SendSteps.PatternSha256(length));
        await state.Connection.SendOctetsAsync(length, frameSize);
        await ReadAsync($"Sink with {length} bytes in frames of {frameSize}");
    }

    [StepDefinition(@"^the client calls Sink with the Octets body '([\s\S]*)'$")]
    public async Task CallSinkBytes(string hex)
    {
        var body = FrameBytes.ParseHex(hex);
        state.LastOctetsSent = (body.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body)));
        await SendRequestAsync(state, "Sink", WireConstants.DataTypeOctets, WireConstants.DataTypeJson,
            FrameBytes.CanonicalMessage(WireConstants.Data, body));
        await ReadAsync($"Sink with {body.Length} given bytes");
    }

    [StepDefinition(@"^the client calls Fail with a Message of (\d+) repetitions of '([\s\S]*)'$")]
    public Task CallFailLong(int count, string unit)
    {
        // Table cells lose trailing whitespace, so a newline unit is written \\n there.
        var message = string.Concat(Enumerable.Repeat(Encoding.UTF8.GetString(FrameBytes.Unescape(unit)), count));
        state.LastFailMessageSent = message;
        var json = JsonSerializer.Serialize(new { Message = message });
        // A long message is where a server's header writer is tested: bytes that are not a usable
        // header are the shortening gone wrong (HDR-8), not a general header fault.
        return CallAsync("Fail", FrameBytes.CanonicalMessage(WireConstants.Data, Encoding.UTF8.GetBytes(json + "\n")),
            $"Fail with a {ResponseSteps.Characters(message)}-character message",
            e => e.Requirement.Value is "HDR-1" or "MSG-5" ? new RequirementViolation("HDR-8", e.Detail) : null);
    }

    /// <summary>
    /// A Fail call whose message, sent back whole, makes the canonical error header exactly
    /// <paramref name="size"/> bytes: the 4096-byte edge of MSG-4 and HDR-8 (spec 5.5: 68 bytes
    /// without message text). The message is plain ASCII letters, escaped the same by every encoder.
    /// </summary>
    [StepDefinition(@"^the client calls Fail with a Message that makes the error header (\d+) bytes$")]
    public Task CallFailSized(int size)
    {
        var empty = ClientRole.ScriptedAnswer.ResponseHeader(WireConstants.StatusError, WireConstants.DataTypeUnset, "").Length;
        return CallFailLong(size - empty, "a");
    }

    [StepDefinition(@"^the client calls Echo with a JSON string body of (\d+) bytes$")]
    public Task CallEchoSized(int size)
    {
        // Exactly `size` bytes on the wire, final line feed included where there is room for one.
        var json = size switch
        {
            1 => "7",
            2 => "7\n",
            _ => "\"" + new string('a', size - 3) + "\"\n",
        };
        state.LastJsonSent = json.TrimEnd('\n');
        return CallAsync("Echo", FrameBytes.CanonicalMessage(WireConstants.Data, Encoding.UTF8.GetBytes(json)), $"Echo with a {size}-byte body");
    }

    [StepDefinition(@"^the client requests (\S+) with JSON body '([\s\S]*)'$")]
    public Task RequestJson(string endpoint, string json)
    {
        var (dataType, accept) = TypesOf(endpoint);
        return SendRequestAsync(state, endpoint, dataType, accept,
            FrameBytes.CanonicalMessage(WireConstants.Data, Encoding.UTF8.GetBytes(json + "\n")));
    }

    [StepDefinition(@"^each connection requests Echo with its own JSON body$")]
    public async Task EachRequests()
    {
        foreach (var (label, _) in state.Connections)
        {
            state.Use(label);
            await RequestJson("Echo", OwnBody(label));
        }
    }

    [Then(@"^each connection receives its own body back$")]
    public async Task EachReceives()
    {
        // Read in reverse order of sending, so a server that serves connections one after another
        // in accept order still has to have answered all of them.
        foreach (var label in state.Connections.Keys.Reverse().ToList())
        {
            state.Use(label);
            await ReadNextAsync("OK", "TRANS-3");
            ResponseSteps.RequireJsonBody(state.LastResponse!, OwnBody(label), $"connection {label}", "TRANS-2");
        }
    }

    static string OwnBody(string label) => $"{{\"connection\":\"{label}\",\"fill\":\"{new string('z', label.Length * 97)}\"}}";

    [Then(@"^the next response has status (\w+)" + ResponseSteps.As + "$")]
    public Task NextResponse(string status, string? requirement) => ReadNextAsync(status, ResponseSteps.NullIfEmpty(requirement));
}
