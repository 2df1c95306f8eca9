using FrameDump.Capture;

namespace FrameDump.Tcp;

// One direction of a tracked connection: its reassembled bytes, and the gate that holds them
// until the connection is known to carry the protocol.
public sealed partial class ConnectionTracker
{
    private sealed partial class TcpConnection
    {
        /// <summary>One direction of a tracked connection: its reassembly and the gate in front of the decoder.</summary>
        private sealed class DirectionState(StreamReassembler reassembler, DirectionGate gate)
        {
            public StreamReassembler Reassembler { get; } = reassembler;

            public DirectionGate Gate { get; } = gate;
        }

        /// <summary>
        /// Holds a direction's first events until the connection is classified, then forwards
        /// them to the protocol decoder or drops them.
        /// </summary>
        private sealed class DirectionGate : IStreamConsumer
        {
            private readonly TcpConnection connection;
            private List<Action<IStreamConsumer>>? held;
            private byte[]? buffer;
            private int buffered;
            private bool released;
            private IStreamConsumer? target;

            public DirectionGate(TcpConnection connection, Endpoint source)
            {
                this.connection = connection;
                Source = source;
            }

            public Endpoint Source { get; }

            public Endpoint? Peer { get; set; }

            public int Buffered => buffered;

            public bool Ended { get; private set; }

            public ReadOnlySpan<byte> BufferedSpan => buffer.AsSpan(0, buffered);

            public void Release(IStreamConsumer? consumer)
            {
                if (released)
                {
                    return;
                }

                released = true;
                target = consumer;
                if (consumer is not null && held is not null)
                {
                    foreach (var action in held)
                    {
                        action(consumer);
                    }
                }

                held = null;
                buffer = null;
                buffered = 0;
            }

            public void OnData(ReadOnlySpan<byte> data, DateTime time)
            {
                if (released)
                {
                    target?.OnData(data, time);
                    return;
                }

                if (connection.classification == Classification.Ignored)
                {
                    Release(null);
                    return;
                }

                if (buffered + data.Length > MaxUndecidedBytes)
                {
                    // Nothing could be decided in 64 KiB: decide on what is there.
                    int room = MaxUndecidedBytes - buffered;
                    if (room > 0)
                    {
                        Hold(data[..room], time);
                        data = data[room..];
                    }

                    connection.Decide(this, time);
                    if (!released)
                    {
                        connection.Skip(SkipReason.NotRecognised, this, connection.client ?? Source, connection.server ?? Peer ?? Source, connection.client is not null, time);
                    }

                    OnData(data, time);
                    return;
                }

                Hold(data, time);
                TryDecide(time);
            }

            public void OnGap(long missing, DateTime time)
            {
                if (released)
                {
                    target?.OnGap(missing, time);
                    return;
                }

                (held ??= new()).Add(c => c.OnGap(missing, time));
                TryDecide(time);
            }

            public void OnEnd(StreamEndReason reason, DateTime time)
            {
                Ended = true;
                if (released)
                {
                    target?.OnEnd(reason, time);
                    return;
                }

                (held ??= new()).Add(c => c.OnEnd(reason, time));
                TryDecide(time);
            }

            private void Hold(ReadOnlySpan<byte> data, DateTime time)
            {
                if (data.IsEmpty)
                {
                    return;
                }

                buffer ??= new byte[Math.Max(64, data.Length)];
                if (buffered + data.Length > buffer.Length)
                {
                    Array.Resize(ref buffer, Math.Max(buffer.Length * 2, buffered + data.Length));
                }

                data.CopyTo(buffer.AsSpan(buffered));
                int start = buffered;
                int length = data.Length;
                buffered += length;
                (held ??= new()).Add(c => c.OnData(buffer.AsSpan(start, length), time));
            }

            private void TryDecide(DateTime time)
            {
                if (connection.owner.ports.Count > 0)
                {
                    if (connection.classification == Classification.Unknown && connection.client is not null)
                    {
                        connection.Decide(this, time);
                    }

                    return;
                }

                if (buffered > 0 || (connection.firstWithData is null && Ended && connection.Directions().All(d => d.Gate.Ended)))
                {
                    connection.Decide(this, time);
                }
            }
        }
    }
}
