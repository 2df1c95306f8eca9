using NUnit.Framework;
using System.Threading.Tasks.Sources;
using Zrpc.Frames;
using Zrpc.Messages;

namespace Zrpc.Tests.Frames;

/// <summary>
/// Reads that wait for the peer allocate nothing per read, whichever thread completes them
/// (the target is under 64 KiB allocated per GiB streamed). The reads here all wait, and one of a few
/// threads picked at random completes each, the way thread-pool workers complete socket reads; header waits and payload waits alternate, so a per-thread cache of state machines
/// keeps missing.
/// </summary>
[NonParallelizable]
public sealed class WaitingReadAllocationTests
{
    private const int Frames = 4000;

    [TestCase(0, 100, 64 * 1024, TestName = "Header and payload reads that wait allocate nothing per frame (no read-ahead)")]
    [TestCase(FrameReader.ConnectionReadAhead, 100, 64, TestName = "Small frames through the read-ahead buffer allocate nothing per frame when reads wait")]
    [TestCase(FrameReader.ConnectionReadAhead, 40_000, 64 * 1024, TestName = "Bulk frames read past the read-ahead buffer allocate nothing per frame when reads wait")]
    public async Task Reads_that_wait_do_not_allocate_per_frame(int readAhead, int payloadBytes, int bytesPerRead)
    {
#if DEBUG
        // A Debug build compiles every async state machine as a class, one allocation per call that
        // waits: only the optimized build (what test.sh and CI run) says anything about allocation.
        Assert.Ignore("allocation per frame is measured in a Release build only");
#endif
        byte[] wire = DataMessage(Frames, payloadBytes);
        using var stream = new RelayedStream(wire, completers: 4, bytesPerRead);
        var reader = new FrameReader(stream, readAhead);
        var message = new MessageReader(reader).OpenDataMessageStream();
        byte[] buffer = new byte[payloadBytes];

        // A warm-up, so that the JIT and the pools have settled before counting.
        // The awaits here do not come back to the test framework's context, which would allocate
        // per read itself.
        long total = await ReadFramesAsync(message, buffer, Frames / 4).ConfigureAwait(false);
        // Three windows, the least of them counted: the count is process-wide, so work left behind by
        // other tests (a timer, a server shutting down) can add to one window, while an allocation
        // per frame shows in every one.
        const int Window = Frames / 6;
        long allocated = long.MaxValue;
        for (int w = 0; w < 3; w++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            total += await ReadFramesAsync(message, buffer, Window).ConfigureAwait(false);
            allocated = Math.Min(allocated, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        total += await ReadFramesAsync(message, buffer, int.MaxValue).ConfigureAwait(false);

        TestContext.Out.WriteLine($"{allocated} bytes allocated over {Window} frames (the least of three windows); {stream.ReadsThatWaited} reads waited in all");
        Assert.That(total, Is.EqualTo((long)Frames * payloadBytes), "the whole message arrived");
        Assert.That(stream.ReadsThatWaited, Is.GreaterThan(Frames), "the reads did wait");
        // One state machine box is about 150 bytes: a box per frame would be far over the bound.
        Assert.That(allocated / (double)Window, Is.LessThan(16), $"bytes allocated per frame ({allocated} bytes for {Window} frames)");
    }

    private static async Task<long> ReadFramesAsync(DataMessageReadStream message, byte[] buffer, int frames)
    {
        long total = 0;
        for (int i = 0; i < frames; i++)
        {
            int n = await message.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
            // The rest of a frame whose first read came back short.
            while (total % buffer.Length != 0)
            {
                int more = await message.ReadAsync(buffer.AsMemory(0, (int)(buffer.Length - total % buffer.Length)), CancellationToken.None).ConfigureAwait(false);
                if (more == 0)
                {
                    return total;
                }

                total += more;
            }
        }

        return total;
    }

    private static byte[] DataMessage(int frames, int payloadBytes)
    {
        byte[] wire = new byte[frames * (FrameLimits.HeaderSize + payloadBytes)];
        for (int i = 0; i < frames; i++)
        {
            int at = i * (FrameLimits.HeaderSize + payloadBytes);
            FrameHeader.Create(FrameType.Data, end: i == frames - 1, payloadBytes).WriteTo(wire.AsSpan(at));
            wire.AsSpan(at + FrameLimits.HeaderSize, payloadBytes).Fill((byte)i);
        }

        return wire;
    }

    /// <summary>
    /// A stream over fixed bytes whose every read waits: it is handed to one of a few threads, picked
    /// at random, which completes it. Nothing is allocated per read.
    /// </summary>
    private sealed class RelayedStream : Stream, IValueTaskSource<int>
    {
        private readonly byte[] _bytes;
        private readonly int _bytesPerRead;
        private readonly Thread[] _threads;
        private readonly SemaphoreSlim[] _turns;
        private ManualResetValueTaskSourceCore<int> _core;
        private Memory<byte> _target;
        private int _position;
        // Which thread completes a read is left to chance, as with thread-pool workers; seeded, so
        // that every run sees the same order.
        private readonly Random _order = new(6);
        private volatile bool _stopping;

        public RelayedStream(byte[] bytes, int completers, int bytesPerRead)
        {
            _bytes = bytes;
            _bytesPerRead = bytesPerRead;
            _turns = Enumerable.Range(0, completers).Select(_ => new SemaphoreSlim(0)).ToArray();
            _threads = Enumerable.Range(0, completers).Select(i => new Thread(() => Complete(i)) { IsBackground = true, Name = $"completer {i}" }).ToArray();
            foreach (var t in _threads) t.Start();
        }

        public int ReadsThatWaited { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _core.Reset();
            _target = buffer;
            ReadsThatWaited++;
            _turns[_order.Next(_turns.Length)].Release();
            return new ValueTask<int>(this, _core.Version);
        }

        private void Complete(int index)
        {
            while (true)
            {
                _turns[index].Wait();
                if (_stopping) return;
                // A bulk frame takes several reads, like a pipe's; small ones split frames across reads.
                int n = Math.Min(Math.Min(_target.Length, _bytesPerRead), _bytes.Length - _position);
                _bytes.AsSpan(_position, n).CopyTo(_target.Span);
                _position += n;
                _target = default;
                _core.SetResult(n);
            }
        }

        int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_stopping)
            {
                _stopping = true;
                foreach (var turn in _turns) turn.Release();
                // The test itself may be running on one of them by now.
                foreach (var t in _threads.Where(t => t != Thread.CurrentThread)) t.Join();
            }

            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _bytes.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("reads here are asynchronous");
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
