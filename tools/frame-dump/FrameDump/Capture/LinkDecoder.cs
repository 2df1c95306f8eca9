using PacketDotNet;

namespace FrameDump.Capture;

/// <summary>
/// Turns one captured link-layer frame into a TCP segment. PacketDotNet parses the link and IP
/// layers; the TCP payload is cut to the IP datagram's own length so that Ethernet padding of
/// short frames never reaches the byte stream.
/// </summary>
public static class LinkDecoder
{
    // Enough for TCP in IP in IP (tunnels) and then some; a real capture never nests deeper.
    private const int MaxNesting = 8;

    /// <summary>
    /// Returns null for anything that is not TCP over IPv4/IPv6, including packets PacketDotNet
    /// cannot parse (an unknown link type or IP version, a malformed header): one bad packet in a
    /// capture must cost that packet, never the run.
    /// </summary>
    public static TcpSegment? Decode(LinkLayers linkType, byte[] data, DateTime time)
    {
        try
        {
            return DecodeUnchecked(linkType, data, time);
        }
        catch (Exception ex) when (ex is NotImplementedException or NotSupportedException or IndexOutOfRangeException
            or ArgumentException or InvalidOperationException or NullReferenceException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>The capture time of a packet; SharpPcap's own conversion throws for stamps past 2038 that pcap allows.</summary>
    public static DateTime TimeOf(SharpPcap.PosixTimeval timeval)
    {
        // Value is the stamp in seconds as a decimal; Seconds and Date convert it and throw when
        // it does not fit (a stamp past 2038, or one whose fraction field is out of range).
        decimal seconds = Math.Clamp(timeval.Value, 0m, 253_402_300_799m); // up to 9999-12-31 23:59:59
        return DateTime.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
    }

    /// <summary>
    /// Walks down to the TCP layer at most <see cref="MaxNesting"/> levels deep, and not through an
    /// IPv4 header shorter than 20 bytes: with IHL 0 and protocol 4 (IP in IP) PacketDotNet 1.4.8
    /// parses the same bytes as the inner packet for ever (found by fuzzing, fixtures/fuzz-regressions).
    /// </summary>
    private static TcpPacket? FindTcp(Packet packet)
    {
        Packet? current = packet;
        for (int depth = 0; current is not null && depth < MaxNesting; depth++)
        {
            if (current is TcpPacket tcp)
            {
                return tcp;
            }

            // HeaderLength (the IHL field, in 32-bit words) reads the header bytes alone; BytesSegment
            // would make PacketDotNet recompute the whole chain, which is where it recurses.
            if (current is IPv4Packet v4 && v4.HeaderLength < 5)
            {
                return null;
            }

            current = current.PayloadPacket;
        }

        return null;
    }

    private static TcpSegment? DecodeUnchecked(LinkLayers linkType, byte[] data, DateTime time)
    {
        Packet packet;
        if (linkType is LinkLayers.Null or LinkLayers.Loop)
        {
            // BSD loopback: a 4-byte address family (host order for Null, network order for Loop)
            // precedes the IP header; the IP version nibble tells v4 from v6 just as well.
            if (data.Length <= 4)
            {
                return null;
            }

            packet = Packet.ParsePacket(LinkLayers.Raw, data.AsSpan(4).ToArray());
        }
        else
        {
            packet = Packet.ParsePacket(linkType, data);
        }

        var tcp = FindTcp(packet);
        if (tcp?.ParentPacket is not IPPacket ip)
        {
            return null;
        }

        var payload = tcp.PayloadDataSegment;
        int length = 0;
        byte[] bytes = Array.Empty<byte>();
        if (payload is not null && payload.Length > 0)
        {
            long ipEnd = ip is IPv4Packet v4
                ? ip.BytesSegment.Offset + (long)v4.TotalLength
                : ip.BytesSegment.Offset + 40L + ip.PayloadLength;
            length = (int)Math.Clamp(ipEnd - payload.Offset, 0, payload.Length);
            bytes = payload.Bytes;
        }

        var memory = length == 0 ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(bytes, payload!.Offset, length);
        return new TcpSegment(
            time,
            new Endpoint(ip.SourceAddress, tcp.SourcePort),
            new Endpoint(ip.DestinationAddress, tcp.DestinationPort),
            tcp.SequenceNumber,
            tcp.AcknowledgmentNumber,
            tcp.Synchronize,
            tcp.Acknowledgment,
            tcp.Finished,
            tcp.Reset,
            memory);
    }
}
