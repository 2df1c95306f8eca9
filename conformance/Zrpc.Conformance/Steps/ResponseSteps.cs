using Zrpc.Spec;
using System.Text;
using System.Text.Json;
using Reqnroll;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Steps;

/// <summary>Checks on the current response: status, header fields, body, framing.</summary>
[Binding]
public sealed class ResponseSteps(ScenarioState state)
{
    /// <summary>Steps that check a response may name the requirement they check: "..., as SRV-3 requires".</summary>
    /// <remarks>The group always takes part in the match (possibly empty): Reqnroll passes only groups that matched.</remarks>
    public const string As = @"((?:, as [A-Z]+-\d+ requires)?)";

    Response Current => CurrentFor(null);

    /// <summary>
    /// The response the last call read. When that call got no response at all, the check fails
    /// naming the requirement it checks (<paramref name="requirement"/>), with what happened instead.
    /// </summary>
    Response CurrentFor(string? requirement)
    {
        if (state.LastResponse is { } response) return response;
        if (state.ReadFailure is { } failure)
            throw new RequirementViolation(failure is RequirementViolation violation ? violation.Requirement : RequirementId.Of(requirement ?? "RPC-3"), failure.Detail);
        throw new InvalidOperationException("no response has been read yet in this scenario (use a 'calls' step or 'the next response has status ...')");
    }


    /// <summary>The requirement a status check names when the scenario does not say: what each status means.</summary>
    static string DefaultStatusRequirement(ulong status) => status switch
    {
        WireConstants.StatusRequestError => "SRV-1",
        WireConstants.StatusError => "SRV-5",
        _ => "RPC-3",
    };

    internal static void RequireStatus(Response response, string expected, string? requirement = null)
    {
        var status = WireConstants.ParseStatus(expected);
        // Status 0 is no status at all in a response (HDR-9), whatever the scenario is about.
        var id = response.Status == WireConstants.StatusUnset ? "HDR-9" : requirement ?? DefaultStatusRequirement(status);
        RequirementViolation.Require(response.Status == status, id, () =>
            $"expected status {WireConstants.StatusName(status)}, received {WireConstants.StatusName(response.Status)}" +
            (response.Header.ErrorMessage.Length > 0 ? $" with ErrorMessage \"{response.Header.ErrorMessage}\"" : "") +
            $"; header: {response.Header.Text.TrimEnd()}");
    }

    internal static void RequireJsonBody(Response response, string expectedJson, string context, string? requirement = null)
    {
        var body = response.Body ?? throw new RequirementViolation(requirement ?? "RPC-3", $"{context}: the OK response has no body");
        RequirementViolation.Require(!body.Truncated, requirement ?? "CTS-2", () => $"{context}: the body is larger than the kit keeps ({body.Length} bytes)");
        var bytes = body.KeptBytes();
        JsonDocument received;
        try { received = JsonDocument.Parse(bytes); }
        catch (JsonException e)
        {
            throw new RequirementViolation("RPC-7", $"{context}: the response body is not one JSON value ({e.Message}); body: {KitConnection.Hex(bytes)}");
        }
        using (received)
        using (var expected = JsonDocument.Parse(expectedJson))
        {
            RequirementViolation.Require(JsonEquality.Equal(expected.RootElement, received.RootElement, out var difference), requirement ?? "CTS-2", () =>
                $"{context}: the body differs from {Shorten(expectedJson)} at {difference}; received {Shorten(Encoding.UTF8.GetString(bytes))}");
        }
    }

    /// <summary>Characters are Unicode scalar values (spec 5.5), not UTF-16 units.</summary>
    public static int Characters(string text) => text.EnumerateRunes().Count();

    static string Shorten(string text) => text.Length <= 200 ? text : text[..(char.IsHighSurrogate(text[199]) ? 199 : 200)] + $"… ({Characters(text)} characters)";

    [Then(@"^the response has status (\w+)" + As + "$")]
    public void Status(string status, string? requirement) => RequireStatus(CurrentFor(NullIfEmpty(requirement)), status, NullIfEmpty(requirement));

