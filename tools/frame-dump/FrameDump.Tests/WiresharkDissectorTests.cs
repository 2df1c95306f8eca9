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

    private static string Tshark(string capture)
    {
        string? tshark = new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);
        if (tshark is null)
        {
            Assert.Ignore("tshark is not installed (Debian: apt-get install tshark)");
        }

        var start = new ProcessStartInfo(tshark!, ["-X", "lua_script:" + LuaPath(), "-r", Path.Combine(GoldenCaptureTests.CapturesDirectory(), capture),
            "-d", "tcp.port==19123,zrpc", "-V"])
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
}
