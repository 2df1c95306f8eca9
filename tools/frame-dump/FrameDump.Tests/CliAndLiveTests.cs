using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FrameDump.Capture;
using FrameDump.Output;
using Zrpc.Rpc;
using Zrpc.TestService;

namespace FrameDump.Tests;

/// <summary>The frame-dump process reading a capture from stdin, and live capture on lo.</summary>
public class CliAndLiveTests
{
    private static string FrameDumpDll() => Path.Combine(TestContext.CurrentContext.TestDirectory, "frame-dump.dll");

    [TestCase("conformance.pcapng")]
    [TestCase("large-octets.pcap")]
    public async Task Stdin_PipedCapture_DecodesLikeTheFile(string capture)
    {
        string path = Path.Combine(GoldenCaptureTests.CapturesDirectory(), capture);
        var start = new ProcessStartInfo("dotnet", [FrameDumpDll(), "-", "--format", "json"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // A pipe, not a file redirect: libpcap must read it sequentially.
        await using (var file = File.OpenRead(path))
        {
            await file.CopyToAsync(process.StandardInput.BaseStream);
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync();

        Assert.That(process.ExitCode, Is.EqualTo(0), await error);
        Assert.That(await output, Is.EqualTo(File.ReadAllText(path + ".golden.jsonl")));
    }

    [Test]
    public void NoInputGiven_IsAUsageError()
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", [FrameDumpDll()]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.EqualTo(2));
        Assert.That(error, Does.Contain("-i INTERFACE"));
    }

    [Test]
    public async Task LiveCapture_OnLoopback_DecodesAnEchoCall()
    {
        var server = new RpcServer();
        ConformanceService.Register(server);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var collector = new Harness.Collector();
        var options = new DumpOptions
        {
            Interface = "lo",
            // Only segments that carry data (PSH): the two request frames, the two response frames and the client's RST frame.
            Filter = $"tcp port {port} and tcp[tcpflags] & tcp-push != 0",
            Count = 5,
            Duration = TimeSpan.FromSeconds(30),
            CaptureStarted = started.SetResult,
        };

        var capture = Task.Run(() => Dumper.Decode(options, collector, new TimeOrigin()));
        var first = await Task.WhenAny(started.Task, capture);
        if (first == capture && capture.Exception?.InnerException is LiveCaptureException denied)
        {
            Assert.Ignore($"live capture is not possible here: {denied.Message}");
        }

        await started.Task;
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            await server.ServeConnectionAsync(accepted.GetStream(), CancellationToken.None);
        });
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            await using var rpc = new RpcClient(client.GetStream());
            var reply = await rpc.CallAsync<Dictionary<string, int>, Dictionary<string, int>>("Echo", new() { ["live"] = 7 }, CancellationToken.None);
            Assert.That(reply["live"], Is.EqualTo(7));
        }

        await serving;
        await capture;

        var call = collector.Of<CallRecord>().Single();
        Assert.That((call.Endpoint, call.Status, call.Outcome), Is.EqualTo(("Echo", (ulong?)1, "complete")));
        Assert.That(collector.Of<ConnectionRecord>().Single().Server, Is.EqualTo($"127.0.0.1:{port}"));
        Assert.That(collector.Of<FrameRecord>().Select(f => f.RawType), Is.EqualTo(new byte[] { 1, 2, 1, 2, 0xFF }).Or.EqualTo(new byte[] { 1, 2, 0xFF, 1, 2 }).Or.EqualTo(new byte[] { 1, 2, 1, 0xFF, 2 }));
    }
}
