using System.Diagnostics;
using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

[TestFixture]
public class ExecTransportTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Exec_cat_echoes_bytes_written_to_its_stdin()
    {
        var stream = (ProcessStream)await Connector.ConnectAsync(TransportAddress.Parse("exec:cat"), CancellationToken.None);
        await using (stream)
        {
            // Larger than a pipe buffer (64 KiB): only works if reading and writing overlap.
            var payload = TransportTestData.Pattern(5 * 1024 * 1024 + 3);
            var echoed = await TransportTestData.EchoThroughAsync(stream, payload).WaitAsync(Patience);
            Assert.That(echoed, Is.EqualTo(payload));
        }
        Assert.That(stream.ExitCode, Is.EqualTo(0), "cat exits by itself once its stdin is closed");
    }

    [Test]
    public async Task Exec_stdout_end_of_stream_is_seen_as_end_of_stream()
    {
        await using var stream = await Connector.ConnectAsync(TransportAddress.Parse("exec:printf abc"), CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy).WaitAsync(Patience);
        Assert.That(copy.ToArray(), Is.EqualTo("abc"u8.ToArray()));
    }

    [Test]
    public async Task Exec_collects_the_child_stderr_apart_from_the_wire()
    {
        var seenLive = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var stream = (ProcessStream)await Connector.ConnectAsync(
            TransportAddress.Parse("exec:sh -c 'echo on-stdout; echo \"first problem\" >&2; echo second >&2'"),
            seenLive.Enqueue,
            CancellationToken.None);
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy).WaitAsync(Patience);
            Assert.That(System.Text.Encoding.UTF8.GetString(copy.ToArray()), Is.EqualTo("on-stdout\n"));
            await stream.WaitForExitAsync().WaitAsync(Patience);
        }
        Assert.That(stream.StandardErrorText, Is.EqualTo("first problem\nsecond\n"));
        Assert.That(string.Concat(seenLive), Is.EqualTo("first problem\nsecond\n"));
    }

    [Test]
    public async Task Exec_stderr_buffer_is_bounded_and_keeps_the_tail()
    {
        // 200 000 bytes of 'x', then a final marker line.
        var stream = (ProcessStream)await Connector.ConnectAsync(
            TransportAddress.Parse("exec:sh -c 'head -c 200000 /dev/zero | tr \"\\0\" x >&2; echo END-MARKER >&2'"),
            CancellationToken.None);
        await using (stream)
        {
            await stream.CopyToAsync(Stream.Null).WaitAsync(Patience);
            await stream.WaitForExitAsync().WaitAsync(Patience);
        }
        string text = stream.StandardErrorText;
        Assert.That(text.Length, Is.EqualTo(ProcessStream.StandardErrorCapacity));
        Assert.That(text, Does.EndWith("xEND-MARKER\n"));
    }

    [Test]
    public async Task Dispose_kills_a_child_that_does_not_exit_when_its_stdin_closes()
    {
        // The child ignores its stdin, so only a kill ends it; its sleeping grandchild must die too.
        var stream = (ProcessStream)await Connector.ConnectAsync(
            TransportAddress.Parse("exec:sh -c 'sleep 300 & echo $!; wait'"), CancellationToken.None);
        stream.ExitGracePeriod = TimeSpan.FromMilliseconds(200);
        int childPid = stream.ProcessId;
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != (byte)'\n') line.Add(one[0]);
        int grandchildPid = int.Parse(System.Text.Encoding.ASCII.GetString(line.ToArray()));

        await stream.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.That(IsRunning(childPid), Is.False, "the child was killed");
        Assert.That(await WaitUntilGoneAsync(grandchildPid), Is.True, "the grandchild was killed with the tree");
    }

    [Test]
    public async Task Dispose_ends_a_grandchild_left_behind_by_a_child_that_exited()
    {
        // The child forks a long sleeper and exits at once: the sleeper is no longer in its
        // process tree, only in its process group.
        var stream = (ProcessStream)await Connector.ConnectAsync(
            TransportAddress.Parse("exec:sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $!'"), CancellationToken.None);
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != (byte)'\n') line.Add(one[0]);
        int grandchildPid = int.Parse(System.Text.Encoding.ASCII.GetString(line.ToArray()));
        await stream.WaitForExitAsync().WaitAsync(Patience);
        Assert.That(IsRunning(grandchildPid), Is.True, "the grandchild outlives the child until the connection ends");

        await stream.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.That(await WaitUntilGoneAsync(grandchildPid), Is.True, "the grandchild was ended with the child's process group");
    }

    [Test]
    public async Task Exec_of_a_missing_program_fails_with_IOException_naming_it()
    {
        var error = await Assert.ThrowsAsync<IOException>(async () =>
            await Connector.ConnectAsync(TransportAddress.Parse("exec:/nonexistent/zrpc-no-such-program arg"), CancellationToken.None));
        Assert.That(error!.Message, Does.Contain("/nonexistent/zrpc-no-such-program"));
    }

    [Test]
    public async Task Writing_to_a_child_that_exited_fails_with_IOException()
    {
        await using var stream = (ProcessStream)await Connector.ConnectAsync(TransportAddress.Parse("exec:true"), CancellationToken.None);
        await stream.WaitForExitAsync().WaitAsync(Patience);
        await Assert.ThrowsAsync(Is.InstanceOf<IOException>(), async () =>
        {
            // The first write may land in the pipe buffer before the broken pipe is noticed.
            for (int i = 0; i < 100; i++) await stream.WriteAsync(new byte[65536]);
        });
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>An orphaned grandchild is reaped by init asynchronously; poll instead of assuming timing.</summary>
    private static async Task<bool> WaitUntilGoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (!IsRunning(pid) || IsZombie(pid)) return true;
            await Task.Delay(50);
        }
        return false;
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
