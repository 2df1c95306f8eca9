using System.Buffers.Binary;
using Zrpc.Frames;
using Zrpc.Rpc;

namespace Zrpc.Bench.Capture;

/// <summary>What a synthesized capture holds, so that a decoder's summary can be checked against it.</summary>
public sealed record SynthesizedCapture(string Path, long FileBytes, long Packets, int Connections, long Calls);

/// <summary>
/// Writes a pcap file (Ethernet, IPv4, TCP) of canonical protocol traffic, as big as asked, fast
/// and without holding more than one segment in memory: the input of frame-dump's throughput
/// figure (docs/performance.md). The mix is what a capture of real use holds: small JSON calls
/// (Echo, Fail) between bulk Octets bodies (Source responses, Sink requests) of 64 KiB to 12 MiB,
/// on several interleaved connections, with the handshakes, pure ACKs and FINs of real TCP.
/// </summary>
public sealed class CaptureSynthesizer
{
    public const int ServerPort = 9000;

    // What tcpdump shows on Linux loopback (MTU 65536) less our 20-byte TCP header without options.
    private const int SegmentPayload = 65_480;
    private const int Connections = 8;

    // One bulk call (Source and Sink in turn) among this many calls: by bytes the capture is
    // mostly Octets, by packets mostly small calls, so both the per-byte and the per-packet cost
    // of a decoder count.
    private const int BulkEvery = 400;

    private static readonly byte[] EchoBody = """{"name":"bench","n":42,"ok":true,"tags":["a","b","c"]}"""u8.ToArray();
    private static readonly byte[] FailBody = """{"Message":"deliberate failure"}"""u8.ToArray();
    private static readonly byte[] SinkAnswer = """{"Length":1048576,"SHA256":"30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58"}"""u8.ToArray();
    private static readonly int[] BulkSizes = [64 << 10, 1 << 20, 4 << 20, (4 << 20) + 1, 12 << 20];

