using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;

namespace FrameDump.Tests;

public enum Link
{
    Ethernet = 1,
    Null = 0,
    Sll = 113,
    Sll2 = 276,
}

/// <summary>One captured TCP segment of a synthetic conversation; tests reorder, copy and drop these.</summary>
public sealed record Segment(DateTime Time, bool FromClient, uint Seq, uint Ack, bool Syn, bool AckFlag, bool Fin, bool Rst, byte[] Payload);

/// <summary>
/// Builds a TCP conversation between a client and a server as a list of segments with
/// consistent sequence numbers, and writes it as a pcap or pcapng file of the chosen link type
/// with packets built by PacketDotNet.
/// </summary>
public sealed class Conversation
{
    private readonly IPAddress client;
    private readonly IPAddress server;
    private uint clientSeq = 1000;
    private uint serverSeq = 90000;

    public Conversation(bool ipv6 = false, ushort clientPort = 41000, ushort serverPort = 9000, DateTime? start = null)
    {
        client = ipv6 ? IPAddress.Parse("fd00::1") : IPAddress.Parse("10.0.0.1");
        server = ipv6 ? IPAddress.Parse("fd00::2") : IPAddress.Parse("10.0.0.2");
        ClientPort = clientPort;
        ServerPort = serverPort;
        Time = start ?? new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    }

    public ushort ClientPort { get; }

    public ushort ServerPort { get; }

    public DateTime Time { get; set; }

    public List<Segment> Segments { get; } = new();

    public Conversation Handshake()
    {
        Add(true, clientSeq, 0, syn: true, ackFlag: false);
        Add(false, serverSeq, clientSeq + 1, syn: true, ackFlag: true);
        clientSeq++;
        serverSeq++;
        Add(true, clientSeq, serverSeq, syn: false, ackFlag: true);
        return this;
    }

    public Conversation Wait(double milliseconds)
    {
        Time = Time.AddTicks((long)(milliseconds * TimeSpan.TicksPerMillisecond));
        return this;
    }

    /// <summary>Sends bytes from one side in segments of at most <paramref name="mss"/> bytes.</summary>
    public Conversation Send(bool fromClient, byte[] data, int mss = 1400)
    {
        for (int i = 0; i < data.Length; i += mss)
        {
            var chunk = data.AsSpan(i, Math.Min(mss, data.Length - i)).ToArray();
            ref uint seq = ref fromClient ? ref clientSeq : ref serverSeq;
            Segments.Add(new Segment(Time, fromClient, seq, fromClient ? serverSeq : clientSeq, false, true, false, false, chunk));
            seq += (uint)chunk.Length;
        }

        return this;
    }

    public Conversation Client(byte[] data, int mss = 1400) => Send(true, data, mss);

    public Conversation Server(byte[] data, int mss = 1400) => Send(false, data, mss);

    public Conversation Fin(bool fromClient)
    {
        ref uint seq = ref fromClient ? ref clientSeq : ref serverSeq;
        Segments.Add(new Segment(Time, fromClient, seq, fromClient ? serverSeq : clientSeq, false, true, true, false, []));
        seq++;
        return this;
    }

    public Conversation Close() => Fin(true).Fin(false);

    /// <summary>An abortive close (TCP RST) from one side.</summary>
    public Conversation Reset(bool fromClient)
    {
        uint seq = fromClient ? clientSeq : serverSeq;
        Segments.Add(new Segment(Time, fromClient, seq, fromClient ? serverSeq : clientSeq, false, true, false, true, []));
        return this;
    }

    private void Add(bool fromClient, uint seq, uint ack, bool syn, bool ackFlag) =>
        Segments.Add(new Segment(Time, fromClient, seq, ack, syn, ackFlag, false, false, []));

