using FrameDump.Capture;

namespace FrameDump.Tcp;

// The per-connection state of the tracker: which side is client and server, each direction's
// reassembly, and when a connection is handed to the decoder or ignored.
public sealed partial class ConnectionTracker
{
    private enum Classification
    {
        Unknown,
        Protocol,
        Ignored,
    }

    private sealed partial class TcpConnection
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
    }
}
