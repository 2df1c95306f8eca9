using System.Text;

namespace FrameDump.Output;

/// <summary>
/// The default human-readable listing: one line per frame, an indented block per message with
/// the decoded RPC header and body, a line per paired call, and marked diagnostics. Records of
/// all connections appear in capture order, each line prefixed with its connection number.
/// </summary>
public sealed class TextWriterSink : IRecordSink
{
    private readonly TextWriter writer;
    private readonly TimeOrigin origin;
    private readonly bool color;
    private readonly bool hex;
    private readonly int previewBytes;

    public TextWriterSink(TextWriter writer, TimeOrigin origin, bool color, bool hex, int previewBytes = 16)
    {
        this.writer = writer;
        this.origin = origin;
        this.color = color;
        this.hex = hex;
        this.previewBytes = previewBytes;
    }

    private const string Red = "\u001b[31m";
    private const string Green = "\u001b[32m";
    private const string Yellow = "\u001b[33m";
    private const string Blue = "\u001b[34m";
    private const string Magenta = "\u001b[35m";
    private const string Cyan = "\u001b[36m";
    private const string Bold = "\u001b[1m";
    private const string Dim = "\u001b[2m";

    public void Write(DumpRecord record)
    {
        switch (record)
        {
            case ConnectionRecord c:
                writer.WriteLine(Paint(Bold, $"== connection {c.Connection}: client {c.Client} -> server {c.Server}, "
                    + $"first packet {c.Time.ToUniversalTime():yyyy-MM-dd HH:mm:ss.ffffff}Z, "
                    + (c.HandshakeSeen ? "handshake captured" : "handshake not captured")));
                break;
            case FrameRecord f:
                WriteFrame(f);
                break;
            case MessageRecord m:
                WriteMessage(m);
                break;
            case CallRecord c:
                WriteCall(c);
                break;
            case ViolationRecord v:
                writer.WriteLine(Paint(Red, $"{Prefix(v)} {Names.Arrow(v.Direction)} !! VIOLATION {v.Requirement} at offset {v.Offset}: {v.Message}"));
                break;
            case NoticeRecord n:
                writer.WriteLine(Paint(Yellow, $"{Prefix(n)} {Names.Arrow(n.Direction)} ~~ {n.Kind}: {n.Message}"));
                break;
            case CaptureErrorRecord e:
                writer.WriteLine(Paint(Red, $"{Prefix(e)} !! capture file damaged after packet {e.Packets}: {e.Message}"));
                break;
            case SkippedRecord s:
                writer.WriteLine(Paint(Yellow, $"{Prefix(s)} ~~ skipped TCP connection {Describe(s)}"));
                break;
            case EvictedRecord e:
                writer.WriteLine(Paint(Yellow, $"{Prefix(e)} ~~ evicted: {e.Message}"));
                break;
            case CloseRecord c:
                writer.WriteLine(Paint(Dim, $"{Prefix(c)} {Names.Arrow(c.Direction)} stream closed ({c.Reason}) after {c.Offset} bytes"));
                break;
            case ProfileRecord p:
                writer.WriteLine(Paint(Cyan, $"{Prefix(p)} profile {Describe(p)}"));
                break;
            case OtherProtocolRecord o:
                writer.WriteLine(Paint(Magenta, $"{Prefix(o)} {Names.Arrow(o.Direction)} not this protocol: {o.Label}; not decoded"));
                break;
        }
    }

    public void Complete() => writer.Flush();

    /// <summary>The text of a skipped-connection line after "skipped TCP connection".</summary>
    public static string Describe(SkippedRecord s)
    {
        string roles = s.RolesKnown ? $"client {s.Client} -> server {s.Server}" : $"{s.Client} -> {s.Server} (no handshake captured)";
        string why = s.Reason switch
        {
            "no-payload" => "no payload in either direction",
            "other-port" => "neither port was given with -p",
            _ => $"the first bytes from the {(s.FirstBytesDirection == Direction.ClientToServer ? "client" : "server")} ("
                + string.Join(' ', s.FirstBytes.Select(b => b.ToString("x2"))) + ") open neither a Header frame nor an RST frame",
        };
        return $"{roles}: not decoded, {why}; to decode it anyway: {s.Hint}";
    }

    /// <summary>The text of a profile line after "profile".</summary>
    public static string Describe(ProfileRecord p) => p.DecidedBy switch
    {
        "option" => $"{p.Profile} (chosen with --profile){(p.Evidence.Length == 0 ? "" : "; " + p.Evidence)}",
        "content" when p.Contradicted => $"{p.Profile} (told by earlier content) {p.Evidence}",
        "content" => $"{p.Profile}: {p.Evidence}",
        _ when p.Readings.Count == 1 => $"not told by the content: {p.Evidence}",
        _ => $"not told by the content ({p.Evidence}); both readings follow: {string.Join(", then ", p.Readings)}",
    };

    private string Prefix(DumpRecord record) => record.Reading is null
        ? $"#{record.Connection} {origin.Seconds(record.Time),11:0.000000}"
        : $"#{record.Connection}[{record.Reading}] {origin.Seconds(record.Time),11:0.000000}";

