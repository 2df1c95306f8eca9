using System.Text;
using NUnit.Framework;
using Zrpc.Rpc;

namespace Zrpc.Tests.Rpc;

public class RpcHeaderTests
{
    private static string Canonical(RpcHeader h) => Encoding.UTF8.GetString(h.ToCanonicalBytes());

    private static RpcHeader Parse(string json) => RpcHeader.Parse(Encoding.UTF8.GetBytes(json));

    [Test, Category("HDR-2")]
    public void Request_IsCompactFiveFieldsInOrder_WithOneLineFeed()
    {
        Assert.That(Canonical(RpcHeader.Request("Echo", DataType.MarshaledJson, DataType.Octets)),
            Is.EqualTo("{\"Endpoint\":\"Echo\",\"DataType\":2,\"Accept\":3,\"Error\":0,\"ErrorMessage\":\"\"}\n"));
        Assert.That(Canonical(RpcHeader.Ok(DataType.Octets)),
            Is.EqualTo("{\"Endpoint\":\"\",\"DataType\":3,\"Accept\":0,\"Error\":1,\"ErrorMessage\":\"\"}\n"));
        Assert.That(Canonical(new RpcHeader("", 255, 255, ulong.MaxValue, "")),
            Is.EqualTo("{\"Endpoint\":\"\",\"DataType\":255,\"Accept\":255,\"Error\":18446744073709551615,\"ErrorMessage\":\"\"}\n"));
    }

    [Test, Category("HDR-2")]
    public void WriteCanonical_AndCanonicalLength_AgreeWithToCanonicalBytes()
    {
        var h = RpcHeader.Failure(Status.Error, "boom <&> \u2028 é");
        var span = new byte[4096];
        int n = h.WriteCanonical(span);
        Assert.That(n, Is.EqualTo(h.CanonicalLength()));
        Assert.That(span[..n], Is.EqualTo(h.ToCanonicalBytes()));
    }

    [Test, Category("HDR-3")]
    [TestCase("\"", "\\\"")]
    [TestCase("\\", "\\\\")]
    [TestCase("\n", "\\n")]
    [TestCase("\r", "\\r")]
    [TestCase("\t", "\\t")]
    [TestCase("\u0000", "\\u0000")]
    [TestCase("\u0008", "\\u0008")]
    [TestCase("\u000c", "\\u000c")]
    [TestCase("\u001f", "\\u001f")]
    [TestCase("<", "\\u003c")]
    [TestCase(">", "\\u003e")]
    [TestCase("&", "\\u0026")]
    [TestCase("\u2028", "\\u2028")]
    [TestCase("\u2029", "\\u2029")]
    [TestCase("\u007f", "\u007f")]
    [TestCase("/", "/")]
    [TestCase("'", "'")]
    [TestCase("é€😀", "é€😀")]
    public void Strings_AreEscapedLikeGo(string value, string expectedInJson)
    {
        byte[] expected = Encoding.UTF8.GetBytes("{\"Endpoint\":\"\",\"DataType\":0,\"Accept\":0,\"Error\":4,\"ErrorMessage\":\"" + expectedInJson + "\"}\n");
        Assert.That(new RpcHeader("", 0, 0, 4, value).ToCanonicalBytes(), Is.EqualTo(expected));
    }

    [Test, Category("HDR-3"), Category("HDR-6")]
    public void LoneSurrogates_AreSentAsReplacementCharacter()
    {
        // Built in code: attribute arguments cannot carry lone surrogates intact.
        string value = "a" + (char)0xD800 + "b" + (char)0xDC00;
        byte[] expected = Encoding.UTF8.GetBytes("{\"Endpoint\":\"\",\"DataType\":0,\"Accept\":0,\"Error\":4,\"ErrorMessage\":\"a\ufffdb\ufffd\"}\n");
        Assert.That(new RpcHeader("", 0, 0, 4, value).ToCanonicalBytes(), Is.EqualTo(expected));
    }

    [Test, Category("HDR-3")]
    public void Escaped_Output_RoundTrips()
    {
        string text = "q\"b\\n\n\r\t\u0001<>&\u2028\u2029é😀";
        var h = new RpcHeader(text, 2, 3, 4, text);
        Assert.That(RpcHeader.Parse(h.ToCanonicalBytes()), Is.EqualTo(h));
    }

