using System.IO.Pipes;
using System.Security.Cryptography;
using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

[TestFixture]
[Category("TRANS-1")]
[Platform("Linux")]
public class PipeEndStreamTests
{
    /// <summary>One anonymous pipe with a PipeEndStream on each end; the writer owns its end, so disposing it ends the stream.</summary>
    private sealed class OnePipe : IDisposable
    {
        private readonly AnonymousPipeServerStream _creator = new(PipeDirection.Out);

        public OnePipe()
        {
            Writer = new PipeEndStream(_creator.SafePipeHandle, FileAccess.Write, ownsHandle: true);
            Reader = new PipeEndStream(_creator.ClientSafePipeHandle, FileAccess.Read, ownsHandle: true);
        }

        public PipeEndStream Writer { get; }

        public PipeEndStream Reader { get; }

        public void Dispose()
        {
            Writer.Dispose();
            Reader.Dispose();
            _creator.Dispose();
        }
    }

    [Test]
    public async Task Carries_a_body_larger_than_the_pipe_byte_for_byte()
    {
        using var pipe = new OnePipe();
        var body = RandomNumberGenerator.GetBytes(3 << 20); // far more than the 64 KiB a pipe holds
        var writing = Task.Run(async () =>
        {
            await pipe.Writer.WriteAsync(body);
            pipe.Writer.Dispose();
        });

        var received = new MemoryStream();
        await pipe.Reader.CopyToAsync(received);
        await writing;

        Assert.That(received.ToArray(), Is.EqualTo(body));
    }

    [Test]
    public async Task Reads_end_of_stream_once_the_owning_writer_is_disposed()
    {
        using var pipe = new OnePipe();
        await pipe.Writer.WriteAsync(new byte[] { 1, 2, 3 });
        pipe.Writer.Dispose();

        var buffer = new byte[8];
        Assert.That(await pipe.Reader.ReadAsync(buffer), Is.EqualTo(3));
        Assert.That(await pipe.Reader.ReadAsync(buffer), Is.EqualTo(0));
    }

    [Test]
    public async Task A_waiting_read_ends_when_its_token_is_cancelled()
    {
        using var pipe = new OnePipe();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThatAsync(async () => await pipe.Reader.ReadAsync(new byte[8], cancel.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task A_frame_reader_on_a_pipe_reports_a_stalled_frame_as_conn5()
    {
        using var pipe = new OnePipe();
        // A Data frame header announcing 10 bytes (little-endian length), then only 2 of them: the peer stalls mid-frame.
        await pipe.Writer.WriteAsync(new byte[] { 2, 0, 10, 0, 0, 0, 0xAA, 0xBB });
        var reader = new FrameReader(pipe.Reader) { ReadTimeout = TimeSpan.FromMilliseconds(300) };

        var header = await reader.ReadHeaderAsync(default);
        Assert.That(header?.Length, Is.EqualTo(10u));
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadPayloadExactlyAsync(new byte[10], default));
        Assert.That(ex!.RequirementId, Is.EqualTo("CONN-5"));
    }

    [Test]
    public void Knows_a_pipe_from_a_regular_file()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        Assert.That(PipeEndStream.IsPollable((int)pipe.SafePipeHandle.DangerousGetHandle()), Is.True);

        string path = Path.GetTempFileName();
        try
        {
            using var file = File.OpenHandle(path);
            Assert.That(PipeEndStream.IsPollable((int)file.DangerousGetHandle()), Is.False, "epoll refuses regular files");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Refuses_the_direction_it_was_not_opened_for()
    {
        using var pipe = new OnePipe();
        Assert.That(pipe.Reader.CanWrite, Is.False);
        Assert.That(pipe.Writer.CanRead, Is.False);
        Assert.Throws<NotSupportedException>(() => pipe.Reader.Write(new byte[1]));
        Assert.Throws<NotSupportedException>(() => pipe.Writer.ReadExactly(new byte[1]));
    }
}
