using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.TestService;

namespace Zrpc.Tests.Rpc;

/// <summary>
/// MarshaledJSON bodies: the Conformance Test Service's types come from generated metadata, which a
/// Native AOT build of the tools (no reflection-based serialization) depends on, and read and write
/// the same text as reflection would; any other type still goes through reflection.
/// </summary>
public class RpcJsonTests
{
    [TestCase(typeof(JsonElement))]
    [TestCase(typeof(ConformanceService.FailRequest))]
    [TestCase(typeof(ConformanceService.SourceRequest))]
    [TestCase(typeof(ConformanceService.SinkResponse))]
    public void The_conformance_service_bodies_come_from_generated_metadata(Type type)
    {
        var info = RpcJson.Options.GetTypeInfo(type);
        Assert.That(info.OriginatingResolver, Is.InstanceOf<JsonSerializerContext>(),
            $"{type.Name} needs reflection, which a Native AOT build does not have");
    }

    [Test]
    public void Generated_metadata_keeps_the_options_field_names_in_any_case()
    {
        var source = (ConformanceService.SourceRequest?)RpcJson.Deserialize("{\"length\":5}"u8, typeof(ConformanceService.SourceRequest));
        Assert.That(source?.Length, Is.EqualTo(5UL));
        var fail = (ConformanceService.FailRequest?)RpcJson.Deserialize("{\"MESSAGE\":\"é<\"}"u8, typeof(ConformanceService.FailRequest));
        Assert.That(fail?.Message, Is.EqualTo("é<"));
        Assert.That(((ConformanceService.SourceRequest?)RpcJson.Deserialize("{\"Length\":null}"u8, typeof(ConformanceService.SourceRequest)))?.Length, Is.Null);
    }

    [Test]
    public void Generated_metadata_writes_compact_json_with_the_options_escaping()
    {
        var sink = new ConformanceService.SinkResponse { Length = 3, SHA256 = "ab" };
        Assert.That(Encoding.UTF8.GetString(RpcJson.Serialize(sink, typeof(ConformanceService.SinkResponse))),
            Is.EqualTo("{\"Length\":3,\"SHA256\":\"ab\"}\n"));

        using var document = JsonDocument.Parse("{\"text\":\"é<\", \"n\": 1.50}");
        Assert.That(Encoding.UTF8.GetString(RpcJson.Serialize(document.RootElement, typeof(JsonElement))),
            Is.EqualTo("{\"text\":\"é\\u003C\",\"n\":1.50}\n"));
    }

    [Test]
    public void Another_type_still_goes_through_reflection()
    {
        var info = RpcJson.Options.GetTypeInfo(typeof(Point));
        Assert.That(info.OriginatingResolver, Is.Not.InstanceOf<JsonSerializerContext>());
        var point = (Point?)RpcJson.Deserialize("{\"x\":1,\"Y\":2}"u8, typeof(Point));
        Assert.That(point, Is.EqualTo(new Point { X = 1, Y = 2 }));
        Assert.That(Encoding.UTF8.GetString(RpcJson.Serialize(point, typeof(Point))), Is.EqualTo("{\"X\":1,\"Y\":2}\n"));
    }

    public sealed record Point
    {
        public int X { get; set; }

        public int Y { get; set; }
    }
}
