using Zrpc.Spec;
using System.Diagnostics;
using System.Text;
using Reqnroll;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Steps;

/// <summary>
/// Steps of the fa4d209 profile in the server role (spec/profile-fa4d209.md): control requests,
/// the Close handshake and the RST of teardown, judged from the bytes on the wire.
/// </summary>
[Binding]
public sealed class ProfileSteps(ScenarioState state)
{
    /// <summary>What the kit allows on top of a 1-second bound of the spec, for process scheduling.</summary>
    public static readonly TimeSpan SchedulingMargin = TimeSpan.FromSeconds(1);

    long _closeAnsweredAt;

    /// <summary>The header of a control request as FARPC-2 builds it.</summary>
    public static byte[] ControlRequest(string endpoint, int accept = WireConstants.DataTypeControl) =>
        Encoding.UTF8.GetBytes($"{{\"Endpoint\":{HeaderJson.Quote(endpoint)},\"DataType\":{WireConstants.DataTypeControl},\"Accept\":{accept},\"Error\":0,\"ErrorMessage\":\"\"}}\n");

    [StepDefinition(@"^the client sends a Close request$")]
    public Task SendClose() => state.Connection.SendAsync(FrameBytes.CanonicalMessage(WireConstants.Header, ControlRequest("Close")));

    [StepDefinition(@"^the client sends a Close request with Accept (\d+)$")]
    public Task SendCloseAccept(int accept) => state.Connection.SendAsync(FrameBytes.CanonicalMessage(WireConstants.Header, ControlRequest("Close", accept)));

    [StepDefinition(@"^the client sends a control request for ""([^""]*)""$")]
    public Task SendControl(string endpoint) => state.Connection.SendAsync(FrameBytes.CanonicalMessage(WireConstants.Header, ControlRequest(endpoint)));

    async Task<Response> ReadControlAnswer(string what, string requirement)
    {
        try
        {
            return state.LastResponse = await state.Connection.ReadResponseAsync(1 << 16, what, requirement, headerOnly: true);
        }
        catch (UnattributedFailure e)
        {
            throw e.Of(RequirementId.Of(requirement));
        }
    }

    [Then(@"^the next response is the Close answer" + ResponseSteps.As + "$")]
    public async Task CloseAnswer(string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "FASRV-3";
        var response = await ReadControlAnswer("the answer to the Close request", id);
        _closeAnsweredAt = Stopwatch.GetTimestamp();
        RequirementViolation.Require(response.HeaderBytes.AsSpan().SequenceEqual(FakeServer.CloseAnswer), id, () =>
            $"the Close answer is {Encoding.UTF8.GetString(response.HeaderBytes).TrimEnd()}; expected exactly {Encoding.UTF8.GetString(FakeServer.CloseAnswer).TrimEnd()}" +
            (response.Status == WireConstants.StatusRequestError ? " (a refusal: the server does not know the control endpoint Close, or does not speak profile fa4d209)" : ""));
        RequirementViolation.Require(response.HeaderFrames.Count == 1, "MSG-4", () => $"the Close answer came in {response.HeaderFrames.Count} frames; a header is one frame");
    }

    [Then(@"^the next response is a control answer with status (\w+)" + ResponseSteps.As + "$")]
    public async Task ControlAnswer(string status, string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "FASRV-2";
        var response = await ReadControlAnswer("the answer to the control request", id);
        ResponseSteps.RequireStatus(response, status, id);
    }

    [Then(@"^the implementation sends RST, nothing after it, and closes the connection within 1 second" + ResponseSteps.As + "$")]
    public async Task RstThenCloseWithinASecond(string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "FACONN-2";
        var started = _closeAnsweredAt != 0 ? _closeAnsweredAt : Stopwatch.GetTimestamp();
        var seen = await Observe(TimeSpan.FromSeconds(1) + SchedulingMargin + TimeSpan.FromSeconds(1));
        var took = Stopwatch.GetElapsedTime(started);
        RequireRstEnd(seen, id);
        RequirementViolation.Require(took <= TimeSpan.FromSeconds(1) + SchedulingMargin, "FACONN-2", () =>
            $"the implementation closed the connection {took.TotalSeconds:0.00} s after its answer; at most 1 s after its RST (the kit allows {SchedulingMargin.TotalSeconds:0} s more)");
    }