    [Test, Category("HDR-4")]
    public void FieldNames_AnyAsciiCase_UnknownIgnored_NullAndAbsentAreZero_Whitespace()
    {
        var h = Parse(" \r\n\t{ \"endpoint\" : \"E\" , \"DATATYPE\":2,\"aCcEpT\":3, \"Unknown\":{\"x\":[1,2,{\"y\":null}]}, \"error\":null, \"Other\":true } \n\t");
        Assert.That(h, Is.EqualTo(new RpcHeader("E", 2, 3, 0, "")));
        Assert.That(Parse("{}"), Is.EqualTo(new RpcHeader("", 0, 0, 0, "")));
        Assert.That(Parse("{\"Endpoint\":null,\"ErrorMessage\":null,\"DataType\":null}"), Is.EqualTo(new RpcHeader("", 0, 0, 0, "")));
    }

    [Test, Category("HDR-4")]
    public void FieldNames_NonAsciiLookalikes_AreUnknown()
    {
        // U+0131 (dotless i) and the Kelvin sign are not ASCII letters: not "Endpoint" / not a known field.
        Assert.That(Parse("{\"Endpo\u0131nt\":\"x\"}").Endpoint, Is.EqualTo(""));
    }

    [Test, Category("HDR-4")]
    public void EscapedFieldNames_AreMatched()
    {
        Assert.That(Parse("{\"\\u0045ndpoint\":\"x\"}").Endpoint, Is.EqualTo("x"));
    }

    [Test, Category("HDR-7")]
    public void DuplicateField_LastOccurrenceWins_InAnyCase()
    {
        var h = Parse("{\"Endpoint\":\"a\",\"ENDPOINT\":\"b\",\"Error\":1,\"error\":2}");
        Assert.That(h.Endpoint, Is.EqualTo("b"));
        Assert.That(h.Error, Is.EqualTo(2));
    }

    [Test, Category("HDR-5")]
    [TestCase("")]
    [TestCase("   ")]
    [TestCase("[]")]
    [TestCase("\"Endpoint\"")]
    [TestCase("1")]
    [TestCase("null")]
    [TestCase("{")]
    [TestCase("{\"Endpoint\":\"x\"")]
    [TestCase("{\"Endpoint\":\"x\",}")]
    [TestCase("{\"Endpoint\":\"x\"} x")]
    [TestCase("{} {}")]
    [TestCase("{}\n\u0000")]
    [TestCase("{\"Endpoint\":1}")]
    [TestCase("{\"Endpoint\":true}")]
    [TestCase("{\"Endpoint\":[\"x\"]}")]
    [TestCase("{\"ErrorMessage\":{}}")]
    [TestCase("{\"DataType\":\"2\"}")]
    [TestCase("{\"DataType\":true}")]
    [TestCase("{\"DataType\":2.0}")]
    [TestCase("{\"DataType\":2.5}")]
    [TestCase("{\"DataType\":2e0}")]
    [TestCase("{\"DataType\":1E1}")]
    [TestCase("{\"DataType\":-1}")]
    [TestCase("{\"DataType\":-0}")]
    [TestCase("{\"DataType\":256}")]
    [TestCase("{\"Accept\":1000}")]
    [TestCase("{\"Error\":18446744073709551616}")]
    [TestCase("{\"Error\":99999999999999999999999}")]
    [TestCase("{\"Error\":01}")]
    [TestCase("{\"Error\":+1}")]
    [TestCase("{'Endpoint':'x'}")]
    [TestCase("{\"Endpoint\":\"a\u0001b\"}")]
    [TestCase("{\"Endpoint\":\"\\x\"}")]
    [TestCase("/*c*/{}")]
    public void Malformed_IsProtocolErrorHdr5(string json)
    {
        var ex = Assert.Throws<ProtocolException>(() => Parse(json));
        Assert.That(ex!.RequirementId, Is.EqualTo("HDR-5"));
    }

    [Test, Category("HDR-5")]
    public void Limits_AreAccepted()
    {
        var h = Parse("{\"DataType\":255,\"Accept\":0,\"Error\":18446744073709551615}");
        Assert.That(h.DataType, Is.EqualTo(255));
        Assert.That(h.Error, Is.EqualTo(ulong.MaxValue));
    }