    private void WriteFrame(FrameRecord f)
    {
        string type = Names.FrameType(f.RawType);
        var line = new StringBuilder($"{Prefix(f)} {Names.Arrow(f.Direction)} frame {type,-7} end={f.RawEndFlag} len={f.Length,-7} @{f.Offset}");
        if (f.Completion != Protocol.FrameCompletion.Complete)
        {
            line.Append($" [{Names.Completion(f.Completion)}" + (f.LostBytes > 0 ? $", {f.LostBytes} bytes lost]" : "]"));
        }

        string paint = f.RawType switch { 0x01 => Cyan, 0x02 => Blue, 0xFF => Magenta, _ => Red };
        writer.WriteLine(Paint(paint, line.ToString()));
        if (hex && f.PayloadHead is not null)
        {
            Span<byte> header = stackalloc byte[6];
            new Zrpc.Frames.FrameHeader(f.RawType, f.RawEndFlag, f.Length).WriteTo(header);
            HexDump("header ", header);
            if (f.PayloadHead.Length > 0)
            {
                HexDump("payload", f.PayloadHead);
                if (f.PayloadHead.Length < f.Length)
                {
                    writer.WriteLine($"{Indent}  ... {f.Length - f.PayloadHead.Length} more payload bytes");
                }
            }
        }
    }

    private const string Indent = "                        ";

    private void HexDump(string label, ReadOnlySpan<byte> bytes)
    {
        for (int row = 0; row < bytes.Length; row += 16)
        {
            var slice = bytes.Slice(row, Math.Min(16, bytes.Length - row));
            var hexPart = new StringBuilder();
            var text = new StringBuilder();
            for (int i = 0; i < 16; i++)
            {
                hexPart.Append(i < slice.Length ? $"{slice[i]:x2} " : "   ");
                if (i == 7)
                {
                    hexPart.Append(' ');
                }

                if (i < slice.Length)
                {
                    text.Append(slice[i] is >= 0x20 and < 0x7f ? (char)slice[i] : '.');
                }
            }

            writer.WriteLine(Paint(Dim, $"{Indent}{(row == 0 ? label : "       ")} {row:x4}  {hexPart} |{text}|"));
        }
    }

    private void WriteMessage(MessageRecord m)
    {
        string type = Names.FrameType(m.RawType);
        string role = m.Role is null ? "" : $" - {m.Role} #{m.Call}" + (m.Endpoint is null ? "" : $" {m.Endpoint}");
        string state = m.Complete ? "" : $" INCOMPLETE ({m.Incomplete})";
        string lost = m.LostBytes > 0 ? $", {m.LostBytes} bytes lost" : "";
        writer.WriteLine(Paint(m.Complete ? Green : Yellow,
            $"{Prefix(m)} {Names.Arrow(m.Direction)}   {type} message: {m.Length} bytes in {m.Frames} frame{(m.Frames == 1 ? "" : "s")}{lost}{role}{state}"));
        if (m.RpcHeader is { } h)
        {
            writer.WriteLine($"{Indent}Endpoint=\"{h.Endpoint}\" DataType={h.DataType} ({Names.DataType(h.DataType, m.Profile)}) Accept={h.Accept} ({Names.DataType(h.Accept, m.Profile)}) "
                + $"Error={h.Error} ({Names.Status(h.Error)}) ErrorMessage=\"{h.ErrorMessage}\"");
        }
        else if (m.HeaderContent is not null)
        {
            writer.WriteLine($"{Indent}undecoded header: {Printable(m.HeaderContent, 200)}");
        }

        if (m.RawType == 0x02 && m.BodyHead is not null)
        {
            if (m.BodyJson is not null)
            {
                foreach (string line in m.BodyJson.Split('\n'))
                {
                    writer.WriteLine(Indent + line.TrimEnd('\r'));
                }
            }
            else if (m.BodyType == Names.JsonType(m.Profile))
            {
                writer.WriteLine($"{Indent}JSON body, {m.Length} bytes: {Printable(m.BodyHead, 200)}{(m.BodyHead.Length < m.Length ? " ..." : "")}");
            }
            else
            {
                int n = Math.Min(previewBytes, m.BodyHead.Length);
                string first = Convert.ToHexStringLower(m.BodyHead.AsSpan(0, n));
                writer.WriteLine($"{Indent}{(m.BodyType is byte b ? Names.DataType(b, m.Profile) : "body")}: {m.Length} bytes, first {n}: {first}"
                    + (m.Sha256 is null ? "" : $", sha256 {m.Sha256}"));
            }
        }
    }

    private void WriteCall(CallRecord c)
    {
        string status = c.Status is ulong s ? $"{Names.Status(s)} ({s})" : "no response";
        string latency = c.LatencyMs is double l ? $", latency {l:0.###} ms" : "";
        string first = c.ResponseStartMs is double r ? $" (response began after {r:0.###} ms)" : "";
        string error = c.ErrorMessage is { Length: > 0 } e ? $" \"{e}\"" : "";
        string outcome = c.Outcome == "complete" ? "" : $" [{c.Outcome}]";
        writer.WriteLine(Paint(c.IsError ? Red : Green,
            $"{Prefix(c)} call #{c.Call} {c.Endpoint}{(c.Control ? " (control)" : "")}: {status}{error}{latency}{first}; request {c.RequestBytes} bytes, response {c.ResponseBytes} bytes{outcome}"));
    }

    private static string Printable(byte[] bytes, int max)
    {
        var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, max));
        var builder = new StringBuilder();
        foreach (char ch in text)
        {
            builder.Append(ch switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => $"\\x{(int)ch:x2}",
                _ => ch.ToString(),
            });
        }

        return builder.ToString();
    }

    private string Paint(string code, string text) => color ? code + text + "\u001b[0m" : text;
}