    [Then(@"^the response body is the JSON '([\s\S]*)'" + As + "$")]
    public void JsonBody(string json, string? requirement) => RequireJsonBody(CurrentFor(NullIfEmpty(requirement)), json, "the response", NullIfEmpty(requirement));

    /// <summary>The requirement id of an <see cref="As"/> suffix, or null when the step did not name one.</summary>
    public static string? NullIfEmpty(string? suffix) =>
        string.IsNullOrEmpty(suffix) ? null : System.Text.RegularExpressions.Regex.Match(suffix, @"[A-Z]+-\d+").Value;

    [Then(@"^the response body is the same JSON value that was sent$")]
    public void SameJson() => RequireJsonBody(CurrentFor("CTS-2"), state.LastJsonSent!, "the Echo response");

    [Then(@"^the response body is exactly the text '([\s\S]*)'$")]
    public void ExactBody(string text)
    {
        var expected = FrameBytes.Unescape(text);
        var received = Current.Body?.KeptBytes() ?? [];
        RequirementViolation.Require(received.AsSpan().SequenceEqual(expected), "RPC-8", () =>
            $"the body is {KitConnection.Hex(received)} (\"{Encoding.UTF8.GetString(received)}\"), expected {KitConnection.Hex(expected)}");
    }

    [Then(@"^the response body is (\d+) octets where byte i is i mod 251" + As + "$")]
    public void SourceBody(long length, string? requirement)
    {
        var id = NullIfEmpty(requirement);
        var current = CurrentFor(id ?? "CTS-4");
        var body = current.Body ?? throw new RequirementViolation(id ?? "RPC-3", "the OK response has no body");
        RequirementViolation.Require(current.Header.DataType == (ulong)WireConstants.DataTypeOctets, id ?? "RPC-4",
            () => $"the response's DataType is {current.Header.DataType}, not Octets ({WireConstants.DataTypeOctets})" + KitProfiles.MismatchHint((ulong)WireConstants.DataTypeOctets, current.Header.DataType));
        RequirementViolation.Require(body.FirstSourcePatternMismatch < 0, id ?? "CTS-4",
            () => $"byte {body.FirstSourcePatternMismatch} of the body is not {body.FirstSourcePatternMismatch % 251}");
        RequirementViolation.Require(body.Length == length, id ?? "CTS-4",
            () => $"the body has {body.Length} bytes, expected {length}");
    }

    [Then(@"^the response reports the Length and SHA-256 of the body sent" + As + "$")]
    public void SinkReport(string? requirement)
    {
        var id = NullIfEmpty(requirement) ?? "CTS-5";
        var (length, sha) = state.LastOctetsSent ?? throw new InvalidOperationException("no Octets body was sent");
        RequireJsonBody(CurrentFor(id), $"{{\"Length\":{length},\"SHA256\":\"{sha}\"}}", "the Sink response", id);
    }

    [Then(@"^the response ErrorMessage is '([\s\S]*)'" + As + "$")]
    public void ErrorMessage(string message, string? requirement) =>
        RequirementViolation.Require(CurrentFor(NullIfEmpty(requirement)).Header.ErrorMessage == message, NullIfEmpty(requirement) ?? "CTS-3",
            () => $"ErrorMessage is \"{Current.Header.ErrorMessage}\", expected \"{message}\"");

    [Then(@"^the response ErrorMessage is the Message sent" + As + "$")]
    public void ErrorMessageWhole(string? requirement)
    {
        var id = NullIfEmpty(requirement) ?? "CTS-3";
        var sent = state.LastFailMessageSent!;
        var got = CurrentFor(id).Header.ErrorMessage;
        RequirementViolation.Require(got == sent, id, () =>
            $"the ErrorMessage ({Characters(got)} characters, header {Current.HeaderBytes.Length} bytes) is not the Message sent ({Characters(sent)} characters); it starts \"{Shorten(got)}\"");
    }

