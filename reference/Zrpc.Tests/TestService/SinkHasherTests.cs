using System.Security.Cryptography;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Rpc;
using Zrpc.Tests.Frames;
using Zrpc.Tests.Rpc;
using Zrpc.TestService;

namespace Zrpc.Tests.TestService;

/// <summary>
/// Sink's hash runs on another thread while the next chunk is read: the result must be the hash of
/// the bytes in order whatever the read and chunk sizes, and failures, cancellation and the
/// thread a blocking connection runs on must come out as they would without the overlap.
/// </summary>
[Category("CTS-5")]
public sealed class SinkHasherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [TestCase(1, 5_000, 1)]
    [TestCase(7, 50_000, 3)]
    [TestCase(4099, 3_000_000, 5)]
    [TestCase(65_537, 3_000_000, 7)]
    [TestCase(SinkHasher.DefaultChunkSize, 3_000_000, 11)]
    public async Task Length_and_hash_are_those_of_the_whole_body_whatever_the_read_and_chunk_sizes(int chunkSize, int maxLength, int seed)
    {
        var random = new Random(seed);
        byte[] data = new byte[random.Next(1, maxLength)];
        random.NextBytes(data);
        using var body = new RandomReadsStream(data, random.Next(1, 100_000), seed);
        using var hasher = new SinkHasher();

        var (length, sha256) = await hasher.RunAsync(body, chunkSize, CancellationToken.None).WaitAsync(Patience);

        Assert.That(length, Is.EqualTo((ulong)data.Length), $"seed {seed}");
        Assert.That(Convert.ToHexStringLower(sha256), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))), $"seed {seed}, chunk {chunkSize}");
        Assert.That(hasher.ChunksHashed, Is.EqualTo((data.Length + chunkSize - 1) / chunkSize), "every chunk but the last was filled before it was hashed");
    }

    [Test]
    public async Task An_empty_body_has_the_hash_of_nothing()
    {
        var (length, sha256) = await SinkHasher.HashAsync(new MemoryStream(), CancellationToken.None).WaitAsync(Patience);
        Assert.That((length, Convert.ToHexStringLower(sha256)), Is.EqualTo((0UL, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")));
    }

    [Test]
    public async Task A_read_that_fails_mid_body_is_thrown_once_the_chunk_being_hashed_is_done()
    {
        using var gate = new SemaphoreSlim(0);
        using var hasher = new SinkHasher(() => gate.Wait(Patience));
        var failure = new IOException("the connection broke");
        var body = new ScriptedStream(chunk: 1000, thenFail: failure);

        var run = hasher.RunAsync(body, 1000, CancellationToken.None);
        await body.SecondReadStarted.Task.WaitAsync(Patience);
        Assert.That(hasher.Busy, Is.True, "the first chunk is held in the hash");
        body.Release();
        // The read has failed by now or will shortly; the call must still wait for the hash.
        await body.Failed.Task.WaitAsync(Patience);
        Assert.That(run.IsCompleted, Is.False, "returned while a buffer was still being hashed");
        gate.Release();

        var thrown = await Assert.ThrowsAsync<IOException>(async () => await run.WaitAsync(Patience));
        Assert.That(thrown, Is.SameAs(failure));
        Assert.That((hasher.Busy, hasher.ChunksHashed), Is.EqualTo((false, 1)));
    }

    [Test]
    public async Task Cancellation_ends_the_call_and_the_hashing_of_the_chunk_in_hand()
    {
        using var gate = new SemaphoreSlim(0);
        using var hasher = new SinkHasher(() => gate.Wait(Patience));
        using var cts = new CancellationTokenSource();
        var body = new ScriptedStream(chunk: 1000, thenFail: null);

        var run = hasher.RunAsync(body, 1000, cts.Token);
        await body.SecondReadStarted.Task.WaitAsync(Patience);
        await cts.CancelAsync();
        await body.Failed.Task.WaitAsync(Patience);
        Assert.That(run.IsCompleted, Is.False, "returned while a buffer was still being hashed");
        gate.Release();

        await Assert.CatchAsync<OperationCanceledException>(async () => await run.WaitAsync(Patience));
        Assert.That((hasher.Busy, hasher.ChunksHashed), Is.EqualTo((false, 1)), "no hashing goes on after the call ended");
    }

    [Test]
    public async Task A_failing_hash_is_thrown_by_the_call()
    {
        using var hasher = new SinkHasher(() => throw new CryptographicException("hash broke"));
        var body = new MemoryStream(new byte[5000]);
        var thrown = await Assert.ThrowsAsync<CryptographicException>(async () => await hasher.RunAsync(body, 1000, CancellationToken.None).WaitAsync(Patience));
        Assert.That(thrown!.Message, Is.EqualTo("hash broke"));
    }

    [Test]
    public void A_reader_on_its_own_thread_stays_on_it()
    {
        // A connection served on a thread of its own reads with blocking calls; the wait for the
        // hash must not move the rest of its work onto the thread pool.
        var threads = new HashSet<int>();
        byte[] data = new byte[300_000];
        Random.Shared.NextBytes(data);
        var body = new ThreadRecordingStream(data, threads);
        (ulong Length, byte[] Sha256) result = default;
        Exception? failure = null;
        int ownThread = 0;
        var thread = new Thread(() =>
        {
            ownThread = Environment.CurrentManagedThreadId;
            try
            {
                using var hasher = new SinkHasher(() => Thread.Sleep(1));
                result = hasher.RunAsync(body, 10_000, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        Assert.That(thread.Join(Patience), Is.True);

        Assert.That(failure, Is.Null);
        Assert.That(result.Sha256, Is.EqualTo(SHA256.HashData(data)));
        Assert.That(threads, Is.EqualTo(new HashSet<int> { ownThread }), "every read ran on the thread that started the call");
    }

    [Test, NonParallelizable]
    public async Task Hashing_allocates_nothing_per_chunk()
    {
#if DEBUG
        Assert.Ignore("allocation per chunk is measured in a Release build only");
#endif
        const int chunk = 16 * 1024;
        // On the thread pool, where a served connection's handler runs unless it has a thread of its own.
        await Task.Run(() => Measure(100)).ConfigureAwait(false);
        var (allocated, chunks) = await Task.Run(() => Measure(4000)).ConfigureAwait(false);

        Assert.That(chunks, Is.EqualTo(4000));
        // The call's own state machine and result are a few hundred bytes; a box per chunk would be 400 KB.
        Assert.That(allocated, Is.LessThan(40_000), $"{allocated} bytes allocated over 4000 chunks");

        static async Task<(long Allocated, int Chunks)> Measure(int chunks)
        {
            using var hasher = new SinkHasher();
            var body = new PatternStream((ulong)(chunks * chunk));
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await hasher.RunAsync(body, chunk, CancellationToken.None).ConfigureAwait(false);
            return (GC.GetTotalAllocatedBytes(precise: true) - before, hasher.ChunksHashed);
        }
    }

    [Test, Category("MSG-2")]
    public async Task Sink_over_the_wire_counts_and_hashes_a_body_split_at_odd_frame_boundaries()
    {
        var random = new Random(251);
        var frames = new List<byte[]>();
        var all = new List<byte>();
        foreach (int size in new[] { 1, 0, 250, 4093, 65_537, 1_048_583, 3, 2_000_001 })
        {
            byte[] payload = new byte[size];
            random.NextBytes(payload);
            all.AddRange(payload);
            frames.Add(Wire.Frame(FrameType.Data, false, payload));
        }

        frames.Add(Wire.Frame(FrameType.Data, true, [7]));
        all.Add(7);

        var (client, server) = PipeEnd.CreatePair();
        var rpc = new RpcServer();
        ConformanceService.Register(rpc);
        var serving = rpc.ServeConnectionAsync(server, CancellationToken.None);
        var responses = new Zrpc.Messages.MessageReader(new FrameReader(client));
        var sending = client.WriteAsync(RawRequests.Request("Sink", 3, 2, [.. frames])).AsTask();

        using var cts = new CancellationTokenSource(Patience);
        var response = await RawRequests.ReadResponseAsync(responses, cts.Token);
        await sending;
        client.Dispose();
        await serving.WaitAsync(Patience);

        Assert.That(response, Is.Not.Null);
        Assert.That(response!.Header.Error, Is.EqualTo((ulong)Status.Ok));
        var sunk = JsonSerializer.Deserialize<ConformanceService.SinkResponse>(response.Body!)!;
        Assert.That(sunk.Length, Is.EqualTo((ulong)all.Count));
        Assert.That(sunk.SHA256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(all.ToArray()))));
    }

    [Test, Category("FRAME-2"), Category("CONN-1")]
    public async Task A_malformed_frame_mid_body_is_a_protocol_error_with_its_requirement_id()
    {
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (client, server) = PipeEnd.CreatePair();
        var rpc = new RpcServer(new RpcServerOptions { Log = log.Enqueue });
        ConformanceService.Register(rpc);
        var serving = rpc.ServeConnectionAsync(server, CancellationToken.None);
        // Two and a half chunks of body, so that one is being hashed when the bad frame arrives.
        await client.WriteAsync(RawRequests.Request("Sink", 3, 2,
            Wire.Frame(FrameType.Data, false, new byte[SinkHasher.DefaultChunkSize * 5 / 2]),
            Wire.Frame(0x04, 0, [])));

        byte[] rest = await client.ReadToEndAsync(Patience);
        await serving.WaitAsync(Patience);

        Assert.That(rest, Is.EqualTo(Wire.Rst), "no response, only the RST");
        Assert.That(log, Has.Some.Contains("protocol error [FRAME-2]"), string.Join("\n", log));
    }

    /// <summary>Gives <c>data</c> in reads of random sizes up to a maximum, some of them one byte.</summary>
    private sealed class RandomReadsStream(byte[] data, int maxRead, int seed) : Stream
    {
        private readonly Random _random = new(seed);
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(buffer.Length, data.Length - _position), _random.Next(4) == 0 ? 1 : _random.Next(1, maxRead + 1));
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // Some reads complete later, on another thread, as socket reads do.
            if (_random.Next(3) == 0) await Task.Yield();
            return Read(buffer.Span);
        }

        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// One chunk of zeros, then a read that waits until released (or cancelled) and then throws
    /// <c>thenFail</c> (or the cancellation).
    /// </summary>
    private sealed class ScriptedStream(int chunk, Exception? thenFail) : Stream
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public TaskCompletionSource SecondReadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_reads++ == 0)
            {
                int n = Math.Min(chunk, buffer.Length);
                buffer.Span[..n].Clear();
                return n;
            }

            SecondReadStarted.TrySetResult();
            try
            {
                await _release.Task.WaitAsync(cancellationToken);
                throw thenFail!;
            }
            finally
            {
                Failed.TrySetResult();
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Reads that complete synchronously, as blocking socket reads do, noting their thread.</summary>
    private sealed class ThreadRecordingStream(byte[] data, HashSet<int> threads) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            lock (threads) threads.Add(Environment.CurrentManagedThreadId);
            int n = Math.Min(Math.Min(count, 3000), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            byte[] temp = new byte[buffer.Length];
            int n = Read(temp, 0, temp.Length);
            temp.AsSpan(0, n).CopyTo(buffer.Span);
            return ValueTask.FromResult(n);
        }

        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
