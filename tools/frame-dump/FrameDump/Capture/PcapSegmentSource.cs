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

    /// <summary>Why reading stopped before the end of the file (libpcap's message), or null.</summary>
    public string? ReadError { get; private set; }

    /// <summary>The name libpcap opens for "-" (stdin).</summary>
    public const string StdinDevice = "/dev/stdin";

    public IEnumerable<TcpSegment> Read()
    {
        string? spool = null;
        string file = path;
        if (path == "-")
        {
            // libpcap reads a pipe sequentially through /dev/stdin (pcap and pcapng alike); where
            // that name does not exist, stdin is copied to a temporary file in 1 MiB chunks.
            if (File.Exists(StdinDevice))
            {
                file = StdinDevice;
            }
            else
            {
                spool = file = Path.GetTempFileName();
                using var input = Console.OpenStandardInput();
                using var copy = File.Create(spool);
                input.CopyTo(copy, 1024 * 1024);
            }
        }

        try
        {
            foreach (var segment in ReadFile(file))
            {
                yield return segment;
            }
        }
        finally
        {
            if (spool is not null)
            {
                File.Delete(spool);
            }
        }
    }

    private IEnumerable<TcpSegment> ReadFile(string file)
    {
        using var device = new CaptureFileReaderDevice(file);
        device.Open();
        FileSize = device.FileSize;
        GetPacketStatus status;
        while ((status = device.GetNextPacket(out PacketCapture capture)) == GetPacketStatus.PacketRead)
        {
            Packets++;
            var raw = capture.GetPacket();
            BytesRead += raw.Data.Length + 16;
            TcpSegment? segment;
            try
            {
                segment = LinkDecoder.Decode(raw.LinkLayerType, raw.Data, LinkDecoder.TimeOf(raw.Timeval));
            }
            catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidOperationException or NullReferenceException or NotImplementedException)
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

        if (status == GetPacketStatus.Error)
        {
            // libpcap says e.g. "truncated dump file; tried to read 1234 captured bytes, only got 567".
            ReadError = string.IsNullOrWhiteSpace(device.LastError) ? "the capture file could not be read to its end" : device.LastError.Trim();
        }
    }
}
