using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Reqnroll;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Steps;

/// <summary>
/// Client-role steps (@client scenarios): the kit scripts the fake server's answers byte by byte,
/// lists the calls the client driver makes, then judges the driver's result lines and the
/// requests the client sent. See conformance/CLIENT-DRIVER.md.
/// </summary>
[Binding]
public sealed class ClientSteps(ClientScenario client)
{
    // ---- the script of calls ----------------------------------------------------------------

    [Given(@"^the client driver's timeout is (\d+(?:\.\d+)?) seconds?$")]
    public void DriverTimeout(double seconds) => client.Timeout = TimeSpan.FromSeconds(seconds);

    [StepDefinition(@"^the client driver calls (\S+) with JSON '([\s\S]*)'$")]
    public void CallJson(string endpoint, string json)
    {
        var (_, accept) = CallSteps.TypesOf(endpoint);
        CallJson(endpoint, json, accept == WireConstants.DataTypeOctets ? "octets" : "json");
    }

    [StepDefinition(@"^the client driver calls (\S+) with JSON '([\s\S]*)' accepting (json|octets|none)$")]
    public void CallJson(string endpoint, string json, string accept) =>
        client.AddCall(new JsonObject { ["endpoint"] = endpoint, ["accept"] = accept, ["json"] = JsonNode.Parse(json) });

    [StepDefinition(@"^the client driver calls (\S+) with an Octets body of (\d+) bytes$")]
    public void CallOctets(string endpoint, long length)
    {
        var (_, accept) = CallSteps.TypesOf(endpoint);
        client.AddCall(new JsonObject
        {
            ["endpoint"] = endpoint,
            ["accept"] = accept == WireConstants.DataTypeOctets ? "octets" : "json",
            ["octets"] = new JsonObject { ["length"] = length },
        });
    }

    // ---- the fake server's answers ----------------------------------------------------------

    [Given(@"^the kit answers request (\d+) with status OK and the JSON body '([\s\S]*)'$")]
    public void AnswerJson(int request, string json) =>
        client.Answer(request).Actions.Add(new SendBytes(ScriptedAnswer.CanonicalJsonResponse(json)));

    [Given(@"^the kit answers request (\d+) with status OK and the JSON body '([\s\S]*)' in frames of (\d+) bytes?$")]
    public void AnswerJsonSplit(int request, string json, int frameSize)
    {
        var header = FrameBytes.SplitMessage(WireConstants.Header, ScriptedAnswer.ResponseHeader(WireConstants.StatusOk, WireConstants.DataTypeJson, ""), frameSize);
        var body = FrameBytes.SplitMessage(WireConstants.Data, Encoding.UTF8.GetBytes(json + "\n"), frameSize);
        client.Answer(request).Actions.Add(new SendBytes([.. header, .. body]));
    }

    [Given(@"^the kit answers request (\d+) with status OK and an Octets body of (\d+) bytes$")]
    public void AnswerOctets(int request, long length)
    {
        var answer = client.Answer(request);
        answer.Actions.Add(new SendBytes(FrameBytes.CanonicalMessage(WireConstants.Header,
            ScriptedAnswer.ResponseHeader(WireConstants.StatusOk, WireConstants.DataTypeOctets, ""))));
        answer.Actions.Add(new SendPatternBody(length));
    }

    [Given(@"^the kit answers request (\d+) with status (\d+) and the ErrorMessage '([\s\S]*)'$")]
    public void AnswerStatus(int request, ulong status, string message) =>
        client.Answer(request).Actions.Add(new SendBytes(FrameBytes.CanonicalMessage(WireConstants.Header,
            ScriptedAnswer.ResponseHeader(status, WireConstants.DataTypeUnset, message))));

    [Given(@"^the kit answers request (\d+) with the header '([\s\S]*)'$")]
    public void AnswerHeader(int request, string text) =>
        client.Answer(request).Actions.Add(new SendBytes(FrameBytes.CanonicalMessage(WireConstants.Header, FrameBytes.Unescape(text))));

    [Given(@"^the kit answers request (\d+) with these frames:$")]
    public void AnswerFrames(int request, DataTable table) => client.Answer(request).Actions.Add(new SendBytes(Frames(table)));

    [Given(@"^the kit answers request (\d+) by stalling$")]
    public void AnswerStall(int request) => client.Answer(request).Actions.Add(new Stall());

    [Given(@"^the kit then sends these frames:$")]
    public void ThenFrames(DataTable table) => Last().Actions.Add(new SendBytes(Frames(table)));

    [Given(@"^the kit then sends the bytes '([\s\S]*)'$")]
    public void ThenBytes(string hex) => Last().Actions.Add(new SendBytes(FrameBytes.ParseHex(hex)));

    [Given(@"^the kit then (closes the connection|resets the TCP connection|stalls)$")]
    public void ThenEnd(string how) => Last().Actions.Add(how switch
    {
        "closes the connection" => new CloseConnection(),
        "resets the TCP connection" => new AbortConnection(),
        _ => new Stall(),
    });

    ScriptedAnswer Last() => client.LastAnswer ?? throw new InvalidOperationException("'the kit then ...' needs an earlier 'the kit answers request N ...'");

