using Zrpc.Frames;
using Zrpc.SelfTest.Behaviour;
using Zrpc.SelfTest.Wire;
using Zrpc.Rpc;

namespace Zrpc.SelfTest;

/// <summary>The catalogue of server mutants. Each is one mistake a real implementation has made or could make.</summary>
public static class ServerDefects
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    public static IReadOnlyList<ServerDefect> All { get; } =
    [
        Wire("big-endian-length", "reads and writes frame lengths big-endian (FRAME-1)",
            () => new WireRules { BigEndianLengths = true }),
        Wire("end-flag-ignored", "treats only an end flag of exactly 0x01 as set (FRAME-4)",
            () => new WireRules { Inbound = f => WireRules.Unchanged(f with { Flag = f.Flag == 1 ? (byte)1 : (byte)0 }) }),
        Wire("end-flag-written-as-ff", "writes a set end flag as 0xFF (FRAME-3)",
            () => new WireRules { OutboundFlag = flag => flag == 0 ? (byte)0 : (byte)0xFF }),
        Wire("frame-type-not-checked", "the 2017 defect: a frame of the wrong type is read as part of the message (MSG-3, FRAME-2, FRAME-10)",
            () => TypeBlind()),
        Wire("rst-ignored", "skips RST frames and keeps reading (CONN-2)",
            () => new WireRules { Inbound = f => f.Type == WireFrame.Rst ? [] : WireRules.Unchanged(f) }),
        Wire("no-frame-length-limit", "accepts and waits for frames longer than 4 MiB (FRAME-6)",
            () => new WireRules { Inbound = SplitOversize }),
        Wire("oversize-in-body-answered", "the 2017 behaviour: an oversize frame in a body is answered with RequestError before the connection ends (SRV-10)",
            () => new WireRules { Inbound = AnswerOversizeData }),
        Wire("header-limit-off-by-one", "rejects a request header of exactly 4096 bytes (MSG-5)",
            () => HeaderLimit(FrameLimits.MaxHeaderMessage - 1)),
        Wire("status-zero-ok", "sends OK responses with Error 0 (RPC-4, HDR-9)",
            () => new WireRules { OutboundHeader = c => DefectCatalog.RewriteHeader(c, h => h.Error == 1 ? h with { Error = 0 } : h) }),
        Wire("no-trailing-newline", "sends headers without the trailing line feed (HDR-2)",
            () => new WireRules { OutboundHeader = c => c.AsSpan().EndsWith(Newline) ? c[..^1] : c }),
        Wire("error-response-with-datatype", "sends error responses with DataType 2 (RPC-5)",
            () => new WireRules { OutboundHeader = c => DefectCatalog.RewriteHeader(c, h => h.Error is 2 or 3 or 4 ? h with { DataType = 2 } : h) }),
        Wire("split-frames-wrong", "frames response bodies in pieces of 4 MiB - 1 bytes (MSG-4)",
            () => new WireRules { DataFrameLimit = FrameLimits.MaxPayload - 1 }),
        Wire("separate-end-frame", "ends every non-empty response body with an extra empty end frame (MSG-4)",
            () => new WireRules { SeparateEndFrame = true }),
        Wire("octets-response-short", "sends one byte less than an Octets response body holds (CTS-4, RPC-9)",
            () => new WireRules { DropLastOctetsByte = true }),
        Wire("extra-header-frame-at-4096", "the 2017 behaviour: a response header of exactly 4096 bytes is followed by an extra empty Header frame (MSG-4)",
            () => new WireRules { ExtraHeaderFrameAtLimit = true }),
        Wire("lone-surrogate-in-error-header", "writes a replaced character (U+FFFD) in a header as the escape of a lone surrogate, \\ud800 (HDR-11)",
            () => new WireRules { OutboundHeader = LoneSurrogateForReplacement }),
        Wire("eof-mid-frame-ends-body", "takes end of stream inside a Data frame for the end of the body: an Octets body cut mid-frame and half-closed is answered OK with the short length (CONN-4, FRAME-11)",
            () => new WireRules { EndOfStreamEndsDataFrame = true }),
        Hooks("no-drain-after-error", "the 2017 defect: a rejected request's body is not read, so it is taken for the next request (SRV-7)",
            () => new DefectHooks { SkipDrainOnReject = true }),
        Hooks("drain-json-early", "stops reading a JSON body once the value is complete, leaving its empty end frame (SRV-8)",
            () => new DefectHooks { StopAtJsonValue = true }),
        Hooks("error-message-cut", "cuts a too-long error header at 4096 bytes, leaving invalid JSON (HDR-8)",
            () => new DefectHooks { CutErrorHeader = true }),
        Hooks("case-sensitive-field-names", "matches header field names case-sensitively (HDR-4)",
            () => new DefectHooks { ParseHeader = DefectiveHeaderParsers.CaseSensitive }),
        Hooks("unknown-fields-rejected", "treats unknown header fields as malformed (HDR-4)",
            () => new DefectHooks { ParseHeader = DefectiveHeaderParsers.RejectUnknown }),
        new("no-concurrency", "serves one connection at a time (TRANS-3)", serial: true),

        // Profile fa4d209 (run with zrpc-selftest serve --profile fa4d209).
        Hooks("close-ignored", "fa4d209: takes a Close request for a service request and waits for its body, so Close is never answered (FASRV-3)",
            () => new DefectHooks { ParseHeader = CloseAsServiceRequest }),
        Wire("close-answer-with-body", "fa4d209: follows the Close answer with a Data message {} (FARPC-3, FASRV-3)",
            () => new WireRules { AfterHeader = c => c.AsSpan().SequenceEqual(CloseAnswerBytes) ? EmptyJsonBody : null }),
        Wire("no-rst-at-teardown", "fa4d209: closes connections without sending RST (FACONN-1)",
            () => new WireRules { DropRst = true }),
        new("crash-on-null-header", "the whole server dies on a request header whose JSON is null (TRANS-2): zrpc serve crashes with an unhandled exception",
            crashingHooks: CrashOnNullHeader),
    ];

    public static IReadOnlyList<string> Names => All.Select(d => d.Name).ToArray();

    /// <summary>The defect called <paramref name="name"/>; <see cref="ArgumentException"/> lists the valid names.</summary>
    public static ServerDefect Find(string name) => DefectCatalog.Find(All, name, "defect");

    /// <summary>One line per defect, for --list-defects.</summary>
    public static string Describe() => DefectCatalog.Describe(All);

    private static readonly byte[] CloseAnswerBytes = CloseHandshake.CloseAnswer.ToCanonicalBytes();

    private static readonly byte[] EmptyJsonBody = [0x02, 0x01, 0x03, 0x00, 0x00, 0x00, (byte)'{', (byte)'}', (byte)'\n'];

    /// <summary>A Close control request read as a service request for an endpoint "Close" with a MarshaledJSON body.</summary>
    private static RpcHeader CloseAsServiceRequest(ReadOnlySpan<byte> content)
    {
        var header = RpcHeader.Parse(content);
        return header is { Endpoint: CloseHandshake.CloseEndpoint, DataType: Profiles.Fa4d209Control } ? header with { DataType = 3 } : header;
    }

    private static ServerDefect Wire(string name, string description, Func<WireRules> rules)
        => new(name, description, () => new DefectHooks { Wire = rules });

    private static ServerDefect Hooks(string name, string description, Func<DefectHooks> hooks)
        => new(name, description, hooks);

    /// <summary>
    /// Takes the header's JSON to be an object without checking, the way a decoder into a pointer
    /// does: <c>null</c> leaves nothing to read the fields from, and the process goes down.
    /// </summary>
    private static DefectHooks CrashOnNullHeader(Action endProcess) => new()
    {
        ParseHeader = content =>
        {
            if (System.Text.Encoding.UTF8.GetString(content).Trim() == "null")
            {
                endProcess();
                throw new IOException("the server went down on a null request header");
            }

            return RpcHeader.Parse(content);
        },
    };


    private static readonly byte[] Replacement = "\uFFFD"u8.ToArray();
    private static readonly byte[] LoneSurrogate = "\\ud800"u8.ToArray();

    private static byte[] LoneSurrogateForReplacement(byte[] content)
    {
        var output = new List<byte>(content.Length);
        for (int i = 0; i < content.Length; i++)
        {
            if (content.AsSpan(i).StartsWith(Replacement))
            {
                output.AddRange(LoneSurrogate);
                i += Replacement.Length - 1;
            }
            else
            {
                output.Add(content[i]);
            }
        }

        return output.ToArray();
    }

    /// <summary>Every frame but RST is taken as the next frame of the message the server expects.</summary>
    private static WireRules TypeBlind()
    {
        byte expected = WireFrame.Header;
        return new WireRules
        {
            Inbound = frame =>
            {
                if (frame.Type == WireFrame.Rst)
                {
                    return WireRules.Unchanged(frame);
                }

                var seen = frame with { Type = expected };
                if (frame.Flag != 0)
                {
                    expected = expected == WireFrame.Header ? WireFrame.Data : WireFrame.Header;
                }

                return WireRules.Unchanged(seen);
            },
        };
    }

    /// <summary>A Header message ends the connection once its content would reach <paramref name="max"/> + 1 bytes.</summary>
    private static WireRules HeaderLimit(int max)
    {
        bool inHeader = true;
        long content = 0;
        return new WireRules
        {
            Inbound = frame =>
            {
                if (frame.Type == WireFrame.Header && inHeader)
                {
                    content += frame.Length;
                    if (content > max)
                    {
                        throw new IOException($"header message of {content} bytes is over the limit");
                    }
                }

                if (frame.Type is WireFrame.Header or WireFrame.Data && frame.Flag != 0)
                {
                    inHeader = frame.Type == WireFrame.Data;
                    content = 0;
                }

                return WireRules.Unchanged(frame);
            },
        };
    }

    /// <summary>An over-long frame is handed over as several legal frames of the same type.</summary>
    private static IEnumerable<Segment> SplitOversize(WireFrame frame)
    {
        if (frame.Type == WireFrame.Rst || frame.Length <= FrameLimits.MaxPayload)
        {
            foreach (var s in WireRules.Unchanged(frame)) yield return s;
            yield break;
        }

        long left = frame.Length;
        while (left > 0)
        {
            uint piece = (uint)Math.Min(left, FrameLimits.MaxPayload);
            left -= piece;
            yield return Segment.Emit(WireRules.ForReader(frame.Type, left == 0 ? frame.Flag : (byte)0, piece));
            yield return Segment.Pass(piece);
        }
    }

    private static IEnumerable<Segment> AnswerOversizeData(WireFrame frame)
    {
        if (frame.Type == WireFrame.Data && frame.Length > FrameLimits.MaxPayload)
        {
            var header = RpcHeader.Failure(Status.RequestError, $"cannot decode request: frame of {frame.Length} bytes is too large").ToCanonicalBytes();
            var reply = new byte[6 + header.Length];
            WireRules.ForReader(WireFrame.Header, 1, (uint)header.Length).CopyTo(reply, 0);
            header.CopyTo(reply, 6);
            yield return Segment.Answer(reply);
        }

        foreach (var s in WireRules.Unchanged(frame)) yield return s;
    }
}