    /// <summary>Nothing may follow a complete response while no request is outstanding (e.g. an extra empty Header frame, Appendix A.3).</summary>
    [Then(@"^the implementation sends nothing more for (\d+) milliseconds" + As + "$")]
    public async Task NothingMore(int milliseconds, string? requirement)
    {
        var id = NullIfEmpty(requirement) ?? "MSG-1";
        var (quiet, end) = await state.Connection.ExpectSilenceAsync(TimeSpan.FromMilliseconds(milliseconds));
        if (quiet) return;
        if (end != Wire.InputEnd.None)
            throw new RequirementViolation(id, $"after the response, {KitConnection.DescribeEnd(end)}");
        var extra = await state.Connection.ReadRawAsync(WireConstants.FrameHeaderSize);
        throw new RequirementViolation(id, $"after the whole response ({Current.HeaderBytes.Length}-byte header in frames [{string.Join("; ", Current.HeaderFrames)}]) and with no request outstanding, the implementation sent more: {KitConnection.Hex(extra)}");
    }

    [Then(@"^the response ErrorMessage is not empty$")]
    public void ErrorMessageNotEmpty() =>
        RequirementViolation.Require(Current.Header.ErrorMessage.Length > 0, "RPC-5", () => "the error response's ErrorMessage is empty");

    [Then(@"^the response ErrorMessage is a prefix of the Message sent$")]
    public void ErrorMessagePrefix()
    {
        var sent = state.LastFailMessageSent!;
        var got = Current.Header.ErrorMessage;
        RequirementViolation.Require(sent.StartsWith(got, StringComparison.Ordinal), "HDR-8", () =>
            $"the ErrorMessage ({Characters(got)} characters) is not a prefix of the Message sent ({Characters(sent)} characters); it starts \"{Shorten(got)}\"");
    }

    [Then(@"^the response ErrorMessage is the longest prefix of the Message sent that fits in 4096 bytes$")]
    public void ErrorMessageLongestPrefix()
    {
        ErrorMessagePrefix();
        var sent = state.LastFailMessageSent!;
        var got = Current.Header.ErrorMessage;
        if (got.Length == sent.Length) return;
        // The next whole character, escaped as the implementation would at best (HDR-3), must not fit.
        var next = char.IsHighSurrogate(sent[got.Length]) ? sent.Substring(got.Length, 2) : sent.Substring(got.Length, 1);
        var nextBytes = Encoding.UTF8.GetByteCount(HeaderJson.Quote(next)) - 2;
        RequirementViolation.Require(Current.HeaderBytes.Length + nextBytes > WireConstants.MaxHeaderMessage, "HDR-10", () =>
            $"the header has {Current.HeaderBytes.Length} bytes; the next character of the message ({nextBytes} bytes encoded) would still have fitted in 4096");
    }

    [Then(@"^the response header is canonical$")]
    public void Canonical()
    {
        var problem = HeaderJson.CanonicalFormProblem(Current.HeaderBytes);
        RequirementViolation.Require(problem is null, "HDR-2", () =>
            $"the response header is not in canonical form: {problem}; header: {Encoding.UTF8.GetString(Current.HeaderBytes)}");
    }

    [Then(@"^the response header is at most 4096 bytes$")]
    public void HeaderSize() =>
        RequirementViolation.Require(Current.HeaderBytes.Length <= WireConstants.MaxHeaderMessage, "HDR-8",
            () => $"the response header has {Current.HeaderBytes.Length} bytes");

    [Then(@"^the response header is a single frame with the end flag set$")]
    public void HeaderOneFrame() =>
        RequirementViolation.Require(Current.HeaderFrames.Count == 1 && Current.HeaderFrames[0].EndFlag == 1, "MSG-4", () =>
            $"the {Current.HeaderBytes.Length}-byte response header came in frames [{string.Join("; ", Current.HeaderFrames)}]; canonical is one frame with end flag 1");