    /// <summary>The frames table of the feature files: type, end, optional (lying) length, payload.</summary>
    static byte[] Frames(DataTable table)
    {
        var output = new MemoryStream();
        foreach (var row in table.Rows)
        {
            var payload = FrameBytes.ParsePayload(row["payload"]);
            var length = row.TryGetValue("length", out var declared) && declared.Trim() != "" ? uint.Parse(declared) : (uint)payload.Length;
            output.Write(FrameBytes.Frame(WireConstants.ParseType(row["type"]), byte.Parse(row["end"]), payload, length));
        }

        return output.ToArray();
    }

    // ---- the driver's results ---------------------------------------------------------------

    [Then(@"^call (\d+) succeeds with the JSON '([\s\S]*)'$")]
    public async Task SucceedsJson(int call, string json)
    {
        var outcome = await RequireOutcome(call, "ok", $"the JSON {json}");
        var value = outcome.Line["json"];
        using var expected = JsonDocument.Parse(json);
        using var actual = JsonDocument.Parse(value?.ToJsonString() ?? "null");
        if (outcome.Line["datatype"]?.GetValue<string>() != "json" || !JsonEquality.Equal(expected.RootElement, actual.RootElement, out var difference))
            throw client.Violation($"call {call}: the client reported a JSON body other than the one the kit sent ({json}): {outcome}");
    }

    [Then(@"^call (\d+) succeeds with an Octets body of (\d+) bytes where byte i is i mod 251$")]
    public async Task SucceedsOctets(int call, long length)
    {
        var outcome = await RequireOutcome(call, "ok", $"an Octets body of {length} bytes");
        var sha = FakeServer.PatternSha256(length);
        var gotLength = outcome.Line["length"]?.GetValue<long>();
        var gotSha = outcome.Line["sha256"]?.GetValue<string>();
        if (gotLength != length || gotSha != sha)
            throw client.Violation($"call {call}: the kit sent {length} bytes with SHA-256 {sha}; the client reported length {gotLength?.ToString() ?? "none"} and SHA-256 {gotSha ?? "none"}: {outcome}");
    }

    [Then(@"^call (\d+) reports status (\d+) with the ErrorMessage '([\s\S]*)'$")]
    public async Task ReportsStatus(int call, ulong status, string message)
    {
        var outcome = await RequireOutcome(call, "status", $"status {status} with the ErrorMessage '{message}' (CLI-1)");
        if (outcome.Line["status"]?.GetValue<ulong>() != status || (outcome.Line["message"]?.GetValue<string>() ?? "") != message)
            throw client.Violation($"call {call}: expected status {status} with the ErrorMessage '{message}' (CLI-1), the client reported {outcome}");
    }

    [Then(@"^call (\d+) fails with an error$")]
    public Task FailsWithError(int call) => RequireOutcome(call, "error", "an error (the kit's response broke the protocol)");

    [Then(@"^call (\d+) fails with an error within the driver's timeout$")]
    public async Task FailsWithinTimeout(int call)
    {
        var outcome = await RequireOutcome(call, "error", $"an error once the client's {client.Timeout.TotalSeconds:0.#} s timeout ran out (CLI-6)");
        var delay = client.ReportDelay(outcome);
        if (delay > client.Timeout + ClientScenario.TimingMargin)
            throw new RequirementViolation("CLI-6", $"call {call}: the client reported its error {delay.TotalSeconds:0.00} s after the kit stopped sending, more than its timeout {client.Timeout.TotalSeconds:0.#} s + {ClientScenario.TimingMargin.TotalSeconds:0} s margin");
        client.Context.Note($"call {call} failed {delay.TotalSeconds:0.00} s after the kit stopped sending (timeout {client.Timeout.TotalSeconds:0.#} s)");
    }

    [Then(@"^call (\d+) fails with an error without waiting for its timeout$")]
    public async Task FailsAtOnce(int call)
    {
        var outcome = await RequireOutcome(call, "error", "an error as soon as the frame header arrived");
        var delay = client.ReportDelay(outcome);
        if (delay >= client.Timeout / 2)
            throw client.Violation($"call {call}: the client reported its error only after {delay.TotalSeconds:0.00} s (its timeout is {client.Timeout.TotalSeconds:0.#} s): it waited for bytes instead of deciding from what had arrived");
    }

    [Then(@"^call (\d+) does not succeed with the JSON '([\s\S]*)'$")]
    public async Task DoesNotSucceedWith(int call, string json)
    {
        var outcome = await client.OutcomeAsync(call);
        client.Context.Note($"call {call}: {outcome}");
        if (outcome.Outcome != "ok" || outcome.Line["json"] is not { } value) return;
        using var unexpected = JsonDocument.Parse(json);
        using var actual = JsonDocument.Parse(value.ToJsonString());
        if (JsonEquality.Equal(unexpected.RootElement, actual.RootElement, out _))
            throw client.Violation($"call {call}: the client reported {json}, which the kit sent while no request was outstanding, as the result of call {call}: {outcome}");
    }