    [Test, Category("HDR-6")]
    [TestCase(new byte[] { 0xFF })]
    [TestCase(new byte[] { 0xC3 })]
    [TestCase(new byte[] { 0xED, 0xA0, 0x80 })]
    [TestCase(new byte[] { 0xC0, 0xAF })]
    public void InvalidUtf8_IsRejectedAsMalformed(byte[] bad)
    {
        byte[] json = [.. "{\"ErrorMessage\":\"a"u8, .. bad, .. "b\"}"u8];
        var ex = Assert.Throws<ProtocolException>(() => RpcHeader.Parse(json));
        Assert.That(ex!.RequirementId, Is.EqualTo("HDR-6"));

        byte[] inUnknown = [.. "{\"X\":\""u8, .. bad, .. "\"}"u8];
        Assert.Throws<ProtocolException>(() => RpcHeader.Parse(inUnknown));
    }

    [Test, Category("HDR-6")]
    public void LoneSurrogateEscape_BecomesReplacementCharacter()
    {
        Assert.That(Parse("{\"ErrorMessage\":\"a\\ud800b\"}").ErrorMessage, Is.EqualTo("a\ufffdb"));
        Assert.That(Parse("{\"ErrorMessage\":\"\\ud83d\\ude00\"}").ErrorMessage, Is.EqualTo("😀"));
    }

    private static int Overhead => RpcHeader.Failure(Status.Error, "").CanonicalLength();

    [Test, Category("HDR-8")]
    public void Failure_ShortMessage_IsKept()
    {
        Assert.That(RpcHeader.Failure(Status.Error, "boom").ErrorMessage, Is.EqualTo("boom"));
        string exact = new('x', 4096 - Overhead);
        Assert.That(RpcHeader.Failure(Status.Error, exact).ErrorMessage, Is.EqualTo(exact));
        Assert.That(RpcHeader.Failure(Status.Error, exact).CanonicalLength(), Is.EqualTo(4096));
    }

    // Prefix fillers push a multi-byte character or an escape across the 4096-byte line.
    [Test, Category("HDR-8")]
    [TestCase("é", 0)]
    [TestCase("é", 1)]
    [TestCase("€", 1)]
    [TestCase("€", 2)]
    [TestCase("😀", 1)]
    [TestCase("😀", 3)]
    [TestCase("<", 1)]
    [TestCase("<", 5)]
    [TestCase("\n", 1)]
    [TestCase("\u0001", 3)]
    [TestCase("\u2028", 4)]
    [TestCase("\"", 1)]
    public void Failure_LongMessage_IsCutAtACharacterBoundary_OutsideEscapes(string unit, int shortBy)
    {
        int budget = 4096 - Overhead;
        string message = new string('a', budget - shortBy) + string.Concat(Enumerable.Repeat(unit, 10));
        var h = RpcHeader.Failure(Status.Error, message);
        byte[] bytes = h.ToCanonicalBytes();

        Assert.That(bytes.Length, Is.LessThanOrEqualTo(4096));
        Assert.That(message.StartsWith(h.ErrorMessage, StringComparison.Ordinal), Is.True);
        Assert.That(h.ErrorMessage.Length, Is.LessThan(message.Length));
        // Maximal: one more unit would not fit.
        var longer = new RpcHeader("", 0, 0, 4, message[..(h.ErrorMessage.Length + unit.Length)]);
        Assert.That(longer.CanonicalLength(), Is.GreaterThan(4096));
        // Valid canonical JSON that parses back to the same header.
        Assert.That(RpcHeader.Parse(bytes), Is.EqualTo(h));
        Assert.That(bytes[^1], Is.EqualTo((byte)'\n'));
    }

    [Test, Category("HDR-8")]
    public void Failure_HugeMessageOfEscapes_FitsAndParses()
    {
        var h = RpcHeader.Failure(Status.RequestError, string.Concat(Enumerable.Repeat("<\u0000é😀\"", 5000)));
        byte[] bytes = h.ToCanonicalBytes();
        Assert.That(bytes.Length, Is.InRange(4096 - 6, 4096));
        Assert.That(RpcHeader.Parse(bytes).ErrorMessage, Is.EqualTo(h.ErrorMessage));
    }
}
