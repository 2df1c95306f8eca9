using System.Net;
using System.Net.Sockets;

namespace FrameDump.Capture;

/// <summary>One side of a TCP connection.</summary>
public readonly record struct Endpoint(IPAddress Address, ushort Port)
{
    public override string ToString() => Address.AddressFamily == AddressFamily.InterNetworkV6
        ? $"[{Address}]:{Port}"
        : $"{Address}:{Port}";
}

/// <summary>
/// The part of a captured TCP/IP packet that reassembly needs. The payload holds only the bytes
/// that were captured: a snap length cut shows up later as a sequence gap.
/// </summary>
public sealed record TcpSegment(
    DateTime Time,
    Endpoint Source,
    Endpoint Destination,
    uint Sequence,
    uint AckNumber,
    bool Syn,
    bool Ack,
    bool Fin,
    bool Rst,
    ReadOnlyMemory<byte> Payload);
