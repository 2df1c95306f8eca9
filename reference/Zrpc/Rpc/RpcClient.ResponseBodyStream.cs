using Zrpc.Messages;

namespace Zrpc.Rpc;

public sealed partial class RpcClient
{
    /// <summary>
    /// The Octets response body handed to the caller. Reaching its end (or disposing it, which
    /// drains the rest) frees the connection for the next call; a broken body ends the connection.
    /// </summary>
    private sealed class ResponseBodyStream(RpcClient client, DataMessageReadStream inner) : Stream
    {
        private bool _released;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => inner.BytesRead; set => throw new NotSupportedException(); }

        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_released && !inner.Ended)
            {
                throw new ObjectDisposedException(nameof(ResponseBodyStream));
            }

            try
            {
                int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0 && buffer.Length > 0)
                {
                    Release();
                }

                return n;
            }
            catch (ConnectionResetException)
            {
                await client.EndConnectionAsync(sendRst: false).ConfigureAwait(false);
                Release();
                throw;
            }
            catch
            {
                await client.EndConnectionAsync(sendRst: true).ConfigureAwait(false);
                Release();
                throw;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
            => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask DisposeAsync()
        {
            if (!_released)
            {
                try
                {
                    if (!client._ended)
                    {
                        await inner.DrainAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch
                {
                    await client.EndConnectionAsync(sendRst: true).ConfigureAwait(false);
                }

                Release();
            }

            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_released)
            {
                DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            base.Dispose(disposing);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private void Release()
        {
            if (!_released)
            {
                _released = true;
                client.ExitCall();
            }
        }
    }
}