    public byte[] Encode(Segment s, Link link)
    {
        var tcp = new TcpPacket(s.FromClient ? ClientPort : ServerPort, s.FromClient ? ServerPort : ClientPort)
        {
            SequenceNumber = s.Seq,
            AcknowledgmentNumber = s.Ack,
            Synchronize = s.Syn,
            Acknowledgment = s.AckFlag,
            Finished = s.Fin,
            Reset = s.Rst,
            WindowSize = 65535,
            PayloadData = s.Payload,
        };
        var src = s.FromClient ? client : server;
        var dst = s.FromClient ? server : client;
        IPPacket ip = src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? new IPv6Packet(src, dst) : new IPv4Packet(src, dst);
        ip.PayloadPacket = tcp;
        ip.UpdateCalculatedValues();
        tcp.UpdateCalculatedValues();
        byte[] ipBytes = ip.Bytes;
        ushort etherType = ip is IPv6Packet ? (ushort)0x86DD : (ushort)0x0800;
        switch (link)
        {
            case Link.Ethernet:
                var eth = new EthernetPacket(PhysicalAddress.Parse("02-00-00-00-00-01"), PhysicalAddress.Parse("02-00-00-00-00-02"),
                    ip is IPv6Packet ? EthernetType.IPv6 : EthernetType.IPv4)
                { PayloadPacket = ip };
                return eth.Bytes;
            case Link.Null:
                {
                    var bytes = new byte[4 + ipBytes.Length];
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes, ip is IPv6Packet ? 30u : 2u);
                    ipBytes.CopyTo(bytes, 4);
                    return bytes;
                }

            case Link.Sll:
                {
                    var bytes = new byte[16 + ipBytes.Length];
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(0), s.FromClient ? (ushort)4 : (ushort)0);
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), 772);
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), 6);
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14), etherType);
                    ipBytes.CopyTo(bytes, 16);
                    return bytes;
                }

            default:
                {
                    var bytes = new byte[20 + ipBytes.Length];
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(0), etherType);
                    BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), 1);
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(8), 772);
                    bytes[10] = s.FromClient ? (byte)4 : (byte)0;
                    bytes[11] = 6;
                    ipBytes.CopyTo(bytes, 20);
                    return bytes;
                }
        }
    }

    /// <summary>Writes the classic pcap format (microsecond timestamps, little-endian).</summary>
    public string WritePcap(string path, Link link = Link.Ethernet, IEnumerable<Segment>? segments = null)
    {
        using var file = new BinaryWriter(File.Create(path));
        WritePcapHeader(file, link);
        foreach (var s in segments ?? Segments)
        {
            WritePcapRecord(file, s.Time, Encode(s, link));
        }

        return path;
    }

    /// <summary>Writes several conversations into one pcap file, their segments merged in time order.</summary>
    public static string WritePcap(string path, params Conversation[] conversations)
    {
        var merged = conversations
            .SelectMany(c => c.Segments.Select((s, i) => (Conversation: c, Segment: s, Index: i)))
            .OrderBy(x => x.Segment.Time).ThenBy(x => Array.IndexOf(conversations, x.Conversation)).ThenBy(x => x.Index);
        using var file = new BinaryWriter(File.Create(path));
        WritePcapHeader(file, Link.Ethernet);
        foreach (var (conversation, segment, _) in merged)
        {
            WritePcapRecord(file, segment.Time, conversation.Encode(segment, Link.Ethernet));
        }

        return path;
    }

    public static void WritePcapHeader(BinaryWriter file, Link link)
    {
        file.Write(0xa1b2c3d4u);
        file.Write((ushort)2);
        file.Write((ushort)4);
        file.Write(0);
        file.Write(0u);
        file.Write(262144u);
        file.Write((uint)link);
    }

    public static void WritePcapRecord(BinaryWriter file, DateTime time, ReadOnlySpan<byte> data)
    {
        long micros = (time - DateTime.UnixEpoch).Ticks / 10;
        file.Write((uint)(micros / 1_000_000));
        file.Write((uint)(micros % 1_000_000));
        file.Write((uint)data.Length);
        file.Write((uint)data.Length);
        file.Write(data);
    }

    /// <summary>Writes a minimal pcapng file: section header, one interface, enhanced packet blocks.</summary>
    public string WritePcapNg(string path, Link link = Link.Ethernet)
    {
        using var file = new BinaryWriter(File.Create(path));
        file.Write(0x0A0D0D0Au);
        file.Write(28u);
        file.Write(0x1A2B3C4Du);
        file.Write((ushort)1);
        file.Write((ushort)0);
        file.Write(-1L);
        file.Write(28u);

        file.Write(1u);
        file.Write(20u);
        file.Write((ushort)link);
        file.Write((ushort)0);
        file.Write(262144u);
        file.Write(20u);

        foreach (var s in Segments)
        {
            var data = Encode(s, link);
            int padded = (data.Length + 3) & ~3;
            uint total = (uint)(32 + padded);
            ulong micros = (ulong)((s.Time - DateTime.UnixEpoch).Ticks / 10);
            file.Write(6u);
            file.Write(total);
            file.Write(0u);
            file.Write((uint)(micros >> 32));
            file.Write((uint)micros);
            file.Write((uint)data.Length);
            file.Write((uint)data.Length);
            file.Write(data);
            file.Write(new byte[padded - data.Length]);
            file.Write(total);
        }

        return path;
    }
}