    public static SynthesizedCapture Write(string path, long targetBytes)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20);
        var pcap = new PcapWriter(file);
        var conns = Enumerable.Range(0, Connections).Select(i => new Conversation(pcap, (ushort)(40_000 + i))).ToArray();
        foreach (var c in conns) c.Handshake();

        long calls = 0;
        int round = 0;
        while (file.Position < targetBytes)
        {
            var c = conns[round % Connections];
            int bulk = round / BulkEvery;
            if (round % BulkEvery == 0 && bulk % 2 == 0)
            {
                c.CallWithOctetsResponse(Request("Source", DataType.MarshaledJson, DataType.Octets), """{"Length":1}"""u8.ToArray(), BulkSizes[bulk / 2 % BulkSizes.Length]);
            }
            else if (round % BulkEvery == 0)
            {
                c.CallWithOctetsRequest(Request("Sink", DataType.Octets, DataType.MarshaledJson), BulkSizes[(bulk / 2 + 2) % BulkSizes.Length], Ok(DataType.MarshaledJson), SinkAnswer);
            }
            else if (round % 3 == 2)
            {
                c.Call(Request("Fail", DataType.MarshaledJson, DataType.MarshaledJson), FailBody, RpcHeader.Failure(Status.Error, "deliberate failure").ToCanonicalBytes(), null);
            }
            else
            {
                c.Call(Request("Echo", DataType.MarshaledJson, DataType.MarshaledJson), EchoBody, Ok(DataType.MarshaledJson), EchoBody);
            }

            calls++;
            round++;
        }

        foreach (var c in conns) c.Close();
        file.Flush();
        return new SynthesizedCapture(path, file.Length, pcap.Packets, Connections, calls);
    }

    private static byte[] Request(string endpoint, DataType body, DataType accept) => RpcHeader.Request(endpoint, body, accept).ToCanonicalBytes();

    private static byte[] Ok(DataType body) => RpcHeader.Ok(body).ToCanonicalBytes();

    /// <summary>One TCP connection: both directions' sequence numbers and the segmenting of their byte streams.</summary>
    private sealed class Conversation(PcapWriter pcap, ushort clientPort)
    {
        private readonly Direction _toServer = new(pcap, clientPort, ServerPort, 1_000);
        private readonly Direction _toClient = new(pcap, ServerPort, clientPort, 50_000_000);

        public void Handshake()
        {
            _toServer.Control(TcpFlags.Syn, 0);
            _toClient.Control(TcpFlags.Syn | TcpFlags.Ack, _toServer.NextSeq + 1);
            _toServer.Advance(1);
            _toClient.Advance(1);
            _toServer.Control(TcpFlags.Ack, _toClient.NextSeq);
        }

        public void Call(byte[] requestHeader, byte[] requestBody, byte[] responseHeader, byte[]? responseBody)
        {
            _toServer.Message(FrameType.Header, requestHeader);
            _toServer.Message(FrameType.Data, requestBody);
            _toServer.Push(_toClient);
            _toClient.Message(FrameType.Header, responseHeader);
            if (responseBody is not null) _toClient.Message(FrameType.Data, responseBody);
            _toClient.Push(_toServer);
        }

        public void CallWithOctetsResponse(byte[] requestHeader, byte[] requestBody, int length)
        {
            _toServer.Message(FrameType.Header, requestHeader);
            _toServer.Message(FrameType.Data, requestBody);
            _toServer.Push(_toClient);
            _toClient.Message(FrameType.Header, Ok(DataType.Octets));
            _toClient.OctetsMessage(length, _toServer);
            _toClient.Push(_toServer);
        }

        public void CallWithOctetsRequest(byte[] requestHeader, int length, byte[] responseHeader, byte[] responseBody)
        {
            _toServer.Message(FrameType.Header, requestHeader);
            _toServer.OctetsMessage(length, _toClient);
            _toServer.Push(_toClient);
            _toClient.Message(FrameType.Header, responseHeader);
            _toClient.Message(FrameType.Data, responseBody);
            _toClient.Push(_toServer);
        }

        public void Close()
        {
            _toServer.Control(TcpFlags.Fin | TcpFlags.Ack, _toClient.NextSeq);
            _toServer.Advance(1);
            _toClient.Control(TcpFlags.Fin | TcpFlags.Ack, _toServer.NextSeq);
            _toClient.Advance(1);
            _toServer.Control(TcpFlags.Ack, _toClient.NextSeq);
        }
    }

    /// <summary>One direction's byte stream, cut into segments of at most <see cref="SegmentPayload"/> bytes.</summary>
    private sealed class Direction(PcapWriter pcap, ushort sourcePort, ushort destinationPort, uint initialSeq)
    {
        private static readonly byte[] Pattern = Enumerable.Range(0, 64 * 1024 + 251).Select(i => (byte)(i % 251)).ToArray();
        private readonly byte[] _segment = new byte[SegmentPayload];
        private int _filled;
        private int _segmentsSinceAck;

        public uint NextSeq { get; private set; } = initialSeq;

        public void Advance(uint by) => NextSeq += by;

        public void Control(TcpFlags flags, uint ack) => pcap.Packet(sourcePort, destinationPort, NextSeq, ack, flags, []);

        public void Message(FrameType type, ReadOnlySpan<byte> content)
        {
            // Canonical framing (MSG-4): full 4 MiB frames, the end flag on the last one.
            do
            {
                int n = Math.Min(content.Length, FrameLimits.MaxPayload);
                Frame(type, n == content.Length, content[..n]);
                content = content[n..];
            }
            while (!content.IsEmpty);
        }

        public void OctetsMessage(int length, Direction peer)
        {
            int left = length;
            int phase = 0;
            Span<byte> header = stackalloc byte[FrameLimits.HeaderSize];
            do
            {
                int n = Math.Min(left, FrameLimits.MaxPayload);
                FrameHeader.Create(FrameType.Data, n == left, n).WriteTo(header);
                Append(header, peer);
                for (int done = 0; done < n;)
                {
                    int run = Math.Min(n - done, 64 * 1024);
                    Append(Pattern.AsSpan(phase, run), peer);
                    phase = (phase + run) % 251;
                    done += run;
                }

                left -= n;
            }
            while (left > 0);
        }

        /// <summary>Sends what is buffered (PSH); the peer acknowledges it.</summary>
        public void Push(Direction peer)
        {
            if (_filled > 0)
            {
                Flush(peer, TcpFlags.Psh | TcpFlags.Ack);
            }
        }

        private void Frame(FrameType type, bool end, ReadOnlySpan<byte> payload)
        {
            Span<byte> header = stackalloc byte[FrameLimits.HeaderSize];
            FrameHeader.Create(type, end, payload.Length).WriteTo(header);
            Append(header, null);
            Append(payload, null);
        }

        private void Append(ReadOnlySpan<byte> bytes, Direction? peer)
        {
            while (!bytes.IsEmpty)
            {
                int n = Math.Min(bytes.Length, _segment.Length - _filled);
                bytes[..n].CopyTo(_segment.AsSpan(_filled));
                _filled += n;
                bytes = bytes[n..];
                if (_filled == _segment.Length)
                {
                    Flush(peer, TcpFlags.Ack);
                }
            }
        }

        private void Flush(Direction? peer, TcpFlags flags)
        {
            uint ack = peer?.NextSeq ?? 0;
            pcap.Packet(sourcePort, destinationPort, NextSeq, ack, flags, _segment.AsSpan(0, _filled));
            NextSeq += (uint)_filled;
            _filled = 0;
            // Delayed ACKs: the receiver acknowledges every second full segment, as Linux does.
            if (peer is not null && (++_segmentsSinceAck % 2 == 0 || flags.HasFlag(TcpFlags.Psh)))
            {
                peer.Control(TcpFlags.Ack, NextSeq);
            }
        }
    }

    [Flags]
    private enum TcpFlags : byte
    {
        Fin = 0x01,
        Syn = 0x02,
        Psh = 0x08,
        Ack = 0x10,
    }

    /// <summary>The pcap container: global header, then one record per packet, 2 us apart.</summary>
    private sealed class PcapWriter
    {
        private const int EthernetIpTcp = 14 + 20 + 20;
        private readonly Stream _out;
        private readonly byte[] _headers = new byte[16 + EthernetIpTcp];
        private long _micros = 1_795_000_000L * 1_000_000;

        public PcapWriter(Stream output)
        {
            _out = output;
            Span<byte> global = stackalloc byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(global, 0xa1b2c3d4);
            BinaryPrimitives.WriteUInt16LittleEndian(global[4..], 2);
            BinaryPrimitives.WriteUInt16LittleEndian(global[6..], 4);
            BinaryPrimitives.WriteUInt32LittleEndian(global[16..], 262_144); // snaplen
            BinaryPrimitives.WriteUInt32LittleEndian(global[20..], 1); // LINKTYPE_ETHERNET
            _out.Write(global);
        }

        public long Packets { get; private set; }

        public void Packet(ushort sourcePort, ushort destinationPort, uint seq, uint ack, TcpFlags flags, ReadOnlySpan<byte> payload)
        {
            _micros += 2;
            Packets++;
            var h = _headers.AsSpan();
            h.Clear();
            int length = EthernetIpTcp + payload.Length;
            BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)(_micros / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(_micros % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)length);
            BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)length);
            var eth = h[16..];
            eth[5] = 1; // destination 00:00:00:00:00:01, source 00:00:00:00:00:02
            eth[11] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(eth[12..], 0x0800);
            var ip = eth[14..];
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 20 + payload.Length));
            ip[6] = 0x40; // don't fragment
            ip[8] = 64;
            ip[9] = 6;
            ip[12] = 127; ip[15] = 1;
            ip[16] = 127; ip[19] = 1;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], IpChecksum(ip[..20]));
            var tcp = ip[20..];
            BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
            BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
            BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ack);
            tcp[12] = 5 << 4;
            tcp[13] = (byte)flags;
            BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65_535);
            _out.Write(h);
            _out.Write(payload);
        }

        private static ushort IpChecksum(ReadOnlySpan<byte> header)
        {
            uint sum = 0;
            for (int i = 0; i < header.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
            while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
            return (ushort)~sum;
        }
    }
}
