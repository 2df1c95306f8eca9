using System.Diagnostics;
using FrameDump.Wireshark;

namespace FrameDump.Tests;

/// <summary>
/// The Lua dissector is generated from the reference constants and checked in; tshark must
/// decode the fixture captures with it (frame type, end flag, length, RPC header fields, frames
/// reassembled across TCP segments).
/// </summary>
public class WiresharkDissectorTests
{
    private static string LuaPath() => Path.Combine(Harness.RepositoryRoot(), "tools", "frame-dump", "wireshark", "zrpc.lua");

    [Test]
    public void CheckedInDissector_IsTheGeneratedOne()
    {
        Assert.That(File.ReadAllText(LuaPath()), Is.EqualTo(DissectorGenerator.Generate()),
            "regenerate: frame-dump --emit-wireshark-dissector > tools/frame-dump/wireshark/zrpc.lua");
    }

    [Test]
    public void GeneratedDissector_CarriesTheReferenceConstants()
    {
        string lua = DissectorGenerator.Generate();
        Assert.That(lua, Does.Contain($"local MAX_PAYLOAD = {Zrpc.Frames.FrameLimits.MaxPayload}"));
        Assert.That(lua, Does.Contain($"local HEADER_SIZE = {Zrpc.Frames.FrameLimits.HeaderSize}"));
        Assert.That(lua, Does.Contain("[255] = \"RST\""));
        Assert.That(lua, Does.Contain("[3] = \"Octets\""));
        Assert.That(lua, Does.Not.Contain("@"), "every placeholder is filled");
    }

    private static string Tshark(string capture, params string[] extra) => TsharkOn(Path.Combine(GoldenCaptureTests.CapturesDirectory(), capture), 19123, extra);

    private static string TsharkOn(string path, int port, params string[] extra)
    {
        string? tshark = new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);
        if (tshark is null)
        {
            Assert.Ignore("tshark is not installed (Debian: apt-get install tshark)");
        }

        var start = new ProcessStartInfo(tshark!, ["-X", "lua_script:" + LuaPath(), "-r", path, "-d", $"tcp.port=={port},zrpc", "-V", .. extra])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.EqualTo(0), error.Result);
        Assert.That(output + error.Result, Does.Not.Contain("Lua Error").And.Not.Contain("Dissector bug"));
        return output;
    }

    [Test]
    public void Tshark_DecodesFramesAndRpcHeaders()
    {
        string output = Tshark("conformance.pcap");

        Assert.That(output, Does.Contain("zrpc Header frame, end=1, length 72"));
        Assert.That(output, Does.Contain("Type: Header (0x01)"));
        Assert.That(output, Does.Contain("Type: Data (0x02)"));
        Assert.That(output, Does.Contain("End flag: 1"));
        foreach (string endpoint in new[] { "Echo", "Fail", "Source", "Sink" })
        {
            Assert.That(output, Does.Contain($"Endpoint: {endpoint}\n"));
        }

        Assert.That(output, Does.Contain("Error: 4 (Error)"));
        Assert.That(output, Does.Contain("ErrorMessage: nope"));
        Assert.That(output, Does.Contain("DataType: Octets (3)"));
        Assert.That(output, Does.Contain("JavaScript Object Notation"), "the header JSON is shown by Wireshark's JSON dissector");
    }

    [Test]
    public void Tshark_ReassemblesFourMebibyteFramesAcrossSegments()
    {
        string output = Tshark("large-octets.pcap");

        var frames = output.Split('\n').Where(l => l.StartsWith("zrpc ")).ToList();
        Assert.That(frames, Is.EqualTo(new[]
        {
            "zrpc Header frame, end=1, length 74", "zrpc Data frame, end=1, length 19", "zrpc Header frame, end=1, length 68",
            "zrpc Data frame, end=0, length 4194304", "zrpc Data frame, end=0, length 4194304", "zrpc Data frame, end=1, length 611392",
        }));
    }

    [Test]
    public void Tshark_ShowsTheRstFrame()
    {
        string output = Tshark("rst.pcapng");

        Assert.That(output, Does.Contain("zrpc RST frame, end=1, length 0"));
        Assert.That(output, Does.Contain("Type: RST (0xff)"));
    }

    [Test]
    public void Tshark_Fa4d209Profile_NamesControlJsonAndOctets()
    {
        string path = ProfileTests.Fa4d209().WritePcap(Harness.TempFile("fa4d209.pcap"));

        string output = TsharkOn(path, 9000, "-o", "zrpc.profile:fa4d209", "-P");

        Assert.That(output, Does.Contain("DataType: Control (2)"));
        Assert.That(output, Does.Contain("DataType: MarshaledJSON (3)"));
        Assert.That(output, Does.Contain("DataType: Octets (4)"));
        Assert.That(output, Does.Contain("Profile: fa4d209 (preference)"));
        Assert.That(output, Does.Contain("Header (control request Close)"), "the Info column (-P) names the control request");
    }

    [Test]
    public void Tshark_Auto_ShowsBothNamesUntilTheStreamTells_ThenItsProfile()
    {
        string path = ProfileTests.Fa4d209().WritePcap(Harness.TempFile("fa4d209-auto.pcap"));

        string output = TsharkOn(path, 9000);

        // Echo with DataType 3 comes first: nothing has told the profile yet.
        Assert.That(output, Does.Contain("DataType: 3 (Octets in 6ab05ee, MarshaledJSON in fa4d209)"));
        Assert.That(output, Does.Contain("Profile: undecided (not told yet)"));
        // The Source answer with DataType 4 tells fa4d209; what follows is named in it.
        Assert.That(output, Does.Contain("Profile: fa4d209 (an OK response with DataType 4 in frame "));
        Assert.That(output, Does.Contain("DataType: Control (2)"));
    }

    [Test]
    public void Tshark_Auto_Tells6ab05eeFromAJsonBodyAfterDataType2()
    {
        string path = ProfileTests.P6ab05ee().WritePcap(Harness.TempFile("6ab05ee-auto.pcap"));

        string output = TsharkOn(path, 9000);

        Assert.That(output, Does.Contain("Profile: 6ab05ee (a DataType 2 header followed by a Data frame in frame "));
        Assert.That(output, Does.Contain("DataType: Octets (3)"));
    }

    [Test]
    public void Tshark_LaterProtocol_IsLabelledNotDecoded()
    {
        byte[] magic = [0x18, 0xce, 0x72, 0x48, 0x4e, 0x61, 0x61, 0x1d, 0x71, 0xeb, 0x03, 0xa8, 0x3c, 0xe2, 0x6f, 0x01];
        string path = new Conversation().Handshake().Client(Wire.Concat(magic, [1, 2, 3])).Server(magic).Client([0x01, 0x01, 0, 0, 0, 0]).Close()
            .WritePcap(Harness.TempFile("streamrpc.pcap"));

        string output = TsharkOn(path, 9000);

        Assert.That(output, Does.Contain("Not this protocol: go-streamrpc, magic version 1 (zrepl 0.1.0-rc1 to 0.1.0-rc3)"));
        Assert.That(output, Does.Not.Contain("zrpc Header frame"), "the later protocol's bytes are not decoded as frames");
    }
}
