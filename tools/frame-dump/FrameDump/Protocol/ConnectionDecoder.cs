using FrameDump.Output;
using FrameDump.Tcp;
using Zrpc;
using Zrpc.Frames;
using Zrpc.Rpc;

namespace FrameDump.Protocol;

/// <summary>
/// The RPC layer of one connection in one profile: turns Header messages into RPC headers with
/// the reference library's <see cref="RpcHeader.Parse"/>, groups messages into requests (Header +
/// Data from the client, RPC-1; in profile fa4d209 a control request, DataType 2, has no Data
/// message, FARPC-1) and responses (Header, plus Data only when the status is OK and the request
/// was no control request, RPC-3, FARPC-3), pairs them in order (RPC-10: one at a time,
/// pipelining allowed) and emits the records. It writes no connection record: the caller does,
/// once, since a connection may be decoded in both profiles.
/// </summary>
public sealed partial class ConnectionDecoder : IConnectionHandler, IMessageSink
{
    private const int MaxHeldFrames = 256;
    private readonly ConnectionInfo info;
    private readonly IRecordSink output;
    private readonly Queue<PendingCall> awaitingResponse = new();
    private readonly List<FrameRecord>[] heldFrames = [new(), new()];
    private readonly bool[] ended = new bool[2];
    private readonly List<DumpRecord> deferred = new();
    private readonly Profile profile;
    private readonly long[] framesSeen = new long[2];
    private PendingCall? awaitingRequestBody;

    /// <summary>The last client request was a control request: a Data message now is the body it must not have (FARPC-2).</summary>
    private PendingCall? lastControlRequest;

    /// <summary>The last server message answered a control request: a Data message now is a body it must not have (FARPC-3).</summary>
    private PendingCall? lastControlAnswer;
    private PendingCall? closeRequest;
    private bool closeAnswered;
    private PendingCall? awaitingResponseBody;
    private Direction? resetBy;
    private bool evicted;

    /// <summary>Set once any direction lost its frame boundaries: requests or responses may have vanished in the gap.</summary>
    private bool pairingUncertain;
    private int nextCall = 1;

    public ConnectionDecoder(ConnectionInfo info, IRecordSink output, DecoderOptions options, Profile profile = Profile.P6ab05ee)
    {
        this.info = info;
        this.output = output;
        this.profile = profile;
        ClientToServerFrames = new FrameStreamDecoder(new MessageAssembler(info.Id, Direction.ClientToServer, this, options), info.HandshakeSeen);
        ServerToClientFrames = new FrameStreamDecoder(new MessageAssembler(info.Id, Direction.ServerToClient, this, options), info.HandshakeSeen);
    }

    /// <summary>The record every connection starts with.</summary>
    public static ConnectionRecord Opening(ConnectionInfo info) => new()
    {
        Connection = info.Id,
        Time = info.Start,
        Client = info.ClientLabel ?? info.Client.ToString(),
        Server = info.ServerLabel ?? info.Server.ToString(),
        HandshakeSeen = info.HandshakeSeen,
    };

    public Profile Profile => profile;

    /// <summary>Sees every complete message with the number of its first frame in its direction, and every stream end.</summary>
    public IProfileObserver? Observer { get; set; }

    public FrameStreamDecoder ClientToServerFrames { get; }

    public FrameStreamDecoder ServerToClientFrames { get; }

    public IStreamConsumer ClientToServer => ClientToServerFrames;

    public IStreamConsumer ServerToClient => ServerToClientFrames;

    public void OnFrame(Direction direction, FrameRecord frame, bool partOfHeaderMessage)
    {
        framesSeen[(int)direction]++;
        var held = heldFrames[(int)direction];
        if (partOfHeaderMessage && held.Count < MaxHeldFrames)
        {
            // The endpoint of a request is known only when its header is complete: hold its frames till then.
            held.Add(frame);
            return;
        }

        ReleaseHeld(direction, EndpointContext(direction));
        frame.Endpoint = EndpointContext(direction);
        output.Write(frame);
    }

    public void OnMessage(Direction direction, MessageRecord message)
    {
        message.Profile = profile;
        if (message.RawType == (byte)FrameType.Header)
        {
            OnHeaderMessage(direction, message);
        }
        else if (message.RawType == (byte)FrameType.Data)
        {
            OnDataMessage(direction, message);
        }
        else
        {
            ReleaseHeld(direction, null);
            output.Write(message);
        }

        // After decoding, so that the observer sees the RPC header.
        Observer?.OnMessage(direction, message, framesSeen[(int)direction] - message.Frames + 1);
    }

