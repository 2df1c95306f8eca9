using System.Text;
using NUnit.Framework;
using Zrpc.Conformance.Adapters;

namespace Zrpc.Conformance.Tests.Infrastructure;

public sealed class TrafficLogTests
{
    [Test]
    public void Frames_split_across_chunks_are_annotated_frame_by_frame()
    {
        var json = "{\"Endpoint\":\"Echo\",\"DataType\":2,\"Accept\":2,\"Error\":0,\"ErrorMessage\":\"\"}\n";
        var bytes = Frame(0x01, 1, Encoding.UTF8.GetBytes(json)).Concat(Frame(0x02, 1, "[7]\n"u8.ToArray())).ToArray();
        var log = new TrafficLog();

        // Chunk boundaries fall inside a frame header and inside a payload.
        log.Record("A", TrafficDirection.Sent, bytes.AsSpan(0, 3));
        log.Record("A", TrafficDirection.Sent, bytes.AsSpan(3, 20));
        log.Record("A", TrafficDirection.Sent, bytes.AsSpan(23));
        log.Record("A", TrafficDirection.Received, new byte[] { 0xff, 0x01, 0x00, 0x00, 0x00, 0x00 });
        log.RecordEvent("A", TrafficDirection.Received, "end of stream (peer closed the connection)");

        var text = log.FormatAnnotatedHex();

        Assert.That(text, Does.Contain($">> 01 01 {json.Length:x2} 00 00 00  | Header frame, end=0x01 (set), length {json.Length}"));
        Assert.That(text, Does.Contain("Header message (" + json.Length + " bytes): {\"Endpoint\":\"Echo\""));
        Assert.That(text, Does.Contain(">> 02 01 04 00 00 00  | Data frame, end=0x01 (set), length 4"));
        Assert.That(text, Does.Contain("<< ff 01 00 00 00 00  | RST frame, end=0x01 (set), length 0"));
        Assert.That(text, Does.Contain("<< end of stream"));
        Assert.That(log.BytesSent, Is.EqualTo(bytes.Length));
    }

    [Test]
    public void Oversize_and_unknown_frames_are_named_and_big_payloads_are_not_kept()
    {
        var log = new TrafficLog();
        log.Record("A", TrafficDirection.Sent, new byte[] { 0x02, 0x00, 0x01, 0x00, 0x40, 0x00 });
        log.Record("A", TrafficDirection.Sent, new byte[1000]);
        log.Record("B", TrafficDirection.Sent, new byte[] { 0x07, 0x02, 0x00, 0x00, 0x00, 0x00 });

        var text = log.FormatAnnotatedHex();

        Assert.That(text, Does.Contain("length 4194305 (over the 4194304-byte limit, FRAME-6)"));
        Assert.That(text, Does.Contain("incomplete frame payload: 1000 of 4194305 bytes (744 payload bytes not shown)"));
        Assert.That(text, Does.Contain("connection B"));
        Assert.That(text, Does.Contain("unknown frame type 0x07 (FRAME-2), end=0x02 (non-canonical, means set: FRAME-3/FRAME-4)"));
    }

    [Test]
    public void The_line_limit_bounds_the_log()
    {
        var log = new TrafficLog(maxLinesPerConnection: 10);
        for (var i = 0; i < 50; i++)
        {
            log.Record("A", TrafficDirection.Sent, Frame(0x02, 0, []));
        }

        var text = log.FormatAnnotatedHex();

        Assert.That(log.EntriesOf("A"), Has.Count.EqualTo(10));
        Assert.That(text, Does.Contain("40 further lines omitted"));
    }

    private static byte[] Frame(byte type, byte end, byte[] payload)
    {
        var frame = new byte[6 + payload.Length];
        frame[0] = type;
        frame[1] = end;
        BitConverter.TryWriteBytes(frame.AsSpan(2, 4), (uint)payload.Length);
        payload.CopyTo(frame, 6);
        return frame;
    }
}
