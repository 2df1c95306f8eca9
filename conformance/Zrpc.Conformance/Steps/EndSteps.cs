using System.Text;
using Reqnroll;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Steps;

/// <summary>How the implementation ends connections (spec section 8).</summary>
[Binding]
public sealed class EndSteps(ScenarioState state)
{
    async Task<EndObservation> Observe(TimeSpan wait)
    {
        var seen = await state.Connection.ObserveEndAsync(wait);
        state.LastEnd = seen;
        state.Target.Note($"connection {state.Connection.Label}: the implementation's reaction was {seen.Describe()}");
        return seen;
    }

    /// <summary>RST then close, or close alone: both conform (CONN-1).</summary>
    /// <param name="answered">The requirement broken when the implementation sent a response header instead (default: <paramref name="requirement"/>).</param>
    async Task RequireEnded(TimeSpan wait, string requirement, string? answered = null)
    {
        var seen = await Observe(wait);
        if (seen.UnexpectedFrame is { } frame)
            throw new RequirementViolation(frame.Type == WireConstants.Header ? answered ?? requirement : requirement,
                $"instead of ending the connection, the implementation sent a frame: {frame}{DescribeResponse(frame)}");
        if (seen.SawRst && seen.End == InputEnd.None)
            throw new RequirementViolation(requirement, $"the implementation sent RST and then {seen.StrayBytes} more bytes");
        RequirementViolation.Require(seen.StrayBytes == 0, requirement, () =>
            $"the implementation sent {seen.StrayBytes} bytes that are not a whole frame before closing");
        RequirementViolation.Require(seen.End is InputEnd.Closed or InputEnd.Reset, requirement, () =>
            $"the implementation did not end the connection within {wait.TotalSeconds:0.#} s (saw: {seen.Describe()})");
    }

    string DescribeResponse(FrameInfo frame) => frame.Type == WireConstants.Header
        ? " (a response header: the stream can no longer be trusted after this error, so no response may follow; the 2017 implementation answers this way, see Appendix A)"
        : "";

    [Then(@"^the implementation ends the connection" + ResponseSteps.As + "$")]
    public Task Ends(string? requirement) => RequireEnded(state.Target.StepTimeout, ResponseSteps.NullIfEmpty(requirement) ?? "CONN-1");

    /// <summary>
    /// For an error the implementation must detect and must not answer (SRV-10): one that never
    /// ends the connection breaks the detecting requirement, one that answers breaks SRV-10.
    /// </summary>
    [Then(@"^the implementation ends the connection without an error response, as (\S+) requires$")]
    public Task EndsUnanswered(string requirement) => RequireEnded(state.Target.StepTimeout, requirement, "SRV-10");

    [Then(@"^the implementation sends no response and closes the connection" + ResponseSteps.As + "$")]
    public Task NoResponse(string? requirement) => RequireEnded(state.Target.StepTimeout, ResponseSteps.NullIfEmpty(requirement) ?? "CONN-4");

    [Then(@"^within (\d+) seconds the implementation ends the connection$")]
    public Task EndsWithin(int seconds)
    {
        state.Target.AllowStepTime(TimeSpan.FromSeconds(seconds + 5));
        return RequireEnded(TimeSpan.FromSeconds(seconds), "CONN-5");
    }

    [Then(@"^the implementation closes the connection without answering" + ResponseSteps.As + "$")]
    public async Task ClosesQuietly(string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "CONN-3";
        var seen = await Observe(state.Target.StepTimeout);
        // An RST before the close is allowed (the 2017 server sends one); anything else is not.
        RequirementViolation.Require(seen.UnexpectedFrame is null && seen.StrayBytes == 0, id, () =>
            $"an RST or end of stream at a request boundary is an orderly end, to be met by closing the connection; the implementation sent {(seen.UnexpectedFrame?.ToString() ?? $"{seen.StrayBytes} stray bytes")}");
        RequirementViolation.Require(seen.End is InputEnd.Closed or InputEnd.Reset, id, () =>
            $"the implementation did not close the connection within {state.Target.StepTimeout.TotalSeconds:0.#} s");
    }

    [Then(@"^any RST the implementation sent was exactly '([\s\S]*)'$")]
    public void RstExact(string hex)
    {
        var expected = FrameBytes.ParseHex(hex);
        var seen = state.LastEnd ?? throw new InvalidOperationException("no connection end was observed yet");
        if (!seen.SawRst)
        {
            state.Target.Note("no RST was sent, so its form could not be checked");
            return;
        }
        RequirementViolation.Require(seen.RstBytes!.AsSpan().SequenceEqual(expected), "FRAME-9", () =>
            $"the RST frame was {KitConnection.Hex(seen.RstBytes!)}, expected {KitConnection.Hex(expected)}");
    }

    [Then(@"^the implementation sends RST and closes the connection$")]
    public async Task RstThenClose()
    {
        await RequireEnded(state.Target.StepTimeout, "CONN-1");
        RequirementViolation.Require(state.LastEnd!.SawRst, "CONN-1", () => "the implementation closed the connection without sending RST first");
    }

    [Then(@"^the implementation either ends the connection or answers with status RequestError" + ResponseSteps.As + "$")]
    public async Task EndsOrRequestError(string? requirement)
    {
        var id = ResponseSteps.NullIfEmpty(requirement) ?? "HDR-6";
        var connection = state.Connection;
        var seen = await Observe(state.Target.StepTimeout);
        if (seen.UnexpectedFrame is { Type: WireConstants.Header })
        {
            // Not an end: the frame is still buffered, so read it as the response.
            var response = await connection.ReadResponseAsync(1 << 20, "the response to a header with invalid text", id);
            connection.RequestsAwaitingResponse--;
            state.LastResponse = response;
            RequirementViolation.Require(response.Status == WireConstants.StatusRequestError, id, () =>
                $"the implementation answered with status {WireConstants.StatusName(response.Status)}; with the invalid bytes replaced the endpoint does not exist, so RequestError is the only answer (header: {Encoding.UTF8.GetString(response.HeaderBytes).TrimEnd()})");
            state.Target.Note("the implementation replaced the invalid UTF-8 and answered RequestError");
            return;
        }
        RequirementViolation.Require(seen.UnexpectedFrame is null && seen.End is InputEnd.Closed or InputEnd.Reset, id, () =>
            $"the implementation neither ended the connection nor answered RequestError (saw: {seen.Describe()}{(seen.UnexpectedFrame is { } f ? $", then {f}" : "")})");
    }
}
