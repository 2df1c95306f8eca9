using FrameDump.Capture;

namespace FrameDump.Tcp;

/// <summary>Why a TCP connection was not decoded.</summary>
public enum SkipReason
{
    /// <summary>Detection by content: the first bytes are neither a Header frame nor an RST frame.</summary>
    NotRecognised,

    /// <summary>Detection by content: neither side sent a byte.</summary>
    NoPayload,

    /// <summary>--port was given and neither end of the connection uses one of those ports.</summary>
    OtherPort,
}

/// <summary>
/// A TCP connection that was not decoded. <see cref="Client"/> and <see cref="Server"/> come from
/// the handshake when it was captured (<see cref="RolesKnown"/>); otherwise the side that sent
/// first is taken for the client, as in this protocol.
/// </summary>
public sealed record SkippedConnection(Endpoint Client, Endpoint Server, DateTime Time, SkipReason Reason, bool RolesKnown)
{
    /// <summary>The first bytes of the direction that decided (at most 16).</summary>
    public byte[] FirstBytes { get; init; } = [];

    public bool FirstBytesFromClient { get; init; } = true;
}

/// <summary>How much connection state the tracker may hold.</summary>
public sealed record TrackerLimits
{
    public const int DefaultMaxConnections = 50_000;

    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Connections tracked at once; beyond it the least recently active one is evicted.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>A connection without a packet for this long (capture time) is evicted; null: never.</summary>
    public TimeSpan? IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>Out-of-order bytes one direction may hold before the hole in front of them is declared lost.</summary>
    public int ReorderLimit { get; init; } = 8 * 1024 * 1024;

    /// <summary>Out-of-order bytes all connections together may hold.</summary>
    public long ReorderBudget { get; init; } = 256L * 1024 * 1024;
}

/// <summary>
/// Routes captured segments to per-connection reassembly, decides which connections carry the
/// protocol (by port or by content) and which side is the client, and hands recognised
/// connections to a handler created by the caller. Connections that are not the protocol keep no
/// reassembly state, and are reported through the skipped callback. Memory stays flat in the
/// number of connections: connections idle for longer than the idle timeout, and the least
/// recently active ones beyond the connection limit, are evicted (their handler hears
/// <see cref="StreamEndReason.Evicted"/>).
/// </summary>
public sealed class ConnectionTracker
{
    private readonly Dictionary<(Endpoint, Endpoint), TcpConnection> connections = new();
    private readonly Func<ConnectionInfo, IConnectionHandler> handlerFactory;
    private readonly IReadOnlySet<int> ports;
    private readonly TrackerLimits limits;
    private readonly Action<SkippedConnection>? onSkipped;
    private readonly ReorderBudget reorderBudget;

    /// <summary>Least recently active connection (evicted first) and most recently active one.</summary>
    private TcpConnection? oldest;
    private TcpConnection? newest;
    private DateTime now = DateTime.MinValue;
    private int nextId = 1;
    private long created;

    public ConnectionTracker(Func<ConnectionInfo, IConnectionHandler> handlerFactory, IReadOnlySet<int> ports, int reorderLimit = 8 * 1024 * 1024)
        : this(handlerFactory, ports, new TrackerLimits { ReorderLimit = reorderLimit })
    {
    }

    public ConnectionTracker(Func<ConnectionInfo, IConnectionHandler> handlerFactory, IReadOnlySet<int> ports, TrackerLimits limits, Action<SkippedConnection>? onSkipped = null)
    {
        if (limits.MaxConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(limits), "at least one connection must be tracked");
        }

