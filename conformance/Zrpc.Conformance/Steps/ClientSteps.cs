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

    /// <summary>
    /// A call to an endpoint whose name makes the canonical request header exactly
    /// <paramref name="size"/> bytes: the way to reach the 4096-byte header limit (MSG-5) from a client.
    /// </summary>
    [StepDefinition(@"^the client driver calls an endpoint whose request header is (\d+) bytes with JSON '([\s\S]*)'$")]
    public void CallSizedEndpoint(int size, string json)
    {
        var fixedPart = HeaderJson.CanonicalRequest("", WireConstants.DataTypeJson, WireConstants.DataTypeJson).Length;
        if (size <= fixedPart) throw new ArgumentException($"a request header is at least {fixedPart} bytes");
        var name = "Long" + new string('x', size - fixedPart - 4);
        client.MadeUpEndpoint = name;
        CallJson(name, json, "json");
    }

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

    /// <summary>A canonical response cut into pieces of a few bytes with a pause after each: frame headers and payloads arrive in parts.</summary>
    [Given(@"^the kit answers request (\d+) with status OK and the JSON body '([\s\S]*)' in pieces of (\d+) bytes? with pauses of (\d+) milliseconds$")]
    public void AnswerJsonInPieces(int request, string json, int piece, int milliseconds)
    {
        var bytes = ScriptedAnswer.CanonicalJsonResponse(json);
        var answer = client.Answer(request);
        for (var offset = 0; offset < bytes.Length; offset += piece)
        {
            if (offset > 0) answer.Actions.Add(new Pause(TimeSpan.FromMilliseconds(milliseconds)));
            answer.Actions.Add(new SendBytes(bytes[offset..Math.Min(bytes.Length, offset + piece)]));
        }
    }

    [Given(@"^the kit answers request (\d+) with the bytes '([\s\S]*)'$")]
    public void AnswerBytes(int request, string hex) => client.Answer(request).Actions.Add(new SendBytes(FrameBytes.ParseHex(hex)));

    [Given(@"^the kit then pauses for (\d+) milliseconds$")]
    public void ThenPause(int milliseconds) => Last().Actions.Add(new Pause(TimeSpan.FromMilliseconds(milliseconds)));

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

    [Then(@"^call (\d+) succeeds with the JSON '([\s\S]*)'" + ResponseSteps.As + "$")]
    public async Task SucceedsJson(int call, string json, string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement);
        var outcome = await RequireOutcome(call, "ok", $"the JSON {json}", id);
        var value = outcome.Line["json"];
        using var expected = JsonDocument.Parse(json);
        using var actual = JsonDocument.Parse(value?.ToJsonString() ?? "null");
        if (outcome.Line["datatype"]?.GetValue<string>() != "json" || !JsonEquality.Equal(expected.RootElement, actual.RootElement, out var difference))
            throw client.Violation($"call {call}: the client reported a JSON body other than the one the kit sent ({json}): {outcome}", id);
    }

    [Then(@"^call (\d+) succeeds with an Octets body of (\d+) bytes where byte i is i mod 251$")]
    public async Task SucceedsOctets(int call, long length)
    {
        var outcome = await RequireOutcome(call, "ok", $"an Octets body of {length} bytes");
        var sha = FakeServer.PatternSha256(length);
        var gotLength = outcome.Line["length"] is JsonValue l && l.TryGetValue<long>(out var n) ? n : (long?)null;
        var gotSha = outcome.Line["sha256"] is JsonValue h && h.TryGetValue<string>(out var text) ? text : null;
        if (gotLength != length || gotSha != sha)
            throw client.Violation($"call {call}: the kit sent {length} bytes with SHA-256 {sha}; the client reported length {gotLength?.ToString() ?? "none"} and SHA-256 {gotSha ?? "none"}: {outcome}");
    }

    [Then(@"^call (\d+) reports status (\d+) with the ErrorMessage '([\s\S]*)'$")]
    public async Task ReportsStatus(int call, ulong status, string message)
    {
        var outcome = await RequireOutcome(call, "status", $"status {status} with the ErrorMessage '{message}' (CLI-1)");
        var gotStatus = outcome.Line["status"] is JsonValue st && st.TryGetValue<ulong>(out var number) ? number : (ulong?)null;
        var gotMessage = outcome.Line["message"] is JsonValue m && m.TryGetValue<string>(out var said) ? said : outcome.Line["message"] is null ? "" : null;
        if (gotStatus != status || gotMessage != message)
            throw client.Violation($"call {call}: expected status {status} with the ErrorMessage '{message}' (CLI-1), the client reported {outcome}");
    }

    [Then(@"^call (\d+) fails with an error" + ResponseSteps.As + "$")]
    public Task FailsWithError(int call, string? requirement) => RequireOutcome(call, "error", "an error", ResponseSteps.NullIfEmpty(requirement));

    [Then(@"^call (\d+) fails with an error within the driver's timeout$")]
    public async Task FailsWithinTimeout(int call)
    {
        var outcome = await RequireOutcome(call, "error", $"an error once the client's {client.Timeout.TotalSeconds:0.#} s timeout ran out (CLI-6)");
        var delay = client.ReportDelay(outcome);
        if (delay > client.Timeout + ClientScenario.TimingMargin)
            throw new RequirementViolation("CLI-6", $"call {call}: the client reported its error {delay.TotalSeconds:0.00} s after the kit stopped sending, more than its timeout {client.Timeout.TotalSeconds:0.#} s + {ClientScenario.TimingMargin.TotalSeconds:0} s margin");
        client.Context.Note($"call {call} failed {delay.TotalSeconds:0.00} s after the kit stopped sending (timeout {client.Timeout.TotalSeconds:0.#} s)");
    }

    /// <summary>
    /// A protocol error is detected from the bytes that show it, not by running out of time: a
    /// client that took the malformed bytes and then waited for more until its own deadline did
    /// not detect the error, it timed out.
    /// </summary>
    [Then(@"^call (\d+) fails with an error without waiting for its timeout" + ResponseSteps.As + "$")]
    public async Task FailsAtOnce(int call, string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement);
        var outcome = await RequireOutcome(call, "error", "an error as soon as the bytes showing the protocol error had arrived", id);
        var delay = client.ReportDelay(outcome);
        if (delay >= client.Timeout / 2)
            throw client.Violation($"call {call}: the client reported its error only after {delay.TotalSeconds:0.00} s (its timeout is {client.Timeout.TotalSeconds:0.#} s): it accepted the bytes that broke the protocol and waited for more instead of detecting the error", id);
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

    async Task<CallOutcome> RequireOutcome(int call, string wanted, string expectation, string? requirement = null)
    {
        var outcome = await client.OutcomeAsync(call);
        if (outcome.Outcome != wanted)
        {
            var what = outcome.Outcome == "ok" ? "reported success" : outcome.Outcome == "status" ? "reported an error status" : "reported an error";
            throw client.Violation($"call {call}: expected {expectation}, but the client {what}: {outcome}", requirement);
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

    [Then(@"^the kit received request (\d+) as a canonical request to that endpoint with the JSON body '([\s\S]*)'" + ResponseSteps.As + "$")]
    public async Task CanonicalMadeUpRequest(int number, string json, string? requirement)
    {
        var endpoint = client.MadeUpEndpoint ?? throw new InvalidOperationException("no step made up an endpoint name in this scenario");
        if (ResponseSteps.NullIfEmpty(requirement) is { } id && client.Requests.All(r => r.Number != number))
        {
            await client.EnsureRanAsync();
            if (client.Requests.All(r => r.Number != number))
                throw new RequirementViolation(id, $"the client sent {client.Requests.Count} request(s); request {number}, to an endpoint whose canonical header is {HeaderJson.CanonicalRequest(endpoint, 2, 2).Length} bytes, never arrived at the kit");
        }
        await CanonicalJsonRequest(number, endpoint, json);
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
        if (HeaderJson.TryRead(request.HeaderContent, out var unusable, out var broken) is null && broken is "HDR-6" or "HDR-11")
            throw new RequirementViolation(broken, $"request {number}: {unusable}");
        if (HeaderJson.CanonicalFormProblem(request.HeaderContent) is { } problem)
            throw new RequirementViolation("HDR-2", $"request {number}: the header '{Encoding.UTF8.GetString(request.HeaderContent)}' is not canonical: {problem}");
        var header = HeaderJson.TryRead(request.HeaderContent, out var unreadable)
                     ?? throw new RequirementViolation("HDR-1", $"request {number}: {unreadable}");
        var (_, accept) = CallSteps.TypesOf(endpoint);
        if (header.Endpoint != endpoint || (int)header.DataType != dataType || (int)header.Accept != accept || header.Status != 0 || header.ErrorMessage != "")
            throw new RequirementViolation("RPC-2",
                $"request {number}: expected Endpoint \"{endpoint}\", DataType {dataType}, Accept {accept}, Error 0 and an empty ErrorMessage; the header is {header.Text.TrimEnd()}" +
                KitProfiles.MismatchHint((ulong)dataType, header.DataType, "client"));

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
