using System.Text;
using FrameDump.Output;
using Zrpc.Rpc;

namespace FrameDump.Tests;

/// <summary>
/// Synthesized captures of both profiles: every DataType of each decodes with its profile's name
/// and pairing (fa4d209's control requests have no Data message), the profile is told from the
/// content with the evidence named, both readings are shown when the content does not tell, and
/// a chosen profile that the content contradicts is reported.
/// </summary>
public class ProfileTests
{
    private static byte[] Request(string endpoint, int dataType, int accept, byte[]? body) =>
        body is null
            ? Wire.HeaderMessage(Wire.HeaderJson(endpoint, dataType, accept))
            : Wire.Concat(Wire.HeaderMessage(Wire.HeaderJson(endpoint, dataType, accept)), Wire.DataMessage(body));

    private static byte[] Ok(int dataType, byte[]? body) =>
        body is null
            ? Wire.HeaderMessage(Wire.HeaderJson("", dataType, 0, 1))
            : Wire.Concat(Wire.HeaderMessage(Wire.HeaderJson("", dataType, 0, 1)), Wire.DataMessage(body));

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text + "\n");

    private static readonly byte[] Ten = Wire.SourcePattern(10);

    /// <summary>A zrepl 0.0.x session: every DataType of profile fa4d209 and the Close handshake with RST both ways.</summary>
    public static Conversation Fa4d209(bool closeOnly = false)
    {
        var c = new Conversation().Handshake();
        c.Wait(1).Client(Request("Echo", 3, 3, Json("{\"a\":1}"))).Wait(1).Server(Ok(3, Json("{\"a\":1}")));
        if (!closeOnly)
        {
            c.Wait(1).Client(Request("Source", 3, 4, Json("{\"Length\":10}"))).Wait(1).Server(Ok(4, Ten))
                .Wait(1).Client(Request("Sink", 4, 3, Ten)).Wait(1).Server(Ok(3, Json("{\"Length\":10,\"SHA256\":\"x\"}")))
                .Wait(1).Client(Request("Nope", 1, 1, [])).Wait(1).Server(Wire.Failure(2, "unregistered endpoint Nope"))
                .Wait(1).Client(Request("Nope", 2, 2, null)).Wait(1).Server(Wire.Failure(2, "unregistered control endpoint Nope"))
                .Wait(1).Client(Request("Fail", 3, 3, Json("{\"Message\":\"boom\"}"))).Wait(1).Server(Wire.Failure(4, "boom"));
        }

        return c.Wait(1).Client(Request("Close", 2, 2, null)).Wait(1).Server(Wire.Concat(Ok(2, null), Wire.Rst))
            .Wait(1).Client(Wire.Rst).Wait(1).Close();
    }

    /// <summary>The same calls in profile 6ab05ee (no control requests): every DataType of it.</summary>
    public static Conversation P6ab05ee() =>
        new Conversation().Handshake()
            .Wait(1).Client(Request("Echo", 2, 2, Json("{\"a\":1}"))).Wait(1).Server(Ok(2, Json("{\"a\":1}")))
            .Wait(1).Client(Request("Source", 2, 3, Json("{\"Length\":10}"))).Wait(1).Server(Ok(3, Ten))
            .Wait(1).Client(Request("Sink", 3, 2, Ten)).Wait(1).Server(Ok(2, Json("{\"Length\":10,\"SHA256\":\"x\"}")))
            .Wait(1).Client(Request("Nope", 1, 1, [])).Wait(1).Server(Wire.Failure(2, "unregistered endpoint Nope"))
            .Wait(1).Client(Wire.Rst).Wait(1).Close();

    private static Harness.Collector Decode(Conversation c, Profile? profile = null, params int[] ports) =>
        Harness.Decode(new DumpOptions { CaptureFile = c.WritePcap(Harness.TempFile("p.pcap")), Profile = profile, Ports = ports.ToHashSet() });

    /// <summary>(role, DataType name) of every Data message.</summary>
    private static List<string> Bodies(Harness.Collector result, string? reading = null) =>
        result.Of<MessageRecord>().Where(m => m.RawType == 0x02 && m.Reading == reading)
            .Select(m => $"{m.Role} {m.Endpoint} {Names.DataType(m.BodyType!.Value, m.Profile)}").ToList();

    private static void AssertFa4d209Session(Harness.Collector result)
    {
        var calls = result.Of<CallRecord>();
        Assert.That(calls.Select(c => (c.Endpoint, c.Status, c.Outcome, c.Control)), Is.EqualTo(new (string?, ulong?, string, bool)[]
        {
            ("Echo", 1, "complete", false), ("Source", 1, "complete", false), ("Sink", 1, "complete", false),
            ("Nope", 2, "complete", false), ("Nope", 2, "complete", true), ("Fail", 4, "complete", false), ("Close", 1, "complete", true),
        }));
        Assert.That(Bodies(result), Is.EqualTo(new[]
        {
            "request Echo MarshaledJSON", "response Echo MarshaledJSON", "request Source MarshaledJSON", "response Source Octets",
            "request Sink Octets", "response Sink MarshaledJSON", "request Nope None", "request Fail MarshaledJSON",
        }));
        var echo = result.Of<MessageRecord>().Single(m => m.Call == 1 && m.Role == "response" && m.RawType == 0x02);
        Assert.That(echo.BodyJson, Does.Contain("\"a\": 1"), "DataType 3 is MarshaledJSON in fa4d209");
        var close = result.Of<MessageRecord>().Where(m => m.Call == 7 && m.RawType == 0x01).Select(m => m.RpcHeader!.DataType);
        Assert.That(close, Is.EqualTo(new byte[] { 2, 2 }), "the Close request and its answer are Header messages alone");
        Assert.That(result.Of<ViolationRecord>(), Is.Empty, "a conforming fa4d209 session has no violations");
        Assert.That(result.Of<FrameRecord>().Count(f => f.RawType == 0xFF), Is.EqualTo(2), "RST both ways");
    }

    [Test]
    public void Fa4d209Session_Auto_IsToldByContentAndDecodedWithEveryDataType()
    {
        var result = Decode(Fa4d209());

        var profile = result.Of<ProfileRecord>().Single();
        Assert.That((profile.Profile, profile.DecidedBy), Is.EqualTo(("fa4d209", "content")));
        Assert.That(profile.Evidence, Is.EqualTo("an OK response with DataType 4, Octets in fa4d209 and unassigned in 6ab05ee (s2c frame 3)"));
        Assert.That(result.Records.IndexOf(profile), Is.EqualTo(1), "the profile line follows the connection line");
        AssertFa4d209Session(result);
    }

    [Test]
    public void Fa4d209Session_ChosenWithTheOption_DecodesTheSame()
    {
        var result = Decode(Fa4d209(), Profile.Fa4d209);

        var profile = result.Of<ProfileRecord>().Single();
        Assert.That((profile.Profile, profile.DecidedBy, profile.Contradicted), Is.EqualTo(("fa4d209", "option", false)));
        AssertFa4d209Session(result);
    }

    [Test]
    public void Fa4d209_CloseHandshakeIsTheEvidence_WhenNothingElseTells()
    {
        var result = Decode(Fa4d209(closeOnly: true));

        var profile = result.Of<ProfileRecord>().Single();
        Assert.That(profile.Profile, Is.EqualTo("fa4d209"));
        Assert.That(profile.Evidence, Is.EqualTo("an OK response with DataType 2 followed by RST, not by a Data message (s2c frame 3)"));
        Assert.That(result.Of<CallRecord>().Select(c => c.Endpoint), Is.EqualTo(new[] { "Echo", "Close" }));
        Assert.That(result.Of<ViolationRecord>(), Is.Empty);
    }

    [Test]
    public void RawClientStream_CloseRequestIsTheEvidence()
    {
        string path = Harness.TempFile("client.bin");
        File.WriteAllBytes(path, Wire.Concat(Request("Echo", 3, 3, Json("{}")), Request("Close", 2, 2, null), Wire.Rst));

        var result = Harness.Decode(new DumpOptions { RawFile = path });

        var profile = result.Of<ProfileRecord>().Single();
        Assert.That((profile.Profile, profile.Evidence), Is.EqualTo(("fa4d209", "a Close request with DataType 2 followed by RST, not by a Data message (c2s frame 3)")));
        var echo = result.Of<MessageRecord>().Single(m => m.RawType == 0x02);
        Assert.That(echo.BodyJson, Is.EqualTo("{}"), "read as fa4d209, DataType 3 is MarshaledJSON");
    }

    [Test]
    public void P6ab05eeSession_Auto_IsToldByContentAndDecodedWithEveryDataType()
    {
        var result = Decode(P6ab05ee());

        var profile = result.Of<ProfileRecord>().Single();
        Assert.That((profile.Profile, profile.DecidedBy), Is.EqualTo(("6ab05ee", "content")));
        Assert.That(profile.Evidence, Is.EqualTo("MarshaledJSON body with DataType 2: a request for Echo with DataType 2 followed by a Data message (c2s frame 1)"));
        Assert.That(result.Of<CallRecord>().Select(c => (c.Endpoint, c.Status, c.Control)), Is.EqualTo(new (string?, ulong?, bool)[]
        {
            ("Echo", 1, false), ("Source", 1, false), ("Sink", 1, false), ("Nope", 2, false),
        }));
        Assert.That(Bodies(result), Is.EqualTo(new[]
        {
            "request Echo MarshaledJSON", "response Echo MarshaledJSON", "request Source MarshaledJSON", "response Source Octets",
            "request Sink Octets", "response Sink MarshaledJSON", "request Nope None",
        }));
        Assert.That(result.Of<ViolationRecord>(), Is.Empty);
    }

    [Test]
    public void ContentThatDoesNotTell_ShowsBothReadings()
    {
        // DataType 3 with a JSON body: Octets in 6ab05ee, MarshaledJSON in fa4d209; nothing else is sent.
        var c = new Conversation().Handshake()
            .Wait(1).Client(Request("Echo", 3, 3, Json("{\"a\":1}"))).Wait(1).Server(Ok(3, Json("{\"a\":1}")))
            .Wait(1).Close();

        var result = Decode(c);

        var profile = result.Of<ProfileRecord>().Single();
        Assert.That((profile.Profile, profile.DecidedBy), Is.EqualTo(((string?)null, "none")));
        Assert.That(profile.Readings, Is.EqualTo(new[] { "6ab05ee", "fa4d209" }));
        Assert.That(Bodies(result, "6ab05ee"), Is.EqualTo(new[] { "request Echo Octets", "response Echo Octets" }));
        Assert.That(Bodies(result, "fa4d209"), Is.EqualTo(new[] { "request Echo MarshaledJSON", "response Echo MarshaledJSON" }));
        Assert.That(result.Of<CallRecord>().Select(r => r.Reading), Is.EqualTo(new[] { "6ab05ee", "fa4d209" }));
        Assert.That(result.Of<ConnectionRecord>().Single().Reading, Is.Null, "the connection is listed once");
        string summary = Harness.RunToString(new DumpOptions { CaptureFile = c.WritePcap(Harness.TempFile("s.pcap")), Summary = true });
        Assert.That(summary, Does.Contain("connections: 1, calls: 0\n"), "the calls of the two readings differ: neither is counted");
        Assert.That(summary, Does.Contain("profiles: undecided 1 (undecided: not told by the content;"));
        Assert.That(summary, Does.Contain("bytes c2s: 92 in 2 frames; s2c: 88 in 2 frames"), "the frames are counted once");
    }

    [Test]
    public void ContentBothProfilesReadAlike_IsShownOnce()
    {
        var c = new Conversation().Handshake()
            .Wait(1).Client(Request("Nope", 1, 1, [])).Wait(1).Server(Wire.Failure(2, "unregistered endpoint Nope"))
            .Wait(1).Close();

        var result = Decode(c);

        var profile = result.Of<ProfileRecord>().Single();
        Assert.That((profile.Profile, profile.DecidedBy, profile.Readings.Count), Is.EqualTo(((string?)null, "none", 1)));
        Assert.That(result.Records.Where(r => r.Reading is not null), Is.Empty);
        Assert.That(result.Of<CallRecord>(), Has.Count.EqualTo(1));
        string summary = Harness.RunToString(new DumpOptions { CaptureFile = c.WritePcap(Harness.TempFile("s.pcap")), Summary = true });
        Assert.That(summary, Does.Contain("connections: 1, calls: 1\n"));
        Assert.That(summary, Does.Contain("profiles: either 1 (either: both profiles read them alike)\n"));
    }

    [Test]
    public void ChosenProfileThatTheContentContradicts_IsReported()
    {
        var result = Decode(P6ab05ee(), Profile.Fa4d209);

        var profiles = result.Of<ProfileRecord>();
        Assert.That(profiles.Select(p => (p.Profile, p.DecidedBy, p.Contradicted)), Is.EqualTo(new (string?, string, bool)[]
        {
            ("fa4d209", "option", false), ("fa4d209", "option", true),
        }));
        Assert.That(profiles[1].Evidence, Does.StartWith("but the content points at 6ab05ee: MarshaledJSON body with DataType 2"));
        Assert.That(result.Of<ViolationRecord>().Select(v => v.Requirement.Value), Does.Contain("FARPC-2"),
            "read as fa4d209, the Echo request is a control request sent with a body");
    }

    [Test]
    public void Fa4d209Violations_ControlRequestWithBody_AndAMessageAfterTheCloseAnswer()
    {
        var c = new Conversation().Handshake()
            .Wait(1).Client(Wire.Concat(Request("Nope", 2, 2, null), Wire.DataMessage(Json("{}"))))
            .Wait(1).Server(Wire.Failure(2, "unregistered control endpoint Nope"))
            .Wait(1).Client(Request("Close", 2, 2, null)).Wait(1).Server(Wire.Concat(Ok(2, null), Wire.Failure(2, "late")))
            .Wait(1).Close();

        var result = Decode(c, Profile.Fa4d209);

        Assert.That(result.Of<ViolationRecord>().Select(v => v.Requirement.Value), Is.EqualTo(new[] { "FARPC-2", "FASRV-3", "CLI-5" }));
    }

    [Test]
    public void CloseAnswerWithAnotherDataType_BreaksFarpc3()
    {
        var c = new Conversation().Handshake()
            .Wait(1).Client(Request("Close", 2, 2, null)).Wait(1).Server(Wire.Concat(Ok(3, null), Wire.Rst))
            .Wait(1).Close();

        var result = Decode(c, Profile.Fa4d209);

        Assert.That(result.Of<ViolationRecord>().Select(v => v.Requirement.Value), Is.EqualTo(new[] { "FARPC-3" }));
    }

    [Test]
    public void SummaryAndJson_CarryTheProfileAndTheEvidence()
    {
        string path = Conversation.WritePcap(Harness.TempFile("two.pcap"), Fa4d209(), new Conversation(clientPort: 41001).Handshake()
            .Wait(1).Client(Request("Echo", 2, 2, Json("{}"))).Wait(1).Server(Ok(2, Json("{}"))).Close());

        var summary = Harness.RunJson(new DumpOptions { CaptureFile = path, Summary = true }).Single();
        Assert.That(summary.GetProperty("profiles").GetProperty("fa4d209").GetInt32(), Is.EqualTo(1));
        Assert.That(summary.GetProperty("profiles").GetProperty("6ab05ee").GetInt32(), Is.EqualTo(1));
        string text = Harness.RunToString(new DumpOptions { CaptureFile = path, Summary = true });
        Assert.That(text, Does.Contain("profiles: 6ab05ee 1, fa4d209 1\n"));
        Assert.That(text, Does.Contain("  connection 1: fa4d209: an OK response with DataType 4"));
        Assert.That(text, Does.Contain("  connection 2: 6ab05ee: MarshaledJSON body with DataType 2"));
        var perConnection = summary.GetProperty("connection_profiles").EnumerateArray()
            .Select(p => (p.GetProperty("conn").GetInt32(), p.GetProperty("profile").GetString(), p.GetProperty("decided_by").GetString())).ToList();
        Assert.That(perConnection, Is.EquivalentTo(new[] { (1, "fa4d209", "content"), (2, "6ab05ee", "content") }));
        Assert.That(summary.GetProperty("connection_profiles")[0].GetProperty("evidence").GetString(), Does.Contain("frame"));

        var lines = Harness.RunJson(new DumpOptions { CaptureFile = path });
        var profiles = lines.Where(l => l.GetProperty("record").GetString() == "profile").ToList();
        Assert.That(profiles.Select(p => (p.GetProperty("conn").GetInt32(), p.GetProperty("profile").GetString(), p.GetProperty("decided_by").GetString())),
            Is.EquivalentTo(new[] { (1, "fa4d209", "content"), (2, "6ab05ee", "content") }));
        Assert.That(profiles.Select(p => p.GetProperty("evidence").GetString()), Has.All.Contains("frame"));
        var close = lines.Single(l => l.GetProperty("record").GetString() == "call" && l.GetProperty("endpoint").GetString() == "Close");
        Assert.That(close.GetProperty("control").GetBoolean(), Is.True);
    }

    [Test]
    public void TextListing_NamesTheProfileAndFa4d209DataTypes()
    {
        string text = Harness.RunToString(new DumpOptions { CaptureFile = Fa4d209().WritePcap(Harness.TempFile("t.pcap")) });

        Assert.That(text, Does.Contain("profile fa4d209: an OK response with DataType 4"));
        Assert.That(text, Does.Contain("Endpoint=\"Close\" DataType=2 (Control) Accept=2 (Control)"));
        Assert.That(text, Does.Contain("call #7 Close (control): OK (1)"));
    }

    [Test]
    public void AsFixture_WritesTheProfileTheContentTold_AndRefusesWhenItDoesNotTell()
    {
        string told = Harness.RunToString(new DumpOptions { CaptureFile = Fa4d209().WritePcap(Harness.TempFile("f.pcap")), AsFixture = true });
        using (var document = System.Text.Json.JsonDocument.Parse(told))
        {
            Assert.That(document.RootElement.GetProperty("profile").GetString(), Is.EqualTo("fa4d209"));
        }

        string untold = new Conversation().Handshake()
            .Wait(1).Client(Request("Echo", 3, 3, Json("{}"))).Wait(1).Server(Ok(3, Json("{}"))).Close()
            .WritePcap(Harness.TempFile("u.pcap"));
        using var output = new MemoryStream();
        using var error = new StringWriter();
        Assert.That(Dumper.Run(new DumpOptions { CaptureFile = untold, AsFixture = true }, output, error), Is.EqualTo(2));
        Assert.That(error.ToString(), Does.Contain("the content of connection 1 does not tell its profile; choose it with --profile"));
        Assert.That(output.Length, Is.Zero, "a refused fixture writes nothing");

        string chosen = Harness.RunToString(new DumpOptions { CaptureFile = untold, AsFixture = true, Profile = Profile.Fa4d209 });
        Assert.That(chosen, Does.Contain("\"profile\": \"fa4d209\""));
    }

    [Test]
    public void LongUntoldConnection_ShowsBothReadingsFromTheLimitOn_UntilTheContentTells()
    {
        var c = new Conversation().Handshake();
        for (int i = 0; i < 150; i++)
        {
            c.Client(Request("Echo", 3, 3, Json("{}"))).Server(Ok(3, Json("{}")));
        }

        c.Client(Request("Source", 3, 4, Json("{\"Length\":10}"))).Server(Ok(4, Ten)).Close();

        var result = Decode(c);

        var profiles = result.Of<ProfileRecord>();
        Assert.That(profiles.Select(p => (p.Profile, p.DecidedBy)), Is.EqualTo(new (string?, string)[] { (null, "none"), ("fa4d209", "content") }));
        Assert.That(profiles[0].Evidence, Does.StartWith($"no evidence in the first {FrameDump.Protocol.ConnectionFront.MaxHeldRecords} records"));
        var calls = result.Of<CallRecord>();
        Assert.That(calls.Last().Endpoint, Is.EqualTo("Source"));
        Assert.That(calls.Last().Reading, Is.Null, "once told, only the fa4d209 reading is written, unmarked");
        Assert.That(calls.Count(r => r.Reading == "6ab05ee"), Is.EqualTo(calls.Count(r => r.Reading == "fa4d209")), "neither reading runs past the evidence");
        Assert.That(calls.Count(r => r.Reading is null) + calls.Count(r => r.Reading == "fa4d209"), Is.EqualTo(151), "every call of the told reading once");

        string summary = Harness.RunToString(new DumpOptions { CaptureFile = c.WritePcap(Harness.TempFile("s.pcap")), Summary = true });
        Assert.That(summary, Does.Contain("profiles: fa4d209 1\n"), "the connection is counted once, in the profile it was told");
    }
}
