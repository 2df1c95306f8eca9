using System.Net;
using PacketDotNet;

namespace FrameDump.Capture;

/// <summary>
/// Turns one captured link-layer frame into a TCP segment. PacketDotNet parses the link and IP
/// layers; the TCP payload is cut to the IP datagram's own length so that Ethernet padding of
/// short frames never reaches the byte stream.
/// </summary>
public static class LinkDecoder
{
    /// <summary>Returns null for anything that is not TCP over IPv4/IPv6.</summary>
    public static TcpSegment? Decode(LinkLayers linkType, byte[] data, DateTime time)
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

        var tcp = packet.Extract<TcpPacket>();
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