        this.handlerFactory = handlerFactory;
        this.ports = ports;
        this.limits = limits;
        this.onSkipped = onSkipped;
        reorderBudget = new ReorderBudget(limits.ReorderBudget);
    }

    /// <summary>Connections that were not decoded (every <see cref="SkipReason"/>).</summary>
    public long SkippedConnections { get; private set; }

    /// <summary>Connections evicted while still open (idle timeout or connection limit).</summary>
    public long EvictedConnections { get; private set; }

    /// <summary>Connections tracked right now.</summary>
    public int TrackedConnections => connections.Count;

    public void Process(TcpSegment segment)
    {
        if (segment.Time > now)
        {
            now = segment.Time;
        }

        EvictIdle();
        var key = Key(segment.Source, segment.Destination);
        if (connections.TryGetValue(key, out var connection) && segment.Syn && !segment.Ack && connection.HasTraffic)
        {
            // The 4-tuple is reused by a new connection.
            connection.Flush(StreamEndReason.EndOfCapture, segment.Time);
            Forget(connection);
            connection = null;
        }

        if (connection is null)
        {
            if (!segment.Syn && segment.Payload.IsEmpty)
            {
                // An ACK, FIN or TCP reset of a connection that ended (or was evicted) or whose
                // start was not captured: it carries nothing to decode and starts nothing.
                return;
            }

            connection = new TcpConnection(this, key, segment);
            connections[key] = connection;
            Append(connection);
            while (connections.Count > limits.MaxConnections && oldest is not null && oldest != connection)
            {
                Evict(oldest, $"more than {limits.MaxConnections} connections were open at once (--max-connections); this was the least recently active one");
            }
        }
        else
        {
            Unlink(connection);
            Append(connection);
        }

        connection.LastSeen = now;
        connection.Process(segment);
        if (connection.IsFinished)
        {
            Forget(connection);
        }
    }

    /// <summary>End of capture: flush every connection still open, in order of first appearance.</summary>
    public void Finish(DateTime time)
    {
        foreach (var connection in connections.Values.OrderBy(c => c.FirstSeen).ThenBy(c => c.Order).ToList())
        {
            connection.Flush(StreamEndReason.EndOfCapture, time);
        }

        connections.Clear();
        oldest = newest = null;
    }

    private void EvictIdle()
    {
        if (limits.IdleTimeout is not TimeSpan idle || idle <= TimeSpan.Zero)
        {
            return;
        }

        while (oldest is not null && now - oldest.LastSeen > idle)
        {
            Evict(oldest, $"no packet for more than {idle.TotalSeconds:0.###} s of capture time (--idle-timeout)");
        }
    }

    private void Evict(TcpConnection connection, string why)
    {
        EvictedConnections++;
        connection.Evict(why + "; it is no longer tracked, and later packets of it start a new connection", now);
        Forget(connection);
    }

    private void Forget(TcpConnection connection)
    {
        if (connections.TryGetValue(connection.Key, out var current) && current == connection)
        {
            connections.Remove(connection.Key);
        }

        Unlink(connection);
    }

    private void Append(TcpConnection connection)
    {
        connection.Older = newest;
        connection.Newer = null;
        if (newest is not null)
        {
            newest.Newer = connection;
        }

        newest = connection;
        oldest ??= connection;
        connection.Linked = true;
    }

    private void Unlink(TcpConnection connection)
    {
        if (!connection.Linked)
        {
            return;
        }

        if (connection.Older is not null)
        {
            connection.Older.Newer = connection.Newer;
        }
        else
        {
            oldest = connection.Newer;
        }

        if (connection.Newer is not null)
        {
            connection.Newer.Older = connection.Older;
        }
        else
        {
            newest = connection.Older;
        }

        connection.Older = connection.Newer = null;
        connection.Linked = false;
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
        private readonly Endpoint firstSource;
        private readonly Endpoint firstDestination;
        private DirectionState? a;
        private DirectionState? b;
        private Classification classification = Classification.Unknown;
        private Endpoint? client;
        private Endpoint? server;
        private IConnectionHandler? handler;
        private DirectionGate? firstWithData;
        private bool traffic;
        private bool resetSeen;
        private Endpoint? finFrom;
        private bool bothFins;
        private string? evictedBecause;
        private DateTime evictedAt;
        private bool evictionReported;

        public TcpConnection(ConnectionTracker owner, (Endpoint, Endpoint) key, TcpSegment first)
        {
            this.owner = owner;
            Key = key;
            FirstSeen = first.Time;
            Order = owner.created++;
            firstSource = first.Source;
            firstDestination = first.Destination;
        }

        public (Endpoint, Endpoint) Key { get; }

        public DateTime FirstSeen { get; }

        public long Order { get; }

        public DateTime LastSeen { get; set; }

        public TcpConnection? Older { get; set; }

        public TcpConnection? Newer { get; set; }

        public bool Linked { get; set; }

        public bool HasTraffic => traffic;

        public bool IsFinished => classification == Classification.Ignored
            ? resetSeen || bothFins
            : a is not null && b is not null && a.Reassembler.Ended && b.Reassembler.Ended;

        public void Process(TcpSegment segment)
        {
            traffic |= !segment.Payload.IsEmpty || segment.Fin || segment.Rst;
            if (owner.ports.Count > 0 && classification == Classification.Unknown)
            {
                bool srcIsServer = owner.ports.Contains(segment.Source.Port);
                bool dstIsServer = owner.ports.Contains(segment.Destination.Port);
                if (!srcIsServer && !dstIsServer)
                {
                    var (c, s) = segment.Syn ? (segment.Ack ? (segment.Destination, segment.Source) : (segment.Source, segment.Destination)) : RolesByPort(segment);
                    Skip(SkipReason.OtherPort, null, c, s, rolesKnown: segment.Syn, segment.Time);
                }
                else if (client is null && !segment.Syn)
                {
                    client = dstIsServer ? segment.Source : segment.Destination;
                    server = dstIsServer ? segment.Destination : segment.Source;
                }
            }

            if (classification == Classification.Ignored)
            {
                TrackEnd(segment);
                return;
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
            if (segment.Ack && Find(segment.Destination) is { } reverse)
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

            if (classification == Classification.Ignored)
            {
                // Decided against while processing this segment: keep only the end tracking.
                TrackEnd(segment);
                DropDirections();
            }
        }

        public void Evict(string why, DateTime time)
        {
            evictedBecause = why;
            evictedAt = time;
            if (handler is not null)
            {
                ReportEviction();
            }

            Flush(StreamEndReason.Evicted, time);
        }

        public void Flush(StreamEndReason reason, DateTime time)
        {
            if (classification == Classification.Ignored)
            {
                DropDirections();
                return;
            }

            // Both directions need a reassembler so that the handler hears both ends.
            if (client is Endpoint c && server is Endpoint s)
            {
                Direction(c);
                Direction(s);
            }

            foreach (var direction in new[] { a, b })
            {
                direction?.Reassembler.Flush(reason, time);
            }

            if (classification == Classification.Unknown)
            {
                // No byte in either direction (a decision needs at least one).
                var (cl, sv) = client is Endpoint known ? (known, server!.Value) : (firstSource, firstDestination);
                Skip(SkipReason.NoPayload, null, cl, sv, rolesKnown: client is not null, time);
            }

            DropDirections();
        }

        private void TrackEnd(TcpSegment segment)
        {
            resetSeen |= segment.Rst;
            if (segment.Fin)
            {
                if (finFrom is null)
                {
                    finFrom = segment.Source;
                }
                else if (!finFrom.Value.Equals(segment.Source))
                {
                    bothFins = true;
                }
            }
        }

        private void DropDirections()
        {
            if (classification == Classification.Ignored)
            {
                a?.Reassembler.Abandon();
                b?.Reassembler.Abandon();
                a = b = null;
                firstWithData = null;
            }
        }

        private (Endpoint Client, Endpoint Server) RolesByPort(TcpSegment segment) =>
            segment.Source.Port < segment.Destination.Port ? (segment.Destination, segment.Source) : (segment.Source, segment.Destination);

        private DirectionState? Find(Endpoint source) =>
            a is not null && a.Gate.Source.Equals(source) ? a : b is not null && b.Gate.Source.Equals(source) ? b : null;

        private DirectionState Direction(Endpoint source)
        {
            if (Find(source) is { } found)
            {
                return found;
            }

            var gate = new DirectionGate(this, source);
            var state = new DirectionState(new StreamReassembler(gate, owner.limits.ReorderLimit, budget: owner.reorderBudget), gate);
            if (a is null)
            {
                a = state;
            }
            else
            {
                // A third endpoint cannot share the key; the second slot is the other side.
                b = state;
            }

            return state;
        }

        private IEnumerable<DirectionState> Directions()
        {
            if (a is not null)
            {
                yield return a;
            }

            if (b is not null)
            {
                yield return b;
            }
        }

        private void Skip(SkipReason reason, DirectionGate? decidedBy, Endpoint skippedClient, Endpoint skippedServer, bool rolesKnown, DateTime time)
        {
            classification = Classification.Ignored;
            owner.SkippedConnections++;
            byte[] first = decidedBy is null ? [] : decidedBy.BufferedSpan[..Math.Min(16, decidedBy.Buffered)].ToArray();
            foreach (var d in Directions())
            {
                d.Gate.Release(null);
            }

            owner.onSkipped?.Invoke(new SkippedConnection(skippedClient, skippedServer, time, reason, rolesKnown)
            {
                FirstBytes = first,
                FirstBytesFromClient = decidedBy is null || decidedBy.Source.Equals(skippedClient),
            });
        }

        private void Decide(DirectionGate gate, DateTime time)
        {
            if (classification != Classification.Unknown)
            {
                return;
            }

            firstWithData ??= gate.Buffered > 0 ? gate : null;
            bool byPort = owner.ports.Count > 0;
            if (byPort && client is null)
            {
                return;
            }

            if (!byPort)
            {
                // The side that spoke first decides; a client opens every exchange of this protocol.
                var decider = firstWithData ?? gate;
                var verdict = ProtocolDetector.Classify(decider.BufferedSpan, decider.Ended || decider.Buffered >= MaxUndecidedBytes);
                if (verdict == ProtocolDetector.Verdict.NeedMore)
                {
                    return;
                }

                if (verdict == ProtocolDetector.Verdict.NotProtocol)
                {
                    bool known = client is not null;
                    Endpoint c = client ?? decider.Source;
                    Endpoint s = server ?? decider.Peer ?? (firstSource.Equals(decider.Source) ? firstDestination : firstSource);
                    Skip(decider.Buffered == 0 ? SkipReason.NoPayload : SkipReason.NotRecognised, decider.Buffered == 0 ? null : decider, c, s, known, time);
                    return;
                }

                if (client is null)
                {
                    client = decider.Source;
                    server = decider.Peer ?? (firstSource.Equals(decider.Source) ? firstDestination : firstSource);
                    if (FrameDump.Protocol.LaterProtocols.IsNetsshServerBanner(decider.BufferedSpan))
                    {
                        // go-netssh's server speaks first: its banner comes from the server.
                        (client, server) = (server, client);
                    }
                }
            }

            classification = Classification.Protocol;
            bool handshake = Directions().Any(d => d.Reassembler.SawHandshake);
            var info = new ConnectionInfo(owner.nextId++, client!.Value, server!.Value, FirstSeen, handshake);
            handler = owner.handlerFactory(info);
            if (evictedBecause is not null)
            {
                ReportEviction();
            }

            var clientSide = Direction(client.Value);
            var serverSide = Direction(server.Value);
            clientSide.Gate.Release(handler.ClientToServer);
            serverSide.Gate.Release(handler.ServerToClient);
            firstWithData = null;
        }

        private void ReportEviction()
        {
            if (!evictionReported)
            {
                evictionReported = true;
                handler!.OnEvicted(evictedBecause!, evictedAt);
            }
        }

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
