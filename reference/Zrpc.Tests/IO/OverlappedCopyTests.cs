using NUnit.Framework;
using Zrpc.IO;

namespace Zrpc.Tests.IO;

/// <summary>The copy behind <c>zrpc call</c>'s Octets output writes one chunk while it reads the next.</summary>
public sealed class OverlappedCopyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [TestCase(1, 1)]
    [TestCase(4096, 2)]
    [TestCase(65_537, 3)]
    public async Task The_copy_is_the_input_in_order_whatever_the_read_sizes_and_write_delays(int chunkSize, int seed)
    {
        var random = new Random(seed);
        byte[] data = new byte[chunkSize == 1 ? 3000 : random.Next(1, 2_000_000)];
        random.NextBytes(data);
        var from = new ShortReads(data, seed);
        var to = new SlowWrites();

        long copied = await OverlappedCopy.CopyAsync(from, to, CancellationToken.None, chunkSize).WaitAsync(Patience);

        Assert.That(copied, Is.EqualTo(data.LongLength));
        Assert.That(to.ToArray(), Is.EqualTo(data), $"seed {seed}");
        Assert.That(to.Overlapped, Is.False, "a write started before the previous one ended");
    }

    [Test]
    public async Task A_failing_read_is_thrown_once_the_write_in_flight_is_over()
    {
        var failure = new IOException("the response broke");
        var from = new FailAfterFirstRead(1000, failure);
        var to = new GatedWrites();

        var copy = OverlappedCopy.CopyAsync(from, to, CancellationToken.None, 1000);
        await to.WriteStarted.Task.WaitAsync(Patience);
        await from.Failed.Task.WaitAsync(Patience);
        Assert.That(copy.IsCompleted, Is.False, "returned while a pooled buffer was still being written");
        to.Release();

        var thrown = await Assert.ThrowsAsync<IOException>(async () => await copy.WaitAsync(Patience));
        Assert.That(thrown, Is.SameAs(failure));
    }

    [Test]
    public async Task A_failing_write_is_thrown()
    {
        var from = new MemoryStream(new byte[10_000]);
        var to = new FailingWrites(new IOException("disk full"));
        var thrown = await Assert.ThrowsAsync<IOException>(async () => await OverlappedCopy.CopyAsync(from, to, CancellationToken.None, 1000).WaitAsync(Patience));
        Assert.That(thrown!.Message, Is.EqualTo("disk full"));
        Assert.That(from.Position, Is.LessThanOrEqualTo(3000), "the copy stopped at the failed write");
    }

    /// <summary>A stream that only reads or only writes; the members a copy never calls throw.</summary>
    private abstract class OneWay(bool reads) : Stream
    {
        public override bool CanRead => reads;
        public override bool CanSeek => false;
        public override bool CanWrite => !reads;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private abstract class ReadOnly() : OneWay(reads: true);

    private abstract class WriteOnly() : OneWay(reads: false);

    private sealed class ShortReads(byte[] data, int seed) : ReadOnly
    {
        private readonly Random _random = new(seed);
        private int _position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_random.Next(3) == 0) await Task.Yield();
            int n = Math.Min(Math.Min(buffer.Length, data.Length - _position), _random.Next(1, 70_000));
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
    }

    /// <summary>Writes that complete later, on another thread, copying the bytes only then.</summary>
    private sealed class SlowWrites : WriteOnly
    {
        private readonly MemoryStream _written = new();
        private int _inFlight;

        public bool Overlapped { get; private set; }

        public byte[] ToArray() => _written.ToArray();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _inFlight) > 1) Overlapped = true;
            await Task.Yield();
            _written.Write(buffer.Span);
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private sealed class FailAfterFirstRead(int first, Exception failure) : ReadOnly
    {
        private int _reads;

        public TaskCompletionSource Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_reads++ == 0) return ValueTask.FromResult(Math.Min(first, buffer.Length));
            Failed.TrySetResult();
            return ValueTask.FromException<int>(failure);
        }
    }

    private sealed class GatedWrites : WriteOnly
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource WriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            WriteStarted.TrySetResult();
            return new ValueTask(_gate.Task);
        }
    }

    private sealed class FailingWrites(Exception failure) : WriteOnly
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            throw failure;
        }
    }
}
