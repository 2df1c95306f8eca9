using System.Text;
using NUnit.Framework;
using Zrpc.Conformance.Steps;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>Whatever bytes a peer sends, the kit's readers end in a verdict naming a requirement, never an exception.</summary>
[TestFixture]
public sealed class KitJudgementTests
{
    [TestCase("{\"Endpoint\":\"\",\"DataType\":0,\"Accept\":0,\"Error\":2,\"ErrorMessage\":\"Ec\\ud800ho\"}\n")]
    [TestCase("{\"Endpoint\":\"\",\"DataType\":0,\"Accept\":0,\"Error\":2,\"ErrorMessage\":\"\\udc00\"}\n")]
    [TestCase("{\"Endpoint\":\"x\\ud800\",\"DataType\":0,\"Accept\":0,\"Error\":2,\"ErrorMessage\":\"\"}\n")]
    [TestCase("{\"Err\\ud800or\":2}\n")]
    public void AHeaderWithAnEscapedLoneSurrogateIsJudgedAsHdr11(string header)
    {
        ReceivedHeader? read = null;
        string problem = "", requirement = "";
        Assert.DoesNotThrow(() => read = HeaderJson.TryRead(Encoding.UTF8.GetBytes(header), out problem, out requirement));
        Assert.That(read, Is.Null);
        Assert.That(requirement, Is.EqualTo("HDR-11"));
        Assert.That(problem, Does.Contain("surrogate"));
    }

    [Test]
    public void AValidSurrogatePairIsAccepted()
    {
        var read = HeaderJson.TryRead(Encoding.UTF8.GetBytes("{\"Error\":4,\"ErrorMessage\":\"\\ud83e\\udd80\"}\n"), out _, out _);
        Assert.That(read?.ErrorMessage, Is.EqualTo("\U0001F980"));
    }

    [Test]
    public void InvalidUtf8IsJudgedAsHdr6AndBadJsonAsHdr1()
    {
        Assert.That(HeaderJson.TryRead([0x7b, 0xff, 0x7d], out _, out var utf8), Is.Null);
        Assert.That(utf8, Is.EqualTo("HDR-6"));
        Assert.That(HeaderJson.TryRead("{\"Error\":"u8.ToArray(), out _, out var json), Is.Null);
        Assert.That(json, Is.EqualTo("HDR-1"));
    }

    [Test]
    public void MessageLengthsAreCountedInUnicodeScalarValues()
    {
        var crabs = string.Concat(Enumerable.Repeat("\U0001F980", 2000));
        Assert.That(crabs.Length, Is.EqualTo(4000), "UTF-16 units, the count the kit must not report");
        Assert.That(ResponseSteps.Characters(crabs), Is.EqualTo(2000));
    }

    [Test]
    public void FeatureTextKeepsCharactersOutsideTheBmp()
    {
        // Each half of a surrogate pair encoded alone would be U+FFFD (EF BF BD) twice.
        Assert.That(FrameBytes.Unescape("a\U0001F980b"), Is.EqualTo(new byte[] { 0x61, 0xF0, 0x9F, 0xA6, 0x80, 0x62 }));
        Assert.That(FrameBytes.Unescape("\\t\U0001F980\\n"), Is.EqualTo(new byte[] { 0x09, 0xF0, 0x9F, 0xA6, 0x80, 0x0A }));
    }

    [TestCase("", null)]
    [TestCase(", as SRV-7 requires", "SRV-7")]
    [TestCase(", as HDR-11 requires", "HDR-11")]
    public void AStepNamesTheRequirementItChecksWhenTheScenarioSaysSo(string suffix, string? id)
    {
        Assert.That(System.Text.RegularExpressions.Regex.IsMatch("the response has status OK" + suffix, "^the response has status (\\w+)" + ResponseSteps.As + "$"));
        Assert.That(ResponseSteps.NullIfEmpty(suffix), Is.EqualTo(id));
    }
}
