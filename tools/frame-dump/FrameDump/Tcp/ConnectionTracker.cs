using FrameDump.Capture;

namespace FrameDump.Tcp;

/// <summary>
/// Routes captured segments to per-connection reassembly, decides which connections carry the
/// protocol (by port or by content) and which side is the client, and hands recognised
/// connections to a handler created by the caller.
/// </summary>
public sealed class ConnectionTracker
{
    private readonly Dictionary<(Endpoint, Endpoint), TcpConnection> connections = new();
    private readonly Func<ConnectionInfo, IConnectionHandler> handlerFactory;
    private readonly IReadOnlySet<int> ports;
    private readonly int reorderLimit;
    private int nextId = 1;

    public ConnectionTracker(Func<ConnectionInfo, IConnectionHandler> handlerFactory, IReadOnlySet<int> ports, int reorderLimit = 8 * 1024 * 1024)
    {
        this.handlerFactory = handlerFactory;
        this.ports = ports;
        this.reorderLimit = reorderLimit;
    }

    public long IgnoredConnections { get; private set; }

    public void Process(TcpSegment segment)
    {
        var key = Key(segment.Source, segment.Destination);
        if (connections.TryGetValue(key, out var connection) && segment.Syn && !segment.Ack && connection.HasTraffic)
        {
            // The 4-tuple is reused by a new connection.
            connection.Flush(StreamEndReason.EndOfCapture, segment.Time);
            connections.Remove(key);
            connection = null;
        }

        if (connection is null)
        {
            connection = new TcpConnection(this, segment.Time);
            connections[key] = connection;
        }

        connection.Process(segment);
        if (connection.IsFinished)
        {
            connections.Remove(key);
        }
    }

    /// <summary>End of capture: flush every connection still open, in order of first appearance.</summary>
    public void Finish(DateTime time)
    {
        foreach (var connection in connections.Values.OrderBy(c => c.FirstSeen).ToList())
        {
            connection.Flush(StreamEndReason.EndOfCapture, time);
        }

        connections.Clear();
    }

    private static (Endpoint, Endpoint) Key(Endpoint a, Endpoint b)
    {
        int order = string.CompareOrdinal(a.ToString(), b.ToString());
        return order <= 0 ? (a, b) : (b, a);
    }

    private enum Classification
    {
        Unknown,
        Protocol,
        Ignored,
    }

    private sealed class TcpConnection
    {
        private const int MaxUndecidedBytes = 64 * 1024;
        private readonly ConnectionTracker owner;
        private readonly Dictionary<Endpoint, (StreamReassembler Reassembler, DirectionGate Gate)> directions = new();
        private Classification classification = Classification.Unknown;
        private Endpoint? client;
        private Endpoint? server;
        private IConnectionHandler? handler;

        public TcpConnection(ConnectionTracker owner, DateTime firstSeen)
        {
            this.owner = owner;
            FirstSeen = firstSeen;
        }

        public DateTime FirstSeen { get; }

        public bool HasTraffic => directions.Values.Any(d => d.Reassembler.DeliveredBytes > 0 || d.Reassembler.Ended);

        public bool IsFinished => directions.Count == 2 && directions.Values.All(d => d.Reassembler.Ended);

        public void Process(TcpSegment segment)
        {
            if (owner.ports.Count > 0 && classification == Classification.Unknown)
            {
                bool srcIsServer = owner.ports.Contains(segment.Source.Port);
                bool dstIsServer = owner.ports.Contains(segment.Destination.Port);
                if (!srcIsServer && !dstIsServer)
                {
                    classification = Classification.Ignored;
                }
                else if (client is null && !segment.Syn)
                {
                    client = dstIsServer ? segment.Source : segment.Destination;
                    server = dstIsServer ? segment.Destination : segment.Source;
                }
            }

            var direction = Direction(segment.Source);
            direction.Gate.Peer ??= segment.Destination;
            uint dataSeq = segment.Sequence;
            if (segment.Syn)
            {
                if (client is null || classification == Classification.Unknown)
                {
                    client = segment.Ack ? segment.Destination : segment.Source;
                    server = segment.Ack ? segment.Source : segment.Destination;
                }

                direction.Reassembler.OnSyn(segment.Sequence);
                dataSeq++;
            }

            // The acknowledgement first: what the peer had received came before this segment's data.
            if (segment.Ack && directions.TryGetValue(segment.Destination, out var reverse))
            {
                reverse.Reassembler.OnAck(segment.AckNumber, segment.Time);
                if (!segment.Payload.IsEmpty || segment.Fin)
                {
                    reverse.Reassembler.DeclareAckedHolesLost(segment.Time);
                }
            }

            if (!segment.Payload.IsEmpty)
            {
                direction.Reassembler.OnSegment(dataSeq, segment.Payload.Span, segment.Time);
            }

            if (segment.Fin)
            {
                direction.Reassembler.OnFin(dataSeq, segment.Payload.Length, segment.Time);
            }

            if (segment.Rst)
            {
                Flush(StreamEndReason.Reset, segment.Time);
            }
        }

