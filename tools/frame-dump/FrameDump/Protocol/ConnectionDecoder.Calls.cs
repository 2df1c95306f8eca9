using FrameDump.Output;
using Zrpc.Rpc;

namespace FrameDump.Protocol;

// Requests and responses: what each Header and Data message means for the call it belongs to.
public sealed partial class ConnectionDecoder
{
    private void OnHeaderMessage(Direction direction, MessageRecord message)
    {
        var header = message.Complete ? DecodeHeader(direction, message) : null;
        message.RpcHeader = header;
        if (direction == Direction.ClientToServer)
        {
            if (awaitingRequestBody is not null)
            {
                PairingProblem(direction, RequirementId.Of("RPC-1"), $"request #{awaitingRequestBody.Index} ({awaitingRequestBody.Endpoint}) has no Data message before the next Header message", message.Offset, message.Time);
                awaitingRequestBody = null;
            }

            lastControlRequest = null;
            if (closeRequest is not null)
            {
                Defer(direction, RequirementId.Of("FACLI-3"), $"request Header message after the Close request #{closeRequest.Index}; a client sends nothing after Close but its RST", message);
            }

            if (!message.Complete)
            {
                Emit(direction, message, null);
                return;
            }

            bool control = profile == Profile.Fa4d209 && header?.DataType == Profiles.Fa4d209Control;
            var call = new PendingCall(nextCall++, header?.Endpoint ?? "?", message.Time)
            {
                Header = header,
                RequestEnd = message.EndTime,
                RequestBytes = message.Length,
                Control = control,
            };
            if (header is not null && (header.Error != 0 || header.ErrorMessage.Length != 0))
            {
                Defer(direction, RequirementId.Of("RPC-2"), $"request header carries Error {header.Error} and ErrorMessage \"{header.ErrorMessage}\"; a client must send 0 and \"\"", message);
            }

            message.Role = "request";
            message.Call = call.Index;
            if (control)
            {
                // FARPC-1: a control request is its Header message alone.
                lastControlRequest = call;
                closeRequest ??= header!.Endpoint == "Close" ? call : null;
            }
            else
            {
                awaitingRequestBody = call;
            }

            awaitingResponse.Enqueue(call);
            Emit(direction, message, call.Endpoint);
            return;
        }

        lastControlAnswer = null;
        if (closeAnswered)
        {
            Defer(direction, RequirementId.Of("FASRV-3"), "response Header message after the OK Close answer; a server sends only RST after it and serves nothing more", message);
        }

        if (awaitingResponseBody is not null)
        {
            PairingProblem(direction, RequirementId.Of("RPC-3"), $"the OK response to call #{awaitingResponseBody.Index} has no Data message before the next Header message", message.Offset, message.Time);
            FinishCall(awaitingResponseBody, awaitingResponseBody.ResponseEnd ?? message.Time, "incomplete");
            awaitingResponseBody = null;
        }

        if (!message.Complete)
        {
            Emit(direction, message, awaitingResponse.TryPeek(out var head) ? head.Endpoint : null);
            return;
        }

        if (!awaitingResponse.TryDequeue(out var answered) && info.OneDirection)
        {
            // Only responses were recorded: a placeholder call carries the body type, and is never reported.
            answered = new PendingCall(0, "?", message.Time) { Silent = true };
        }

        if (answered is null)
        {
            Emit(direction, message, null);
            PairingProblem(direction, RequirementId.Of("CLI-5"), "response Header message while no request is outstanding", message.Offset, message.Time);
            return;
        }

        answered.ResponseStart = message.Time;
        answered.ResponseEnd = message.EndTime;
        answered.ResponseBytes += message.Length;
        answered.Response = header;
        message.Role = "response";
        message.Call = answered.Silent ? null : answered.Index;
        Emit(direction, message, answered.Endpoint);
        if (header is null)
        {
            FinishCall(answered, message.EndTime, "damaged");
            return;
        }

        CheckResponseHeader(answered, header, message);
        FlushDeferred();
        if (answered.Control)
        {
            // FARPC-3: the answer to a control request has no Data message, whatever its status.
            lastControlAnswer = answered;
            closeAnswered |= header.Error == (ulong)Status.Ok && ReferenceEquals(answered, closeRequest);
            FinishCall(answered, message.EndTime, answered.Damaged ? "damaged" : "complete");
        }
        else if (header.Error == (ulong)Status.Ok)
        {
            awaitingResponseBody = answered;
        }
        else
        {
            FinishCall(answered, message.EndTime, answered.Damaged ? "damaged" : "complete");
        }
    }

