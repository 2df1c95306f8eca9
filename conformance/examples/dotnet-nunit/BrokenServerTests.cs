using System.Buffers.Binary;

namespace ZrpcConformanceExample;

/// <summary>
/// Shows what a failure looks like: the same server seen through a connection that turns every
/// frame's length big-endian on its way to the kit (FRAME-1 says little-endian). Runs only when
/// ZRPC_EXAMPLE_BROKEN_SERVER=1; leave it out of your own copy.
/// </summary>
[TestFixtureSource(nameof(WhenAsked))]
public sealed class BrokenServerTests : ExampleServerTests
{
    public static IEnumerable<TestFixtureData> WhenAsked()
    {
        if (Environment.GetEnvironmentVariable("ZRPC_EXAMPLE_BROKEN_SERVER") == "1")
        {
            yield return new TestFixtureData();
        }
    }

    protected override async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
        => new BigEndianLengths(await base.ConnectAsync(cancellationToken));

    /// <summary>Passes every byte through, except that each frame header's length field arrives byte-swapped.</summary>
    private sealed class BigEndianLengths(Stream inner) : Stream
    {
        private const int HeaderSize = 6;
        private readonly byte[] _header = new byte[HeaderSize];
        private int _headerHave;
        private int _headerGiven = HeaderSize;
        private long _payloadLeft;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty) return 0;
            if (_headerGiven < HeaderSize)
            {
                return GiveHeader(buffer.Span);
            }

            if (_payloadLeft > 0)
            {
                var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _payloadLeft)], cancellationToken);
                _payloadLeft -= n;
                return n;
            }

            while (_headerHave < HeaderSize)
            {
                var n = await inner.ReadAsync(_header.AsMemory(_headerHave), cancellationToken);
                if (n == 0)
                {
                    // The end of the stream: hand on a partial header as it came.
                    var partial = Math.Min(_headerHave, buffer.Length);
                    _header.AsSpan(0, partial).CopyTo(buffer.Span);
                    _headerHave = 0;
                    return partial;
                }

                _headerHave += n;
            }

            _payloadLeft = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(2));
            _header.AsSpan(2, 4).Reverse();
            _headerHave = 0;
            _headerGiven = 0;
            return GiveHeader(buffer.Span);
        }

        private int GiveHeader(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, HeaderSize - _headerGiven);
            _header.AsSpan(_headerGiven, n).CopyTo(buffer);
            _headerGiven += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
