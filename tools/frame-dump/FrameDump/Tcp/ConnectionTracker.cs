using FrameDump.Capture;

namespace FrameDump.Tcp;

/// <summary>
/// Routes captured segments to per-connection reassembly, decides which connections carry the
/// protocol (by port or by content) and which side is the client, and hands recognised
/// connections to a handler created by the caller. Connections that are not the protocol keep no
/// reassembly state, and are reported through the skipped callback. Memory stays flat in the
/// number of connections: connections idle for longer than the idle timeout, and the least
/// recently active ones beyond the connection limit, are evicted (their handler hears
/// <see cref="StreamEndReason.Evicted"/>).
/// </summary>
public sealed partial class ConnectionTracker
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
}