    public void OnViolation(Direction direction, RequirementId requirement, string detail, long offset, DateTime time)
    {
        ReleaseHeld(direction, EndpointContext(direction));
        output.Write(new ViolationRecord
        {
            Connection = info.Id,
            Time = time,
            Direction = direction,
            Offset = offset,
            Requirement = requirement,
            Detail = detail,
            Endpoint = EndpointContext(direction),
        });
    }

    public void OnNotice(Direction direction, string kind, string message, long offset, DateTime time, long? missing = null, long? skipped = null)
    {
        ReleaseHeld(direction, EndpointContext(direction));
        output.Write(new NoticeRecord
        {
            Connection = info.Id,
            Time = time,
            Direction = direction,
            Offset = offset,
            Kind = kind,
            Message = message,
            Missing = missing,
            Skipped = skipped,
            Endpoint = EndpointContext(direction),
        });
    }

    public void OnSyncLost(Direction direction)
    {
        pairingUncertain = true;
        // Whatever the gap swallowed, the call in flight on this side cannot be trusted.
        if (direction == Direction.ClientToServer)
        {
            if (awaitingRequestBody is not null)
            {
                awaitingRequestBody.Damaged = true;
                awaitingRequestBody = null;
            }
        }
        else if (awaitingResponseBody is not null)
        {
            awaitingResponseBody.Damaged = true;
            FinishCall(awaitingResponseBody, awaitingResponseBody.ResponseEnd ?? awaitingResponseBody.RequestStart, "damaged");
            awaitingResponseBody = null;
        }
    }

    public void OnEvicted(string why, DateTime time)
    {
        evicted = true;
        output.Write(new EvictedRecord { Connection = info.Id, Time = time, Message = why });
    }

    public void OnRst(Direction direction, DateTime time)
    {
        Observer?.OnRst(direction, framesSeen[(int)direction]);
        resetBy ??= direction;
    }

    public void OnStreamEnded(Direction direction, StreamEndReason reason, long offset, DateTime time)
    {
        Observer?.OnStreamEnded(direction, reason);
        ReleaseHeld(direction, null);
        output.Write(new CloseRecord
        {
            Connection = info.Id,
            Time = time,
            Direction = direction,
            Offset = offset,
            Reason = reason switch
            {
                StreamEndReason.Fin => "fin",
                StreamEndReason.Reset => "tcp-reset",
                StreamEndReason.Evicted => "evicted",
                _ => "end-of-capture",
            },
        });
        ended[(int)direction] = true;
        if (!ended[0] || !ended[1])
        {
            return;
        }

        if (awaitingResponseBody is not null)
        {
            FinishCall(awaitingResponseBody, awaitingResponseBody.ResponseEnd ?? time, evicted ? "evicted" : "incomplete");
            awaitingResponseBody = null;
        }

        while (awaitingResponse.TryDequeue(out var call))
        {
            FinishCall(call, null, call.Damaged ? "damaged" : "no-response");
        }
    }

    private void RenderBody(Direction direction, MessageRecord message, string endpoint)
    {
        message.BodyJson = BodyRenderer.Render(message, out string? jsonError);
        Emit(direction, message, endpoint);
        if (jsonError is not null)
        {
            OnViolation(direction, RequirementId.Of("RPC-7"), $"MarshaledJSON body is not exactly one JSON value: {jsonError}", message.Offset, message.Time);
        }
    }

    private RpcHeader? DecodeHeader(Direction direction, MessageRecord message)
    {
        var content = message.HeaderContent ?? [];
        RpcHeader header;
        try
        {
            header = RpcHeader.Parse(content);
        }
        catch (ProtocolException ex)
        {
            Defer(direction, ex.Requirement, ex.Detail, message);
            return null;
        }
        catch (NotImplementedException)
        {
            deferred.Add(new NoticeRecord
            {
                Connection = info.Id,
                Time = message.Time,
                Direction = direction,
                Offset = message.Offset,
                Kind = "notice",
                Message = "the reference library's RpcHeader.Parse is not implemented yet; header not decoded",
            });
            return null;
        }

        try
        {
            if (!header.ToCanonicalBytes().AsSpan().SequenceEqual(content))
            {
                Defer(direction, RequirementId.Of("HDR-2"), "header is not canonical JSON (five fields in order, compact, one trailing line feed)", message);
            }
        }
        catch (NotImplementedException)
        {
            // Canonical form not available from the reference library yet: skip the HDR-2 check.
        }

        return header;
    }

