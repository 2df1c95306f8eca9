namespace FrameDump.Tests;

/// <summary>A stream consumer that counts what a reassembled stream delivered and the gaps it reported.</summary>
internal sealed class RecordingConsumer : Tcp.IStreamConsumer
{
    public long Delivered { get; private set; }

    public List<long> Gaps { get; } = new();

    public void OnData(ReadOnlySpan<byte> data, DateTime time) => Delivered += data.Length;

    public void OnGap(long missing, DateTime time) => Gaps.Add(missing);

    public void OnEnd(Tcp.StreamEndReason reason, DateTime time)
    {
    }
}
