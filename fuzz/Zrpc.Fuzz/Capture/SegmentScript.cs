using System.Buffers.Binary;
using System.Net;
using FrameDump.Capture;

namespace Zrpc.Fuzz.Capture;

/// <summary>
/// Turns fuzz bytes into TCP segments for the reassembly target, so that AFL mutates sequence
/// numbers, flags and payloads directly instead of having to get through pcap, Ethernet and IP
/// first. Each record: flags (SYN, ACK, FIN, RST, direction, second connection), a signed 16-bit
/// move of this direction's sequence number, a signed 16-bit move of the acknowledgement, a
/// payload length and the payload. Sequence numbers start just below 2^32 on one side, so
/// wrap-around is exercised from the first segments.
/// </summary>
public static class SegmentScript
{
    public const int ServerPort = 9000;

    public sealed record Step(TcpSegment Segment, int Connection, int Direction);

    public static List<Step> Parse(ReadOnlySpan<byte> input)
    {
        var steps = new List<Step>();
        uint[] next = [0xFFFF_F000u, 1000u, 0x7FFF_FF00u, 0u];
        var time = DateTime.UnixEpoch.AddYears(50);
        int pos = 0;
        while (input.Length - pos >= 6)
        {
            byte flags = input[pos];
            short seqMove = BinaryPrimitives.ReadInt16LittleEndian(input.Slice(pos + 1, 2));
            short ackMove = BinaryPrimitives.ReadInt16LittleEndian(input.Slice(pos + 3, 2));
            int length = Math.Min(input[pos + 5], input.Length - pos - 6);
            var payload = input.Slice(pos + 6, length).ToArray();
            pos += 6 + length;

            int direction = (flags >> 4) & 1;
            int connection = (flags >> 5) & 1;
            int me = connection * 2 + direction, peer = connection * 2 + (1 - direction);
            uint seq = next[me] + (uint)seqMove;
            uint ack = next[peer] + (uint)ackMove;
            next[me] = seq + (uint)length;
            time = time.AddMilliseconds(1);

            var client = new Endpoint(IPAddress.Loopback, (ushort)(40000 + connection));
            var server = new Endpoint(IPAddress.Loopback, ServerPort);
            var segment = new TcpSegment(
                time,
                direction == 0 ? client : server,
                direction == 0 ? server : client,
                seq,
                ack,
                Syn: (flags & 1) != 0,
                Ack: (flags & 2) != 0,
                Fin: (flags & 4) != 0,
                Rst: (flags & 8) != 0,
                payload);
            steps.Add(new Step(segment, connection, direction));
        }

        return steps;
    }

    /// <summary>The inverse, for seeds: one record per segment (moves relative to the running sequence numbers).</summary>
    public static byte[] Record(byte flags, short seqMove, short ackMove, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[6 + payload.Length];
        bytes[0] = flags;
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(1), seqMove);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(3), ackMove);
        bytes[5] = (byte)payload.Length;
        payload.CopyTo(bytes.AsSpan(6));
        return bytes;
    }
}
