using System.Diagnostics;
using System.Text;
using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.EndToEnd;

/// <summary>
/// `zrpc call --octets-out` against a fake server (a shell that plays back response bytes): the
/// path keeps what it had until a complete body replaces it (CLI-4), and nothing that is not a
/// file the call created is ever deleted or truncated.
/// </summary>
[TestFixture]
[Category("EndToEnd")]
[Category("CLI-4")]
public sealed class OctetsOutTests
{
    private const string OkOctets = "{\"Endpoint\":\"\",\"DataType\":3,\"Accept\":0,\"Error\":1,\"ErrorMessage\":\"\"}\n";
    private static readonly byte[] Body = Enumerable.Range(0, 1000).Select(i => (byte)(i % 251)).ToArray();

    private string _dir = "";

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateDirectory(EndToEndFiles.NewPath("octets-out")).FullName;

    /// <summary>An OK Octets header and the first 1000 bytes of a 2000-byte frame: the stream then ends or stalls.</summary>
    private string TruncatedResponse()
    {
        string path = Path.Combine(_dir, "truncated.response");
        File.WriteAllBytes(path, [.. Frame(0x01, true, Encoding.UTF8.GetBytes(OkOctets)), .. FrameHeader(0x02, true, 2000), .. Body]);
        return path;
    }

    private string CompleteResponse()
    {
        string path = Path.Combine(_dir, "complete.response");
        File.WriteAllBytes(path, [.. Frame(0x01, true, Encoding.UTF8.GetBytes(OkOctets)), .. Frame(0x02, true, Body)]);
        return path;
    }

    private static byte[] FrameHeader(byte type, bool end, int length) =>
        [type, (byte)(end ? 1 : 0), (byte)length, (byte)(length >> 8), (byte)(length >> 16), (byte)(length >> 24)];

    private static byte[] Frame(byte type, bool end, byte[] payload) => [.. FrameHeader(type, end, payload.Length), .. payload];

    private static string Server(string script) => TransportAddress.Exec("sh", ["-c", script]).ToString();

    private static Task<CliResult> CallAsync(string connect, string octetsOut) =>
        CliProcess.RunAsync("call", "--connect", connect, "Source", "--json", "{}", "--octets-out", octetsOut);

    private string[] LeftoverParts() => Directory.GetFiles(_dir, "*.part");

    [Test]
    public async Task A_failed_transfer_leaves_no_file_where_there_was_none()
    {
        string output = Path.Combine(_dir, "new.bin");
        var result = await CallAsync(Server($"cat '{TruncatedResponse()}'"), output);

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(File.Exists(output), Is.False);
        Assert.That(LeftoverParts(), Is.Empty, "the private file is removed");
    }

    [Test]
    public async Task A_failed_transfer_keeps_an_existing_file_as_it_was()
    {
        string output = Path.Combine(_dir, "precious.bin");
        File.WriteAllText(output, "old contents");
        var result = await CallAsync(Server($"cat '{TruncatedResponse()}'"), output);

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(File.ReadAllText(output), Is.EqualTo("old contents"));
        Assert.That(LeftoverParts(), Is.Empty);
    }

    [Test]
    public async Task A_complete_body_replaces_an_existing_file_and_keeps_its_permissions()
    {
        string output = Path.Combine(_dir, "replaced.bin");
        File.WriteAllText(output, "old contents that are longer than nothing");
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var result = await CallAsync(Server($"cat '{CompleteResponse()}'; cat >/dev/null"), output);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(File.ReadAllBytes(output), Is.EqualTo(Body));
        Assert.That(File.GetUnixFileMode(output), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(LeftoverParts(), Is.Empty);
    }

    [Test]
    public async Task A_symbolic_link_is_followed_and_kept_and_its_target_survives_a_failure()
    {
        string target = Path.Combine(_dir, "target.bin");
        string link = Path.Combine(_dir, "link.bin");
        File.WriteAllText(target, "old contents");
        File.CreateSymbolicLink(link, target);

        var failed = await CallAsync(Server($"cat '{TruncatedResponse()}'"), link);
        Assert.That(failed.ExitCode, Is.EqualTo(3), failed.ToString());
        Assert.That(FileKinds.Of(link, followLinks: false), Is.EqualTo(FileKind.SymbolicLink), "the link is not deleted");
        Assert.That(File.ReadAllText(target), Is.EqualTo("old contents"), "the target keeps its contents, not a partial body");

        var done = await CallAsync(Server($"cat '{CompleteResponse()}'; cat >/dev/null"), link);
        Assert.That(done.ExitCode, Is.Zero, done.ToString());
        Assert.That(FileKinds.Of(link, followLinks: false), Is.EqualTo(FileKind.SymbolicLink), "the link stays a link");
        Assert.That(File.ReadAllBytes(target), Is.EqualTo(Body), "the body is where the link leads");
        Assert.That(LeftoverParts(), Is.Empty);
    }

    [Test]
    public async Task A_character_device_is_written_directly_and_never_deleted()
    {
        // A node of our own with /dev/null's numbers, so that a faulty client could only delete that.
        string device = Path.Combine(_dir, "null");
        if (!TryRun("mknod", device, "c", "1", "3")) Assert.Ignore("mknod is not permitted here");
        var result = await CallAsync(Server($"cat '{TruncatedResponse()}'"), device);

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(FileKinds.Of(device, followLinks: false), Is.EqualTo(FileKind.CharacterDevice));
        Assert.That(LeftoverParts(), Is.Empty, "no private file is made for a device");
    }

    [Test]
    public async Task A_fifo_is_streamed_to_and_never_deleted()
    {
        string fifo = Path.Combine(_dir, "pipe");
        Assert.That(TryRun("mkfifo", fifo), Is.True);
        var reader = Task.Run(() => File.ReadAllBytes(fifo)); // blocks until the writer opens it

        var result = await CallAsync(Server($"cat '{TruncatedResponse()}'"), fifo);
        byte[] streamed = await reader.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(streamed, Is.EqualTo(Body), "the bytes that arrived went straight through");
        Assert.That(FileKinds.Of(fifo, followLinks: false), Is.EqualTo(FileKind.Fifo));
    }

    [Test]
    public async Task A_client_killed_mid_transfer_leaves_no_partial_body_under_the_final_name()
    {
        string output = Path.Combine(_dir, "killed.bin");
        File.WriteAllText(output, "old contents");
        // The server sends half a frame and waits for the client's end of the pipe to close.
        var info = CliProcess.StartInfo(["call", "--connect", Server($"cat '{TruncatedResponse()}'; cat >/dev/null"), "Source", "--json", "{}", "--octets-out", output]);
        using var client = Process.Start(info)!;
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!LeftoverParts().Any(p => new FileInfo(p).Length == Body.Length))
            {
                if (DateTime.UtcNow > deadline || client.HasExited) Assert.Fail("the partial body never reached the private file");
                await Task.Delay(50);
            }
            client.Kill(); // SIGKILL: no cleanup code runs
            await client.WaitForExitAsync();
        }
        finally
        {
            if (!client.HasExited) client.Kill();
        }

        Assert.That(File.ReadAllText(output), Is.EqualTo("old contents"));
    }

    private static bool TryRun(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
