using System.Diagnostics;
using SharpPcap;
using SharpPcap.LibPcap;

namespace FrameDump.Capture;

/// <summary>Capture permission or the interface is missing: the message says which.</summary>
public sealed class LiveCaptureException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Streams the TCP segments captured live on an interface through libpcap (needs root or
/// CAP_NET_RAW), with an optional BPF filter; stops after <c>count</c> packets, after
/// <c>duration</c>, or when <see cref="Stop"/> is called (Ctrl+C).
/// </summary>
public sealed class LiveSegmentSource
{
    private readonly string interfaceName;
    private readonly string? filter;
    private readonly long? count;
    private readonly TimeSpan? duration;
    private volatile bool stopped;

    public LiveSegmentSource(string interfaceName, string? filter, long? count, TimeSpan? duration)
    {
        this.interfaceName = interfaceName;
        this.filter = filter;
        this.count = count;
        this.duration = duration;
    }

    public long Packets { get; private set; }

    public void Stop() => stopped = true;

    /// <summary>Opens the interface now, so that permission problems surface before any output.</summary>
    public ILiveDevice Open()
    {
        LibPcapLiveDevice? device;
        try
        {
            device = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == interfaceName);
        }
        catch (Exception ex) when (ex is PcapException or DllNotFoundException)
        {
            throw new LiveCaptureException($"cannot list capture interfaces: {ex.Message}", ex);
        }

        if (device is null)
        {
            throw new LiveCaptureException($"no capture interface named '{interfaceName}' (see `tcpdump -D`)");
        }

        try
        {
            // Whole packets (loopback carries up to 64 KiB); a short read timeout so that --duration and Ctrl+C are honoured.
            device.Open(new DeviceConfiguration { Mode = DeviceModes.None, Snaplen = 262144, ReadTimeout = 200 });
            if (!string.IsNullOrWhiteSpace(filter))
            {
                device.Filter = filter;
            }
        }
        catch (Exception ex) when (ex is PcapException or InvalidOperationException)
        {
            device.Close();
            throw new LiveCaptureException($"cannot capture on '{interfaceName}': {ex.Message} (live capture needs root or CAP_NET_RAW)", ex);
        }

        return device;
    }

    public IEnumerable<TcpSegment> Read(ILiveDevice device)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            while (!stopped && (count is null || Packets < count) && (duration is null || clock.Elapsed < duration))
            {
                var status = device.GetNextPacket(out PacketCapture capture);
                if (status == GetPacketStatus.ReadTimeout)
                {
                    continue;
                }

                if (status != GetPacketStatus.PacketRead)
                {
                    break;
                }

                Packets++;
                var raw = capture.GetPacket();
                TcpSegment? segment;
                try
                {
                    segment = LinkDecoder.Decode(raw.LinkLayerType, raw.Data, LinkDecoder.TimeOf(raw.Timeval));
                }
                catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidOperationException or NullReferenceException)
                {
                    segment = null;
                }

                if (segment is not null)
                {
                    yield return segment;
                }
            }
        }
        finally
        {
            device.Close();
        }
    }
}
