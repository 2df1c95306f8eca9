using System.Text.Encodings.Web;
using System.Text.Json;

namespace FrameDump.Output;

/// <summary>
/// `--format json`: one JSON object per record and line. Every field is written once, and
/// optional fields are left out rather than written as null. Field names are documented in README.md.
/// </summary>
public sealed class JsonLinesWriter : IRecordSink
{
    private readonly Stream stream;
    private readonly TimeOrigin origin;
    private readonly Utf8JsonWriter writer;

    public JsonLinesWriter(Stream stream, TimeOrigin origin)
    {
        this.stream = stream;
        this.origin = origin;
        writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false });
    }

    public void Write(DumpRecord record)
    {
        writer.Reset(stream);
        writer.WriteStartObject();
        switch (record)
        {
            case ConnectionRecord c:
                Common("connection", c);
                writer.WriteString("time", c.Time.ToUniversalTime().ToString("O"));
                writer.WriteString("client", c.Client);
                writer.WriteString("server", c.Server);
                writer.WriteBoolean("handshake", c.HandshakeSeen);
                break;
            case FrameRecord f:
                Common("frame", f);
                writer.WriteString("dir", Names.Dir(f.Direction));
                Names.WriteFrameFields(writer, f.Offset, f.RawType, f.RawEndFlag, f.Length);
                writer.WriteString("completion", Names.Completion(f.Completion));
                if (f.LostBytes > 0)
                {
                    writer.WriteNumber("lost", f.LostBytes);
                }

                if (f.PayloadHead is not null)
                {
                    writer.WriteString("payload_hex", Convert.ToHexStringLower(f.PayloadHead));
                }

                break;
            case MessageRecord m:
                WriteMessage(m);
                break;
            case CallRecord c:
                Common("call", c);
                writer.WriteNumber("call", c.Call);
                writer.WriteNumber("request_t", Math.Round(origin.Seconds(c.RequestTime), 6));
                if (c.LatencyMs is double latency)
                {
                    writer.WriteNumber("latency_ms", Math.Round(latency, 3));
                }

                if (c.ResponseStartMs is double start)
                {
                    writer.WriteNumber("response_start_ms", Math.Round(start, 3));
                }

                if (c.Status is ulong status)
                {
                    writer.WriteNumber("status", status);
                    writer.WriteString("status_name", Names.Status(status));
                }

                if (c.ErrorMessage is { Length: > 0 } error)
                {
                    writer.WriteString("error_message", error);
                }

                writer.WriteNumber("request_bytes", c.RequestBytes);
                writer.WriteNumber("response_bytes", c.ResponseBytes);
                writer.WriteString("outcome", c.Outcome);
                if (c.Control)
                {
                    writer.WriteBoolean("control", true);
                }

                break;
            case ViolationRecord v:
                Common("violation", v);
                writer.WriteString("dir", Names.Dir(v.Direction));
                writer.WriteNumber("offset", v.Offset);
                writer.WriteString("requirement", v.Requirement.Value);
                writer.WriteString("message", v.Message);
                break;
            case NoticeRecord n:
                Common(n.Kind, n);
                writer.WriteString("dir", Names.Dir(n.Direction));
                writer.WriteNumber("offset", n.Offset);
                writer.WriteString("message", n.Message);
                if (n.Missing is long missing)
                {
                    writer.WriteNumber("missing", missing);
                }

                if (n.Skipped is long skipped)
                {
                    writer.WriteNumber("skipped", skipped);
                }

                break;
            case CaptureErrorRecord e:
                Common("capture_error", e);
                writer.WriteString("message", e.Message);
                writer.WriteNumber("packets", e.Packets);
                break;
            case SkippedRecord s:
                Common("skipped", s);
                writer.WriteString("client", s.Client);
                writer.WriteString("server", s.Server);
                writer.WriteBoolean("roles_known", s.RolesKnown);
                writer.WriteString("reason", s.Reason);
                if (s.FirstBytes.Length > 0)
                {
                    writer.WriteString("first_bytes_hex", Convert.ToHexStringLower(s.FirstBytes));
                    writer.WriteString("first_bytes_dir", Names.Dir(s.FirstBytesDirection));
                }

                writer.WriteNumber("port", s.Port);
                writer.WriteString("hint", s.Hint);
                break;
            case EvictedRecord e:
                Common("evicted", e);
                writer.WriteString("message", e.Message);
                break;
            case CloseRecord c:
                Common("close", c);
                writer.WriteString("dir", Names.Dir(c.Direction));
                writer.WriteNumber("offset", c.Offset);
                writer.WriteString("reason", c.Reason);
                break;
            case ProfileRecord p:
                Common("profile", p);
                if (p.Profile is not null)
                {
                    writer.WriteString("profile", p.Profile);
                }

                writer.WriteString("decided_by", p.DecidedBy);
                writer.WriteString("evidence", p.Evidence);
                if (p.Contradicted)
                {
                    writer.WriteBoolean("contradicted", true);
                }

                writer.WriteStartArray("readings");
                foreach (string reading in p.Readings)
                {
                    writer.WriteStringValue(reading);
                }

                writer.WriteEndArray();
                break;
            case OtherProtocolRecord o:
                Common("other_protocol", o);
                writer.WriteString("dir", Names.Dir(o.Direction));
                writer.WriteString("protocol", o.Protocol);
                writer.WriteString("label", o.Label);
                writer.WriteString("first_bytes_hex", Convert.ToHexStringLower(o.FirstBytes));
                break;
        }

        writer.WriteEndObject();
        writer.Flush();
        stream.WriteByte((byte)'\n');
    }

    /// <summary>Writes the `--summary` object.</summary>
    public void WriteSummary(Summary summary)
    {
        writer.Reset(stream);
        summary.WriteJson(writer);
        writer.Flush();
        stream.WriteByte((byte)'\n');
    }

    public void Complete() => stream.Flush();

    private void Common(string kind, DumpRecord record)
    {
        writer.WriteString("record", kind);
        writer.WriteNumber("conn", record.Connection);
        writer.WriteNumber("t", Math.Round(origin.Seconds(record.Time), 6));
        if (record.Endpoint is not null)
        {
            writer.WriteString("endpoint", record.Endpoint);
        }

        if (record.Reading is not null)
        {
            writer.WriteString("reading", record.Reading);
        }
    }

    private void WriteMessage(MessageRecord m)
    {
        Common("message", m);
        writer.WriteString("dir", Names.Dir(m.Direction));
        writer.WriteNumber("offset", m.Offset);
        writer.WriteNumber("t_end", Math.Round(origin.Seconds(m.EndTime), 6));
        writer.WriteString("type", Names.FrameType(m.RawType));
        writer.WriteNumber("frames", m.Frames);
        writer.WriteNumber("length", m.Length);
        writer.WriteBoolean("complete", m.Complete);
        if (m.Incomplete is not null)
        {
            writer.WriteString("incomplete", m.Incomplete);
        }

        if (m.LostBytes > 0)
        {
            writer.WriteNumber("lost", m.LostBytes);
        }

        if (m.Role is not null)
        {
            writer.WriteString("role", m.Role);
        }

        if (m.Call is int call)
        {
            writer.WriteNumber("call", call);
        }

        if (m.RpcHeader is { } h)
        {
            writer.WriteStartObject("header");
            writer.WriteString("Endpoint", h.Endpoint);
            writer.WriteNumber("DataType", h.DataType);
            writer.WriteNumber("Accept", h.Accept);
            writer.WriteNumber("Error", h.Error);
            writer.WriteString("ErrorMessage", h.ErrorMessage);
            writer.WriteEndObject();
        }
        else if (m.HeaderContent is not null)
        {
            writer.WriteString("header_text", System.Text.Encoding.UTF8.GetString(m.HeaderContent));
        }

        if (m.BodyType is byte bodyType)
        {
            writer.WriteString("body_type", Names.DataType(bodyType, m.Profile));
        }

        if (m.BodyJson is not null)
        {
            writer.WritePropertyName("body_json");
            using var document = JsonDocument.Parse(m.BodyJson);
            document.RootElement.WriteTo(writer);
        }

        if (m.BodyHead is not null)
        {
            writer.WriteString("body_head_hex", Convert.ToHexStringLower(m.BodyHead.AsSpan(0, Math.Min(m.BodyHead.Length, 32))));
        }

        if (m.Sha256 is not null)
        {
            writer.WriteString("sha256", m.Sha256);
        }
    }
}