    async Task<CallOutcome> RequireOutcome(int call, string wanted, string expectation)
    {
        var outcome = await client.OutcomeAsync(call);
        if (outcome.Outcome != wanted)
        {
            var what = outcome.Outcome == "ok" ? "reported success" : outcome.Outcome == "status" ? "reported an error status" : "reported an error";
            throw client.Violation($"call {call}: expected {expectation}, but the client {what}: {outcome}");
        }

        client.Context.Note($"call {call}: {outcome}");
        return outcome;
    }

    // ---- the requests the client sent -------------------------------------------------------

    [Then(@"^the kit received request (\d+) as a canonical (\S+) request with the JSON body '([\s\S]*)'$")]
    public async Task CanonicalJsonRequest(int number, string endpoint, string json)
    {
        var request = await CheckCanonical(number, endpoint, WireConstants.DataTypeJson);
        JsonDocument actual;
        try
        {
            actual = JsonDocument.Parse(request.BodyPrefix.ToArray());
        }
        catch (JsonException e)
        {
            throw new RequirementViolation("RPC-7", $"request {number}: the JSON request body is not one JSON value: {e.Message}");
        }

        using (actual)
        using (var expected = JsonDocument.Parse(json))
        {
            if (!JsonEquality.Equal(expected.RootElement, actual.RootElement, out var difference))
                throw new RequirementViolation("RPC-1", $"request {number}: the body is not the JSON the script asked for ({json}): {difference}");
        }
    }

    [Then(@"^the kit received request (\d+) as a canonical (\S+) request with an Octets body of (\d+) bytes$")]
    public async Task CanonicalOctetsRequest(int number, string endpoint, long length)
    {
        var request = await CheckCanonical(number, endpoint, WireConstants.DataTypeOctets);
        var sha = FakeServer.PatternSha256(length);
        if (request.BodyLength != length || request.BodySha256 != sha)
            throw new RequirementViolation("RPC-9", $"request {number}: the Octets body is {request.BodyLength} bytes with SHA-256 {request.BodySha256}, not the script's {length} bytes where byte i is i mod 251 (SHA-256 {sha})");
    }

    async Task<ReceivedRequest> CheckCanonical(int number, string endpoint, int dataType)
    {
        var request = await client.RequestAsync(number);
        if (request.Problem is not null)
            throw new RequirementViolation(request.ProblemRequirement ?? "RPC-1", $"request {number} is not a well-formed request: {request.Problem}");
        var frames = string.Join(", ", request.HeaderFrames.Select(f => $"[end {f.EndFlag}, {f.Length} bytes]"));
        if (request.HeaderFrames.Concat(request.BodyFrames).FirstOrDefault(f => f.EndFlag > 1) is { } odd)
            throw new RequirementViolation("FRAME-3", $"request {number}: a {WireConstants.TypeName(odd.Type)} frame has the end flag 0x{odd.EndFlag:x2}; a sender writes 0x00 or 0x01");
        if (request.HeaderFrames.Count != 1 || request.HeaderFrames[0].EndFlag != 1)
            throw new RequirementViolation("MSG-4", $"request {number}: a Header message of {request.HeaderContent.Length} bytes must be one frame with end flag 01; it came as {frames}");
        if (HeaderJson.CanonicalFormProblem(request.HeaderContent) is { } problem)
            throw new RequirementViolation("HDR-2", $"request {number}: the header '{Encoding.UTF8.GetString(request.HeaderContent)}' is not canonical: {problem}");
        var header = HeaderJson.TryRead(request.HeaderContent, out var unreadable)
                     ?? throw new RequirementViolation("HDR-1", $"request {number}: {unreadable}");
        var (_, accept) = CallSteps.TypesOf(endpoint);
        if (header.Endpoint != endpoint || (int)header.DataType != dataType || (int)header.Accept != accept || header.Status != 0 || header.ErrorMessage != "")
            throw new RequirementViolation("RPC-2",
                $"request {number}: expected Endpoint \"{endpoint}\", DataType {dataType}, Accept {accept}, Error 0 and an empty ErrorMessage; the header is {header.Text.TrimEnd()}");

        // MSG-4: floor(n / 4 MiB) full frames with the end flag clear, then the remainder with it set.
        var n = request.BodyLength;
        var full = n / WireConstants.MaxPayload;
        var expected = Enumerable.Range(0, (int)full).Select(_ => new FrameSeen(WireConstants.Data, 0, WireConstants.MaxPayload))
            .Append(new FrameSeen(WireConstants.Data, 1, (uint)(n % WireConstants.MaxPayload))).ToList();
        if (request.BodyFrameCount != expected.Count || !request.BodyFrames.SequenceEqual(expected))
            throw new RequirementViolation("MSG-4",
                $"request {number}: a body of {n} bytes must be framed as {expected.Count} frame(s) ({full} × 4 MiB with end flag 00, then {n % WireConstants.MaxPayload} bytes with end flag 01); it came as {request.BodyFrameCount} frame(s): "
                + string.Join(", ", request.BodyFrames.Take(8).Select(f => $"[end {f.EndFlag}, {f.Length} bytes]")));
        return request;
    }
}
