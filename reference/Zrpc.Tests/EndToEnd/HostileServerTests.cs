using System.Diagnostics;
using System.Text;
using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.EndToEnd;

/// <summary>`zrpc call` with its default options against servers that stall or flood it with nothing.</summary>
[TestFixture]
[Category("EndToEnd")]
public sealed class HostileServerTests
{
    private const string OkJson = "{\"Endpoint\":\"\",\"DataType\":2,\"Accept\":0,\"Error\":1,\"ErrorMessage\":\"\"}\n";

    private static string Server(string script) => TransportAddress.Exec("sh", ["-c", script]).ToString();

    [Test, Category("CONN-5")]
    public async Task A_response_header_trickled_slower_than_the_read_timeout_is_refused()
    {
        // The header arrives one byte every 0.3 s: each read is well within --read-timeout 2, the
        // whole header (75 bytes, over 20 s) is not.
        string directory = Directory.CreateDirectory(EndToEndFiles.NewPath("trickle")).FullName;
        string frame = Path.Combine(directory, "header.bin");
        var content = Encoding.UTF8.GetBytes(OkJson);
        File.WriteAllBytes(frame, [1, 1, (byte)content.Length, 0, 0, 0, .. content]);
        var clock = Stopwatch.StartNew();
        var result = await CliProcess.RunAsync("call", "--read-timeout", "2", "--connect",
            Server($"i=0; while [ $i -lt {content.Length + 6} ]; do dd if='{frame}' bs=1 skip=$i count=1 2>/dev/null; sleep 0.3; i=$((i+1)); done; cat >/dev/null"),
            "Echo", "--json", "1");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Does.Contain("CONN-5").And.Contain("after its first byte"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(18)), "refused before the trickle could finish");
    }

    [Test, Category("CLI-6")]
    public async Task The_call_timeout_has_a_finite_default()
    {
        var result = await CliProcess.RunAsync("call", "--help");
        Assert.That(result.StdoutText, Does.Match(@"--timeout <seconds>[\s\S]*\[default: 600\]"));
    }
}