        public void Flush(StreamEndReason reason, DateTime time)
        {
            // Both directions need a reassembler so that the handler hears both ends.
            if (client is Endpoint c && server is Endpoint s)
            {
                Direction(c);
                Direction(s);
            }

            foreach (var direction in directions.Values.ToList())
            {
                direction.Reassembler.Flush(reason, time);
            }
        }

        private (StreamReassembler Reassembler, DirectionGate Gate) Direction(Endpoint source)
        {
            if (!directions.TryGetValue(source, out var direction))
            {
                var gate = new DirectionGate(this, source);
                direction = (new StreamReassembler(gate, owner.reorderLimit), gate);
                directions[source] = direction;
            }

            return direction;
        }

        private void Decide(DirectionGate firstWithData)
        {
            if (classification != Classification.Unknown)
            {
                return;
            }

            bool byPort = owner.ports.Count > 0;
            if (!byPort)
            {
                if (firstWithData.Buffered < ProtocolDetector.BytesNeeded && !firstWithData.Ended)
                {
                    return;
                }

                if (!ProtocolDetector.LooksLikeHeaderFrame(firstWithData.BufferedSpan))
                {
                    classification = Classification.Ignored;
                    owner.IgnoredConnections++;
                    foreach (var d in directions.Values)
                    {
                        d.Gate.Release(null);
                    }

                    return;
                }

                if (client is null)
                {
                    client = firstWithData.Source;
                    server = firstWithData.Peer;
                }
            }

            classification = Classification.Protocol;
            bool handshake = directions.Values.Any(d => d.Reassembler.SawHandshake);
            var info = new ConnectionInfo(owner.nextId++, client!.Value, server!.Value, FirstSeen, handshake);
            handler = owner.handlerFactory(info);
            Direction(client.Value);
            Direction(server.Value);
            foreach (var (source, d) in directions.OrderBy(kv => kv.Key.Equals(client.Value) ? 0 : 1).ToList())
            {
                d.Gate.Release(source.Equals(client.Value) ? handler.ClientToServer : handler.ServerToClient);
            }
        }

        /// <summary>
        /// Holds a direction's first events until the connection is classified, then forwards
        /// them to the protocol decoder or drops them.
        /// </summary>
        private sealed class DirectionGate : IStreamConsumer
        {
            private readonly TcpConnection connection;
            private readonly List<Action<IStreamConsumer>> held = new();
            private byte[] buffer = new byte[256];
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
                if (consumer is not null)
                {
                    foreach (var action in held)
                    {
                        action(consumer);
                    }
                }

                held.Clear();
                buffer = Array.Empty<byte>();
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
                    if (connection.owner.ports.Count == 0)
                    {
                        connection.Decide(this);
                    }

                    if (!released)
                    {
                        // Nothing could be decided in 64 KiB: not this protocol.
                        connection.classification = Classification.Ignored;
                        Release(null);
                    }

                    OnData(data, time);
                    return;
                }

                if (buffered + data.Length > buffer.Length)
                {
                    Array.Resize(ref buffer, Math.Max(buffer.Length * 2, buffered + data.Length));
                }

                data.CopyTo(buffer.AsSpan(buffered));
                int start = buffered;
                int length = data.Length;
                buffered += length;
                held.Add(c => c.OnData(buffer.AsSpan(start, length), time));
                TryDecide();
            }

            public void OnGap(long missing, DateTime time)
            {
                if (released)
                {
                    target?.OnGap(missing, time);
                    return;
                }

                held.Add(c => c.OnGap(missing, time));
                TryDecide();
            }

            public void OnEnd(StreamEndReason reason, DateTime time)
            {
                Ended = true;
                if (released)
                {
                    target?.OnEnd(reason, time);
                    return;
                }

                held.Add(c => c.OnEnd(reason, time));
                TryDecide();
                if (!released && connection.owner.ports.Count == 0 && buffered == 0)
                {
                    // Nothing from this side yet; the other side decides, or the connection carried nothing.
                    if (connection.directions.Values.All(d => d.Gate.Ended))
                    {
                        connection.classification = Classification.Ignored;
                        foreach (var d in connection.directions.Values)
                        {
                            d.Gate.Release(null);
                        }
                    }
                }
            }

            private void TryDecide()
            {
                if (connection.owner.ports.Count > 0)
                {
                    if (connection.classification == Classification.Unknown && connection.client is not null)
                    {
                        connection.Decide(this);
                    }

                    return;
                }

                if (buffered > 0)
                {
                    connection.Decide(this);
                }
            }
        }
    }
}