    private void OnDataMessage(Direction direction, MessageRecord message)
    {
        if (direction == Direction.ClientToServer)
        {
            var call = awaitingRequestBody;
            awaitingRequestBody = null;
            if (call is null && lastControlRequest is { } controlRequest)
            {
                lastControlRequest = null;
                Emit(direction, message, controlRequest.Endpoint);
                PairingProblem(direction, RequirementId.Of("FARPC-2"), $"Data message after the control request #{controlRequest.Index} ({controlRequest.Endpoint}); a control request has no body, and a server reads this Data frame as a protocol error as FASRV-4 says", message.Offset, message.Time);
                return;
            }

            if (call is null)
            {
                Emit(direction, message, null);
                PairingProblem(direction, RequirementId.Of("RPC-1"), "Data message from the client without a request Header message before it", message.Offset, message.Time);
                return;
            }

            call.RequestBytes += message.Length;
            call.RequestEnd = message.EndTime;
            call.Damaged |= (!message.Complete && !CutByEviction(message)) || message.LostBytes > 0;
            message.Role = "request";
            message.Call = call.Index;
            message.BodyType = call.Header?.DataType;
            RenderBody(direction, message, call.Endpoint);
            return;
        }

        var answered = awaitingResponseBody;
        awaitingResponseBody = null;
        if (answered is null && lastControlAnswer is { } controlAnswer)
        {
            lastControlAnswer = null;
            Emit(direction, message, controlAnswer.Endpoint);
            PairingProblem(direction, RequirementId.Of("FARPC-3"), $"Data message after the answer to the control request #{controlAnswer.Index} ({controlAnswer.Endpoint}); that answer has no body", message.Offset, message.Time);
            return;
        }

        if (answered is null)
        {
            Emit(direction, message, null);
            PairingProblem(direction, RequirementId.Of("RPC-3"), "Data message from the server without an OK response header before it", message.Offset, message.Time);
            return;
        }

        answered.ResponseBytes += message.Length;
        answered.ResponseEnd = message.EndTime;
        answered.Damaged |= !message.Complete || message.LostBytes > 0;
        message.Role = "response";
        message.Call = answered.Silent ? null : answered.Index;
        message.BodyType = answered.Response?.DataType;
        RenderBody(direction, message, answered.Endpoint);
        FinishCall(answered, message.EndTime, CutByEviction(message) ? "evicted" : !message.Complete ? "incomplete" : answered.Damaged ? "damaged" : "complete");
    }

    /// <summary>
    /// A message that does not fit the request/response sequence is a violation, unless a
    /// capture gap may have swallowed the message it belongs with: then it is only noted.
    /// </summary>
    private void PairingProblem(Direction direction, RequirementId requirement, string detail, long offset, DateTime time)
    {
        if (pairingUncertain)
        {
            OnNotice(direction, "unpaired", detail + " - messages were lost in a capture gap, so this is not judged", offset, time);
        }
        else
        {
            OnViolation(direction, requirement, detail, offset, time);
        }
    }

    private sealed class PendingCall(int index, string endpoint, DateTime requestStart)
    {
        public int Index { get; } = index;

        public string Endpoint { get; } = endpoint;

        public DateTime RequestStart { get; } = requestStart;

        public RpcHeader? Header { get; init; }

        public RpcHeader? Response { get; set; }

        public DateTime RequestEnd { get; set; }

        public DateTime? ResponseStart { get; set; }

        public DateTime? ResponseEnd { get; set; }

        public long RequestBytes { get; set; }

        public long ResponseBytes { get; set; }

        public bool Damaged { get; set; }

        public bool Finished { get; set; }

        public bool Silent { get; init; }

        public bool Control { get; init; }
    }
}