    private void CheckResponseHeader(PendingCall call, RpcHeader header, MessageRecord message)
    {
        void Violate(string id, string detail) => Defer(Direction.ServerToClient, RequirementId.Of(id), detail, message);

        if (header.Error == (ulong)Status.Unset)
        {
            Violate("CLI-2", $"response to call #{call.Index} has status 0 (unset)");
        }
        else if (header.Error > (ulong)Status.Error)
        {
            Violate("HDR-9", $"response to call #{call.Index} has unknown status {header.Error}");
        }
        else if (header.Error == (ulong)Status.Ok && call.Control)
        {
            if (header.DataType != Profiles.Fa4d209Control || header.Endpoint.Length != 0 || header.Accept != 0 || header.ErrorMessage.Length != 0)
            {
                Violate("FARPC-3", $"the OK answer to control request #{call.Index} ({call.Endpoint}) must have DataType 2 (Control), an empty Endpoint, Accept 0 and an empty ErrorMessage");
            }
        }
        else if (header.Error == (ulong)Status.Ok)
        {
            if (call.Header is not null && header.DataType != call.Header.Accept)
            {
                Violate("CLI-3", $"OK response DataType {header.DataType} differs from the request's Accept {call.Header.Accept}");
            }

            if (header.Endpoint.Length != 0 || header.Accept != 0 || header.ErrorMessage.Length != 0)
            {
                Violate("RPC-4", "an OK response header must have an empty Endpoint, Accept 0 and an empty ErrorMessage");
            }
        }
        else if (header.Endpoint.Length != 0 || header.DataType != 0 || header.Accept != 0)
        {
            Violate("RPC-5", "an error response header must have an empty Endpoint, DataType 0 and Accept 0");
        }
    }

    private void Emit(Direction direction, MessageRecord message, string? endpoint)
    {
        ReleaseHeld(direction, endpoint);
        message.Endpoint = endpoint;
        output.Write(message);
        foreach (var record in deferred)
        {
            record.Endpoint = endpoint;
        }

        FlushDeferred();
    }

    private void Defer(Direction direction, RequirementId requirement, string detail, MessageRecord message) =>
        deferred.Add(new ViolationRecord
        {
            Connection = info.Id,
            Time = message.Time,
            Direction = direction,
            Offset = message.Offset,
            Requirement = requirement,
            Detail = detail,
        });

    private void FlushDeferred()
    {
        foreach (var record in deferred)
        {
            output.Write(record);
        }

        deferred.Clear();
    }

    private void ReleaseHeld(Direction direction, string? endpoint)
    {
        var held = heldFrames[(int)direction];
        foreach (var frame in held)
        {
            frame.Endpoint = endpoint;
            output.Write(frame);
        }

        held.Clear();
    }

    private string? EndpointContext(Direction direction) => direction == Direction.ClientToServer
        ? awaitingRequestBody?.Endpoint
        : awaitingResponseBody?.Endpoint ?? (awaitingResponse.TryPeek(out var head) ? head.Endpoint : null);

    /// <summary>
    /// The message ended only because the connection was evicted (the notice comes before the
    /// streams end): nothing was lost from the capture, so the call is not "damaged".
    /// </summary>
    private bool CutByEviction(MessageRecord message) => evicted && !message.Complete && message.LostBytes == 0;

    private void FinishCall(PendingCall call, DateTime? end, string outcome)
    {
        if (call.Finished || call.Silent || (info.OneDirection && outcome == "no-response"))
        {
            return;
        }

        call.Finished = true;
        if (outcome == "no-response" && resetBy is Direction by)
        {
            outcome = by == Direction.ServerToClient ? "reset-by-server" : "reset-by-client";
        }
        else if (outcome == "no-response" && evicted)
        {
            outcome = "evicted";
        }

        output.Write(new CallRecord
        {
            Connection = info.Id,
            Time = end ?? call.ResponseEnd ?? call.RequestEnd,
            RequestTime = call.RequestStart,
            Call = call.Index,
            Endpoint = call.Endpoint,
            ResponseTime = call.ResponseStart,
            LatencyMs = end is DateTime e && call.ResponseStart is not null ? (e - call.RequestStart).TotalMilliseconds : null,
            ResponseStartMs = call.ResponseStart is DateTime s ? (s - call.RequestStart).TotalMilliseconds : null,
            Status = call.Response?.Error,
            ErrorMessage = call.Response?.ErrorMessage,
            RequestBytes = call.RequestBytes,
            ResponseBytes = call.ResponseBytes,
            Outcome = outcome,
            Control = call.Control,
        });
    }
}
