using SharpPcap;
using SharpPcap.LibPcap;

namespace FrameDump.Capture;

/// <summary>
/// Streams the TCP segments of a pcap or pcapng file (libpcap reads both), one packet at a time,
/// so that a multi-gigabyte capture is never held in memory.
/// </summary>
public sealed class PcapSegmentSource
{
    private readonly string path;

    public PcapSegmentSource(string path)
    {
        this.path = path;
    }

    /// <summary>Packets that were not TCP over IP, or that PacketDotNet could not parse.</summary>
    public long SkippedPackets { get; private set; }

    public long Packets { get; private set; }

    /// <summary>Bytes of the file consumed so far (approximate: record headers are estimated).</summary>
    public long BytesRead { get; private set; }

    public long FileSize { get; private set; }

    public IEnumerable<TcpSegment> Read()
    {
        using var device = new CaptureFileReaderDevice(path);
        device.Open();
        FileSize = device.FileSize;
        while (device.GetNextPacket(out PacketCapture capture) == GetPacketStatus.PacketRead)
        {
            Packets++;
            var raw = capture.GetPacket();
            BytesRead += raw.Data.Length + 16;
            TcpSegment? segment;
            try
            {
                segment = LinkDecoder.Decode(raw.LinkLayerType, raw.Data, raw.Timeval.Date);
            }
            catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidOperationException or NullReferenceException)
            {
                // A truncated or malformed packet: skip it; reassembly reports the missing bytes as a gap.
                segment = null;
            }

            if (segment is null)
            {
                SkippedPackets++;
                continue;
            }

            yield return segment;
        }
    }
}
