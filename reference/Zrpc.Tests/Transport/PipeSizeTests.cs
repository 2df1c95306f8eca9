using System.Diagnostics;
using NUnit.Framework;
using Zrpc.Tests.EndToEnd;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

/// <summary>
/// Pipes of an exec: child and of a stdio server are enlarged from the kernel's 64 KiB to 1 MiB:
/// a body then moves in a sixteenth of the wake-ups and partial writes.
/// </summary>
[TestFixture]
public class PipeSizeTests
{
    private const int GetPipeSize = 1032; // F_GETPIPE_SZ

    [Test]
    public async Task An_exec_child_gets_pipes_of_a_mebibyte_both_ways()
    {
        Assume.That(OperatingSystem.IsLinux());
        var stream = (ProcessStream)await Connector.ConnectAsync(
            TransportAddress.Exec("python3", ["-c", $"import fcntl,sys; sys.stderr.write('%d %d' % (fcntl.fcntl(0, {GetPipeSize}), fcntl.fcntl(1, {GetPipeSize})))"]),
            CancellationToken.None);
        await using (stream)
        {
            await stream.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(() => stream.StandardErrorText, Is.EqualTo($"{PipeSize.Preferred} {PipeSize.Preferred}").After(5000, 50));
        }
    }

    [Test]
    public async Task A_stdio_server_enlarges_the_pipes_its_parent_gave_it()
    {
        Assume.That(OperatingSystem.IsLinux());
        // The parent (python) makes ordinary 64 KiB pipes and watches their size from its own ends.
        string script = $$"""
            import fcntl, subprocess, sys, time
            p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            sizes = (0, 0)
            for _ in range(300):
                sizes = (fcntl.fcntl(p.stdin.fileno(), {{GetPipeSize}}), fcntl.fcntl(p.stdout.fileno(), {{GetPipeSize}}))
                if sizes == ({{PipeSize.Preferred}}, {{PipeSize.Preferred}}): break
                time.sleep(0.05)
            p.stdin.close(); p.wait(30)
            print(sizes[0], sizes[1])
            """;
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", script, CliProcess.DotnetHost, CliProcess.CliDll, "serve", "--listen", "stdio", "--quiet" }) start.ArgumentList.Add(a);
        using var parent = Process.Start(start)!;
        string output = await parent.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(output.Trim(), Is.EqualTo($"{PipeSize.Preferred} {PipeSize.Preferred}"));
    }
}
