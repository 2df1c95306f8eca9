using BenchmarkDotNet.Attributes;
using Zrpc.Frames;
using Zrpc.Messages;

namespace Zrpc.Bench.Micro;

/// <summary>Hot paths of the frame and message layers, in memory (no transport).</summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private readonly byte[] _header = [0x02, 0x01, 0x00, 0x10, 0x00, 0x00];
    private readonly byte[] _destination = new byte[FrameLimits.HeaderSize];
    private byte[] _message = [];
    private readonly byte[] _readBuffer = new byte[64 * 1024];

    /// <summary>Size of the Data message read by <see cref="ReadMessageAcrossFrames"/>.</summary>
    [Params(1024, 9 * 1024 * 1024)]
    public int MessageBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var ms = new MemoryStream();
        var writer = new MessageWriter(new FrameWriter(ms));
        writer.WriteDataMessageAsync(new byte[MessageBytes], CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _message = ms.ToArray();
    }

    [Benchmark]
    public FrameHeader ParseHeader()
    {
        var h = FrameHeader.Parse(_header);
        h.Validate();
        return h;
    }

    [Benchmark]
    public byte WriteHeader()
    {
        FrameHeader.Create(FrameType.Data, end: true, 4096).WriteTo(_destination);
        return _destination[1];
    }

    /// <summary>A whole Data message (canonical frames) read through DataMessageReadStream.</summary>
    [Benchmark]
    public async Task<long> ReadMessageAcrossFrames()
    {
        var reader = new MessageReader(new FrameReader(new MemoryStream(_message, writable: false)));
        var body = reader.OpenDataMessageStream();
        long total = 0;
        int n;
        while ((n = await body.ReadAsync(_readBuffer)) > 0)
        {
            total += n;
        }

        return total;
    }
}