    [Then(@"^the response body is framed canonically$")]
    public void BodyCanonical()
    {
        var frames = Current.BodyFrames;
        var length = Current.Body?.Length ?? 0;
        var full = (int)(length / WireConstants.MaxPayload);
        var expected = Enumerable.Range(0, full).Select(_ => new FrameInfo(WireConstants.Data, 0, WireConstants.MaxPayload))
            .Append(new FrameInfo(WireConstants.Data, 1, (uint)(length % WireConstants.MaxPayload))).ToList();
        RequirementViolation.Require(frames.SequenceEqual(expected), "MSG-4", () =>
            $"a {length}-byte body came in frames [{Summarise(frames)}]; canonical framing is [{Summarise(expected)}]");
    }

    static string Summarise(IReadOnlyList<FrameInfo> frames) => frames.Count <= 8
        ? string.Join("; ", frames)
        : string.Join("; ", frames.Take(4)) + $"; … {frames.Count - 6} more …; " + string.Join("; ", frames.Skip(frames.Count - 2));

    [Then(@"^the response header has DataType (\d+), Accept (\d+) and an empty Endpoint and ErrorMessage$")]
    public void OkHeaderFields(ulong dataType, ulong accept)
    {
        HeaderFields(dataType, accept);
        RequirementViolation.Require(Current.Header.ErrorMessage == "", "RPC-4",
            () => $"the OK response has ErrorMessage \"{Current.Header.ErrorMessage}\"");
    }

    [Then(@"^the response header has DataType (\d+), Accept (\d+) and an empty Endpoint$")]
    public void HeaderFields(ulong dataType, ulong accept)
    {
        var id = Current.Status == WireConstants.StatusOk ? "RPC-4" : "RPC-5";
        var h = Current.Header;
        RequirementViolation.Require(h.DataType == dataType && h.Accept == accept && h.Endpoint == "", id, () =>
            $"the response header has DataType {h.DataType}, Accept {h.Accept}, Endpoint \"{h.Endpoint}\"; expected DataType {dataType}, Accept {accept}, Endpoint \"\"" + KitProfiles.MismatchHint(dataType, h.DataType));
    }

    [Then(@"^the response header has DataType (MarshaledJSON|Octets), Accept 0 and an empty Endpoint and ErrorMessage" + As + "$")]
    public void OkHeaderNamed(string name, string? requirement)
    {
        var id = NullIfEmpty(requirement) ?? "RPC-4";
        var expected = (ulong)WireConstants.ParseDataType(name);
        var h = CurrentFor(id).Header;
        RequirementViolation.Require(h.DataType == expected, id, () =>
            $"the response's DataType is {h.DataType} ({KitProfiles.Current.DataTypeName(h.DataType)} in profile {KitProfiles.Current.Name()}), expected {expected} ({name})" + KitProfiles.MismatchHint(expected, h.DataType));
        RequirementViolation.Require(h.Accept == 0 && h.Endpoint == "" && h.ErrorMessage == "", "RPC-4", () =>
            $"the OK response header has Accept {h.Accept}, Endpoint \"{h.Endpoint}\", ErrorMessage \"{h.ErrorMessage}\"; expected 0 and empty");
    }

    [Then(@"^the raw response header contains '([\s\S]*)'$")]
    public void RawHeaderContains(string text)
    {
        var raw = Encoding.UTF8.GetString(Current.HeaderBytes);
        RequirementViolation.Require(raw.Contains(text, StringComparison.Ordinal), "HDR-3",
            () => $"the header is {raw.TrimEnd()}; expected it to contain {text}");
    }

    [Then(@"^every frame the implementation sent has end flag 0 or 1 and a length of at most 4194304$")]
    public void AllFramesWellFormed()
    {
        // The frame reader already refuses other flags and lengths as it reads (FRAME-3, FRAME-5);
        // this step makes sure it actually saw frames to judge.
        var frames = state.Connection.FramesReceived;
        RequirementViolation.Require(frames.Count >= 2, "FRAME-1", () => $"only {frames.Count} frames were received");
        var bad = frames.FirstOrDefault(f => f.EndFlag > 1 || f.Length > WireConstants.MaxPayload);
        RequirementViolation.Require(bad is null, "FRAME-3", () => $"the implementation sent {bad}");
    }
}
