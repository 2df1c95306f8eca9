using BenchmarkDotNet.Attributes;
using Zrpc.Rpc;

namespace Zrpc.Bench.Micro;

/// <summary>The request/response header JSON (RPC-1) and a small MarshaledJSON body.</summary>
[MemoryDiagnoser]
public class HeaderJsonBenchmarks
{
    private readonly RpcHeader _request = RpcHeader.Request("Echo", DataType.MarshaledJson, DataType.MarshaledJson);
    private readonly byte[] _buffer = new byte[4096];
    private byte[] _encoded = [];

    [GlobalSetup]
    public void Setup() => _encoded = _request.ToCanonicalBytes();

    [Benchmark]
    public int EncodeHeader() => _request.WriteCanonical(_buffer);

    [Benchmark]
    public byte[] EncodeHeaderToArray() => _request.ToCanonicalBytes();

    [Benchmark]
    public RpcHeader DecodeHeader() => RpcHeader.Parse(_encoded);
}