    [Then(@"^the implementation sends RST before it closes the connection" + ResponseSteps.As + "$")]
    public async Task RstThenClose(string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "FACONN-1";
        RequireRstEnd(await Observe(state.Target.StepTimeout), id);
    }

    [Then(@"^after the kit's RST the implementation closes the connection at once" + ResponseSteps.As + "$")]
    public async Task ClosesAfterKitRst(string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "FACONN-3";
        var started = Stopwatch.GetTimestamp();
        var seen = await Observe(TimeSpan.FromSeconds(2));
        var took = Stopwatch.GetElapsedTime(started);
        RequireRstEnd(seen, "FACONN-1");
        // The server waits for the client's first byte: after it, closing takes no second.
        RequirementViolation.Require(took < TimeSpan.FromMilliseconds(800), id, () =>
            $"the implementation closed the connection {took.TotalSeconds:0.00} s after the kit's RST; it should close as soon as the client's first byte arrives");
    }

    async Task<EndObservation> Observe(TimeSpan wait)
    {
        var seen = await state.Connection.ObserveEndAsync(wait);
        state.LastEnd = seen;
        state.Target.Note($"connection {state.Connection.Label}: the implementation's reaction was {seen.Describe()}");
        return seen;
    }

    static void RequireRstEnd(EndObservation seen, string id)
    {
        if (seen.UnexpectedFrame is { } frame)
            throw new RequirementViolation(id, $"instead of RST the implementation sent a frame: {frame}" +
                (frame.Type == WireConstants.Data ? " (a body after a control answer, which has none: FARPC-3)" : frame.Type == WireConstants.Header ? " (a response: the server went on serving)" : ""));
        RequirementViolation.Require(seen.SawRst, "FACONN-1", () => $"the implementation ended the connection without RST ({seen.Describe()}); a fa4d209 server sends RST whenever it stops serving a connection");
        RequirementViolation.Require(seen.End != InputEnd.None, "FACONN-2", () => $"the implementation sent {seen.StrayBytes} bytes after its RST");
        RequirementViolation.Require(seen.RstBytes!.AsSpan().SequenceEqual(WireConstants.CanonicalRst), "FRAME-9", () =>
            $"the RST frame was {KitConnection.Hex(seen.RstBytes!)}, expected ff0100000000");
        RequirementViolation.Require(seen.End is InputEnd.Closed or InputEnd.Reset, "FACONN-2", () =>
            $"the implementation sent RST but did not close the connection ({seen.Describe()})");
    }
}

/// <summary>Client-role steps of the fa4d209 profile: the kit's answer to the client's Close request and how the client ends.</summary>
[Binding]
public sealed class ProfileClientSteps(ClientScenario client)
{
    [Given(@"^the kit answers the Close request with status (\d+) and the ErrorMessage '([\s\S]*)'$")]
    public void CloseStatus(ulong status, string message) =>
        client.CloseAnswer().Actions.Add(new SendBytes(FrameBytes.CanonicalMessage(WireConstants.Header,
            ScriptedAnswer.ResponseHeader(status, WireConstants.DataTypeUnset, message))));

    [Given(@"^the kit answers the Close request with the header '([\s\S]*)'$")]
    public void CloseHeader(string text) =>
        client.CloseAnswer().Actions.Add(new SendBytes(FrameBytes.CanonicalMessage(WireConstants.Header, FrameBytes.Unescape(text))));

    [Given(@"^the kit answers the Close request with its answer and no RST$")]
    public void CloseNoRst() =>
        client.CloseAnswer().Actions.Add(new SendBytes(FrameBytes.CanonicalMessage(WireConstants.Header, FakeServer.CloseAnswer)));

    [Given(@"^the kit does not answer the Close request$")]
    public void CloseStall() => client.CloseAnswer().Actions.Add(new Stall());

