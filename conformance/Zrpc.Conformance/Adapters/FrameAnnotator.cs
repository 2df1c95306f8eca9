using System.Text;
using Zrpc.Frames;
using Zrpc.Rpc;

namespace Zrpc.Conformance.Adapters;

/// <summary>
/// Turns one direction of a connection's byte stream into annotated hex lines, frame by frame,
/// as the bytes arrive in arbitrary chunks. Keeps only small bounded state: the partial frame
/// header, the first bytes of the current payload, and the current Header message (capped).
/// </summary>
internal sealed class FrameAnnotator
{
    // Enough to replay small bodies and every legal header byte for byte; a big body shows its start only.
    private const int DataBytesShown = 256;
    private const int HeaderMessageKept = FrameLimits.MaxHeaderMessage + 64;

    private readonly byte[] _headerBytes = new byte[FrameLimits.HeaderSize];
    private int _headerFill;
    private FrameHeader? _frame;
    private long _payloadRemaining;
    private long _payloadOmitted;
    private readonly List<byte> _lineBytes = new(16);
    private long _payloadShown;
    private readonly MemoryStream _headerMessage = new();
    private long _headerMessageLength;

    public long TotalBytes { get; private set; }

    public IEnumerable<string> Feed(ReadOnlySpan<byte> bytes)
    {
        TotalBytes += bytes.Length;
        var lines = new List<string>();
        while (!bytes.IsEmpty)
        {
            if (_frame is null)
            {
                var take = Math.Min(FrameLimits.HeaderSize - _headerFill, bytes.Length);
                bytes[..take].CopyTo(_headerBytes.AsSpan(_headerFill));
                _headerFill += take;
                bytes = bytes[take..];
                if (_headerFill == FrameLimits.HeaderSize)
                {
                    StartFrame(lines);
                }

                continue;
            }

            var chunk = (int)Math.Min(_payloadRemaining, bytes.Length);
            AddPayload(bytes[..chunk], lines);
            bytes = bytes[chunk..];
            _payloadRemaining -= chunk;
            if (_payloadRemaining == 0)
            {
                EndFrame(lines);
            }
        }

        return lines;
    }

    /// <summary>Describes a frame left incomplete (what a truncated-frame report needs); does not change state.</summary>
    public IEnumerable<string> Finish()
    {
        if (_frame is null && _headerFill > 0)
        {
            yield return $"incomplete frame header: {_headerFill} of {FrameLimits.HeaderSize} bytes: {Hex(_headerBytes.AsSpan(0, _headerFill))}";
        }
        else if (_frame is { } frame)
        {
            var omitted = _payloadOmitted > 0 ? $" ({_payloadOmitted} payload bytes not shown)" : "";
            yield return $"incomplete frame payload: {frame.Length - _payloadRemaining} of {frame.Length} bytes{omitted}";
        }
    }

    private void StartFrame(List<string> lines)
    {
        var header = FrameHeader.Parse(_headerBytes);
        _headerFill = 0;
        lines.Add($"{Hex(_headerBytes)}  | {Describe(header)}");

        // A receiver never reads an RST payload (FRAME-8), so the next byte starts a new frame.
        if (header.RawType == (byte)FrameType.Rst)
        {
            return;
        }

        _frame = header;
        _payloadRemaining = header.Length;
        _payloadOmitted = 0;
        _payloadShown = 0;
        _lineBytes.Clear();
        if (header.Length == 0)
        {
            EndFrame(lines);
        }
    }

    private void AddPayload(ReadOnlySpan<byte> payload, List<string> lines)
    {
        if (_frame is { RawType: (byte)FrameType.Header })
        {
            _headerMessageLength += payload.Length;
            var room = HeaderMessageKept - (int)_headerMessage.Length;
            if (room > 0)
            {
                _headerMessage.Write(payload[..Math.Min(room, payload.Length)]);
            }
        }

        foreach (var b in payload)
        {
            var shown = _frame is { RawType: (byte)FrameType.Header } ? HeaderMessageKept : DataBytesShown;
            if (_payloadShown >= shown)
            {
                _payloadOmitted++;
                continue;
            }

            _payloadShown++;
            _lineBytes.Add(b);
            if (_lineBytes.Count == 16)
            {
                FlushLine(lines);
            }
        }
    }

    private void EndFrame(List<string> lines)
    {
        FlushLine(lines);
        if (_payloadOmitted > 0)
        {
            lines.Add($"   ... {_payloadOmitted} more payload bytes not shown");
        }

        var frame = _frame!.Value;
        _frame = null;
        if (frame.RawType == (byte)FrameType.Header && frame.End)
        {
            lines.Add("   " + DescribeHeaderMessage());
            _headerMessage.SetLength(0);
            _headerMessageLength = 0;
        }
    }

    private string DescribeHeaderMessage()
    {
        var content = _headerMessage.ToArray();
        var text = Encoding.UTF8.GetString(content).Replace("\n", "\\n", StringComparison.Ordinal);
        var prefix = _headerMessageLength > content.Length
            ? $"Header message ({_headerMessageLength} bytes, over the {FrameLimits.MaxHeaderMessage}-byte limit, first {content.Length} shown): "
            : $"Header message ({_headerMessageLength} bytes): ";
        string decoded;
        try
        {
            var header = RpcHeader.Parse(content);
            decoded = $" => Endpoint=\"{header.Endpoint}\" DataType={header.DataType} Accept={header.Accept} Error={header.Error} ErrorMessage=\"{header.ErrorMessage}\"";
        }
        catch (ProtocolException e)
        {
            decoded = $" => not a valid RPC header: {e.Message}";
        }
        catch (Exception)
        {
            // The reference decoder may be unavailable or fail; the raw JSON text is still shown.
            decoded = "";
        }

        return prefix + text + decoded;
    }

    private void FlushLine(List<string> lines)
    {
        if (_lineBytes.Count == 0)
        {
            return;
        }

        var bytes = _lineBytes.ToArray();
        var ascii = new string(bytes.Select(b => b is >= 0x20 and < 0x7f ? (char)b : '.').ToArray());
        lines.Add($"   {Hex(bytes),-47}  |{ascii}|");
        _lineBytes.Clear();
    }

    private static string Describe(FrameHeader header)
    {
        var flag = header.RawEndFlag switch
        {
            0 => "end=0x00 (clear)",
            1 => "end=0x01 (set)",
            _ => $"end=0x{header.RawEndFlag:x2} (non-canonical, means set: FRAME-3/FRAME-4)",
        };
        var type = header.RawType switch
        {
            (byte)FrameType.Header => "Header frame",
            (byte)FrameType.Data => "Data frame",
            (byte)FrameType.Trailer => "Trailer frame (reserved, FRAME-10)",
            (byte)FrameType.Rst => "RST frame",
            _ => $"unknown frame type 0x{header.RawType:x2} (FRAME-2)",
        };
        var length = $"length {header.Length}";
        if (header.RawType == (byte)FrameType.Rst)
        {
            if (header.Length != 0 || header.RawEndFlag != 1)
            {
                length += " (non-canonical RST, FRAME-9; payload not read, FRAME-8)";
            }
        }
        else if (header.Length > FrameLimits.MaxPayload)
        {
            length += $" (over the {FrameLimits.MaxPayload}-byte limit, FRAME-6)";
        }

        return $"{type}, {flag}, {length}";
    }

    internal static string Hex(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(b.ToString("x2"));
        }

        return text.ToString();
    }
}
