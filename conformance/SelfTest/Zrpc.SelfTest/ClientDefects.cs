using System.Text.Json;
using Zrpc.SelfTest.Behaviour;
using Zrpc.SelfTest.Wire;
using Zrpc.Rpc;

namespace Zrpc.SelfTest;

/// <summary>
/// The catalogue of client mutants, the client-side counterpart of the server defects. Each is one mistake a
/// real client has made or could make: in what it sends, in how its reader takes frames apart, or
/// in how it judges a response header.
/// </summary>
public static class ClientDefects
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    public static IReadOnlyList<ClientDefect> All { get; } =
    [
        // What the client sends.
        Wire("big-endian-length", "writes and reads frame lengths big-endian (FRAME-1)",
            () => new WireRules { BigEndianLengths = true }),
        Wire("end-flag-written-as-ff", "writes a set end flag as 0xFF (FRAME-3)",
            () => new WireRules { OutboundFlag = flag => flag == 0 ? (byte)0 : (byte)0xFF }),
        Wire("no-trailing-newline", "sends request headers without the trailing line feed (HDR-2)",
            () => new WireRules { OutboundHeader = c => c.AsSpan().EndsWith(Newline) ? c[..^1] : c }),
        Wire("request-status-set", "sends requests with Error 1 (OK) instead of 0 (RPC-2)",
            () => new WireRules { OutboundHeader = c => DefectCatalog.RewriteHeader(c, h => h with { Error = (ulong)Status.Ok }) }),
        Wire("split-frames-wrong", "frames request bodies in pieces of 4 MiB - 1 bytes (MSG-4)",
            () => new WireRules { DataFrameLimit = Frames.FrameLimits.MaxPayload - 1 }),
        Wire("header-4096-two-frames", "the 2017 header writer: a request header of exactly 4096 bytes is followed by an extra empty Header frame (MSG-4)",
            () => new WireRules { ExtraHeaderFrameAtLimit = true }),
        new("header-cut-at-4096", "a request header over 4096 bytes is sent cut off after its first 4096 bytes instead of being refused (MSG-5, HDR-2); reachable with a long endpoint name",
            () => new ClientDefectHooks { OversizeHeader = header => header[..Frames.FrameLimits.MaxHeaderMessage] }),
        Wire("octets-unsupported", "not a defect: cannot send Octets request bodies (section 9 allows a client that sends only MarshaledJSON) and its driver says unsupported",
            () => new WireRules { OutboundHeader = RefuseOctetsRequest }),
        Wire("octets-request-short", "sends one byte less than an Octets request body holds (RPC-9)",
            () => new WireRules { DropLastOctetsByte = true }),

        // Profile fa4d209 (run with zrpc-selftest client-driver --profile fa4d209).
        Wire("no-rst-after-close", "fa4d209: after the Close answer closes the connection without sending RST (FACLI-3)",
            () => new WireRules { DropRst = true }),
        Wire("no-close-handshake", "fa4d209: never sends the Close request, so it ends every connection without the handshake (FACLI-1)",
            () => new WireRules { DropHeader = c => c.AsSpan().SequenceEqual(CloseRequestBytes) }),

        // How the client's reader takes responses apart.
        Reader("end-flag-only-0x01", "treats only an end flag of exactly 0x01 as set (FRAME-4)",
            () => new ResponseRules { Frame = (f, _) => [f with { Flag = f.Flag == 1 ? (byte)1 : (byte)0 }] }),
        Reader("frame-type-not-checked", "the 2017 defect: takes every frame but RST as the type it expects next, so a Data frame can start a response and a Header or Trailer frame continue a body (MSG-3, FRAME-2, FRAME-10)",
            () => new ResponseRules { Frame = (f, view) => [f.Type == WireFrame.Rst ? f : f with { Type = view.ExpectedType }] }),
        Reader("rst-ignored", "skips RST frames and keeps reading (CONN-2)",
            () => new ResponseRules { Frame = (f, _) => f.Type == WireFrame.Rst ? [] : [f] }),
        Reader("no-frame-length-limit", "accepts and waits for response frames longer than 4 MiB (FRAME-6)",
            () => new ResponseRules { SplitOversize = true }),
        Reader("eof-ends-body", "takes end of stream between the frames of a response body for the body's end (CLI-4)",
            () => new ResponseRules { AtEndOfStream = view => view.ExpectingData ? InboundFrame.Of(WireFrame.Data, 1, []) : null }),
        Reader("short-read-is-whole", "takes what one read returns for a whole frame header or payload, so a response whose frames arrive in pieces with pauses between them is misread, and a body cut inside its last frame passes for complete (MSG-2, CLI-4)",
            () => new ResponseRules { ShortReadIsWhole = true }),
        Reader("json-trailing-text-accepted", "takes a JSON response body with text after the value ({\"a\":1}xyz) for the value alone (RPC-7)",
            () => new ResponseRules { Frame = DropTextAfterJsonValue }),
        Reader("stops-at-json-value", "stops reading a JSON response body once its value is complete, leaving the rest of the body (an empty end frame) unread (CLI-7)",
            () => new ResponseRules { Frame = StopAtJsonValue }),

        // How the client judges a response header.
        Parser("case-sensitive-field-names", "matches response header field names case-sensitively (HDR-4)",
            (content, _) => DefectiveHeaderParsers.CaseSensitive(content)),
        Parser("unknown-fields-rejected", "treats unknown response header fields as malformed (HDR-4)",
            (content, _) => DefectiveHeaderParsers.RejectUnknown(content)),
        Parser("header-trailing-text-accepted", "reads a response header up to the end of its object and ignores text after it, then waits for a body until its timeout (HDR-5)",
            (content, _) => ParseFirstObject(content)),
        Parser("crash-on-null-header", "the whole client process dies of an unhandled exception on a response header whose JSON is null, leaving its calls without outcomes (CLI-8)",
            (content, _) => CrashOnNull(content)),
        Parser("status-zero-accepted", "takes a response with status 0 (unset) for OK (CLI-2)",
            (content, _) => RpcHeader.Parse(content) is { Error: 0 } h ? h with { Error = (ulong)Status.Ok } : RpcHeader.Parse(content)),
        Parser("datatype-not-checked", "does not compare an OK response's DataType with the Accept it sent (CLI-3)",
            (content, accept) => RpcHeader.Parse(content) is { Error: (ulong)Status.Ok } h ? h with { DataType = (byte)accept } : RpcHeader.Parse(content)),
        Parser("error-status-as-ok", "checks only that a status is present: takes an error status for OK and waits for a body (CLI-1)",
            (content, accept) => RpcHeader.Parse(content) is { Error: > (ulong)Status.Ok } h ? h with { Error = (ulong)Status.Ok, DataType = (byte)accept } : RpcHeader.Parse(content)),
    ];

    private static readonly byte[] CloseRequestBytes = CloseHandshake.CloseRequest.ToCanonicalBytes();

    public static IReadOnlyList<string> Names => All.Select(d => d.Name).ToArray();

    /// <summary>The defect called <paramref name="name"/>; <see cref="ArgumentException"/> lists the valid names.</summary>
    public static ClientDefect Find(string name) => DefectCatalog.Find(All, name, "client defect");

    /// <summary>One line per defect, for --list-defects.</summary>
    public static string Describe() => DefectCatalog.Describe(All);

    private static ClientDefect Wire(string name, string description, Func<WireRules> rules)
        => new(name, description, () => new ClientDefectHooks { Wire = rules });

    private static ClientDefect Reader(string name, string description, Func<ResponseRules> rules)
        => new(name, description, () => new ClientDefectHooks { Responses = rules });

    private static ClientDefect Parser(string name, string description, Func<ReadOnlySpan<byte>, DataType, RpcHeader> parse)
        => new(name, description, () => new ClientDefectHooks { ParseHeader = parse });


    /// <summary>
    /// Takes the header's JSON to be an object without checking, the way a decoder into a pointer
    /// does: <c>null</c> leaves nothing to read the fields from, and the process goes down.
    /// </summary>
    private static RpcHeader CrashOnNull(ReadOnlySpan<byte> content)
    {
        if (System.Text.Encoding.UTF8.GetString(content).Trim() == "null")
        {
            ServerDefect.CrashThisProcess("the response header was null and the client took it for an object");
        }

        return RpcHeader.Parse(content);
    }

    /// <summary>Refuses, before anything is written, a request whose body is Octets (DataType 3, status 0).</summary>
    private static byte[] RefuseOctetsRequest(byte[] content)
    {
        var header = RpcHeader.Parse(content);
        if (header.Error == 0 && header.DataType == (byte)DataType.Octets)
        {
            throw new NotSupportedException("this client sends MarshaledJSON request bodies only");
        }

        return content;
    }

    /// <summary>Where the first JSON value of <paramref name="json"/> ends, or -1 when it holds no complete value.</summary>
    private static long FirstValueEnd(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
            if (!reader.Read() || !reader.TrySkip())
            {
                return -1;
            }

            return reader.BytesConsumed;
        }
        catch (JsonException)
        {
            return -1;
        }
    }

    /// <summary>The last frame of a JSON body is cut where its value ends, so text after the value is never seen.</summary>
    private static IEnumerable<InboundFrame> DropTextAfterJsonValue(InboundFrame frame, ResponseView view)
    {
        if (frame.Type == WireFrame.Data && frame.Flag != 0 && view.BodyIsJson && view.JsonBodyWith(frame.Payload) is { } all)
        {
            long end = FirstValueEnd(all);
            long before = all.Length - frame.Payload.Length;
            if (end >= 0 && end < all.Length)
            {
                int keep = (int)Math.Clamp(end - before, 0, frame.Payload.Length);
                return [InboundFrame.Of(frame.Type, frame.Flag, frame.Payload[..keep])];
            }
        }

        return [frame];
    }

    /// <summary>A header parser that stops at the end of the first JSON value and ignores the rest.</summary>
    private static RpcHeader ParseFirstObject(ReadOnlySpan<byte> content)
    {
        try
        {
            return RpcHeader.Parse(content);
        }
        catch (ProtocolException)
        {
            long end = FirstValueEnd(content);
            if (end <= 0)
            {
                throw;
            }

            return RpcHeader.Parse(content[..(int)end]);
        }
    }

    /// <summary>
    /// A JSON decoder that decides the body is over as soon as it holds a complete value: a frame
    /// without the end flag that completes the value is handed over as the last one.
    /// </summary>
    private static IEnumerable<InboundFrame> StopAtJsonValue(InboundFrame frame, ResponseView view)
    {
        if (frame.Type == WireFrame.Data && frame.Flag == 0 && view.BodyIsJson && view.JsonBodyWith(frame.Payload) is { } soFar && IsCompleteValue(soFar))
        {
            return [frame with { Flag = 1 }];
        }

        return [frame];
    }

    private static bool IsCompleteValue(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