    async Task<ReceivedRequest> LastClose(string id)
    {
        await client.EnsureRanAsync();
        var controls = client.ControlRequests;
        var close = controls.LastOrDefault(r => r.ControlEndpoint == "Close");
        if (close is null)
            throw new RequirementViolation(id, $"the client ended its connection without a Close request ({client.Requests.Count} request(s), {controls.Count} control request(s)); " +
                "a fa4d209 client ends a healthy connection with the Close handshake" + (client.Requests.Count > 0 ? "" : " (did the driver report its calls?)"));
        return close;
    }

    [Then(@"^the client sent a canonical Close request as its last request" + ResponseSteps.As + "$")]
    public async Task CanonicalClose(string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "FACLI-1";
        var close = await LastClose(id);
        var expected = ProfileSteps.ControlRequest("Close");
        RequirementViolation.Require(close.HeaderContent.AsSpan().SequenceEqual(expected), "FARPC-2", () =>
            $"the Close request is {Encoding.UTF8.GetString(close.HeaderContent).TrimEnd()}; expected exactly {Encoding.UTF8.GetString(expected).TrimEnd()}");
        RequirementViolation.Require(close.HeaderFrames.Count == 1 && close.HeaderFrames[0].EndFlag == 1, "MSG-4", () =>
            $"the Close request's header came in {close.HeaderFrames.Count} frame(s); a header is one frame with end flag 01");
        var later = client.Requests.Where(r => r.Connection == close.Connection && r.ReceivedAt > close.ReceivedAt).ToList();
        RequirementViolation.Require(later.Count == 0, id, () => $"the client sent {later.Count} request(s) after its Close request");
    }

    [Then(@"^after the Close answer the client sent RST and closed the connection" + ResponseSteps.As + "$")]
    public async Task RstAfterAnswer(string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "FACLI-3";
        var close = await LastClose("FACLI-1");
        var after = close.AfterAnswer.ToArray();
        if (after.Length > 0 && after[0] == WireConstants.Data)
            throw new RequirementViolation("FARPC-2", $"after its Close request the client sent a Data frame ({KitConnection.Hex(after)}): a control request has no body");
        RequirementViolation.Require(after.AsSpan().SequenceEqual(WireConstants.CanonicalRst), id, () => after.Length == 0
            ? $"the client sent no RST after the Close answer (then: {close.AfterAnswerEnd ?? "the connection stayed open"})"
            : $"after the Close answer the client sent {KitConnection.Hex(after)}; expected exactly RST ff0100000000 and nothing else");
        RequirementViolation.Require(close.AfterAnswerEnd is not null, id, () =>
            $"the client sent RST but did not close the connection within {FakeServer.AfterCloseWatch.TotalSeconds:0} s");
    }

    [Then(@"^the client closed the connection within 1 second of its Close request" + ResponseSteps.As + "$")]
    public async Task ClosedWithinASecond(string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "FACLI-2";
        var close = await LastClose("FACLI-1");
        RequirementViolation.Require(close.EndedAt != 0, id, () =>
            $"the client did not close the connection within {FakeServer.AfterCloseWatch.TotalSeconds:0} s of its unanswered Close request");
        var took = Stopwatch.GetElapsedTime(close.ReceivedAt, close.EndedAt);
        RequirementViolation.Require(took <= TimeSpan.FromSeconds(1) + ProfileSteps.SchedulingMargin, id, () =>
            $"the client closed the connection {took.TotalSeconds:0.00} s after its Close request; it waits at most 1 s for the answer (the kit allows {ProfileSteps.SchedulingMargin.TotalSeconds:0} s more)");
    }

    [Then(@"^the client reports that its close (succeeded|failed)" + ResponseSteps.As + "$")]
    public async Task CloseReported(string how, string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "FACLI-4";
        await client.EnsureRanAsync();
        var line = client.CloseLine ?? throw new InvalidOperationException("no close line: the scenario does not run in profile fa4d209");
        var kind = line["close"]!.GetValue<string>();
        var expected = how == "succeeded" ? "ok" : "error";
        RequirementViolation.Require(kind == expected, id, () => $"the driver reported the close as {line.ToJsonString()}; expected \"close\":\"{expected}\"");
    }
}
