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

    /// <summary>The MarshaledJSON body of the call-rate benchmark's Echo, encoded (RPC-8) and decoded.</summary>
    [Benchmark]
    public byte[] EncodeEchoBody() => RpcJson.Serialize(EchoValue, typeof(System.Text.Json.JsonElement));

    [Benchmark]
    public object? DecodeEchoBody() => RpcJson.Deserialize(EchoBytes, typeof(System.Text.Json.JsonElement));

    private static readonly System.Text.Json.JsonElement EchoValue =
        System.Text.Json.JsonDocument.Parse("""{"name":"bench","n":42,"ok":true,"tags":["a","b","c"]}""").RootElement.Clone();

    private static readonly byte[] EchoBytes = RpcJson.Serialize(EchoValue, typeof(System.Text.Json.JsonElement));
}
