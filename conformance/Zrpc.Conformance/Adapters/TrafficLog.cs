using System.Text;

namespace Zrpc.Conformance.Adapters;

/// <summary>Which way bytes travelled, seen from the conformance kit.</summary>
public enum TrafficDirection
{
    /// <summary>From the kit to the implementation under test.</summary>
    Sent,

    /// <summary>From the implementation under test to the kit.</summary>
    Received,
}

/// <summary>One recorded line of a connection's traffic: bytes (already annotated) or an event.</summary>
public sealed record TrafficEntry(DateTimeOffset Time, string Connection, TrafficDirection? Direction, string Text);

/// <summary>
/// Everything a scenario sent and received, per connection, kept as an annotated hex script so
/// that a failure report shows the exact bytes frame by frame. Memory is bounded: the bytes are
/// annotated as they pass and only a limited number of lines per connection is kept, so a 64 MiB
/// body does not end up in the log (only its frame headers and first payload bytes).
/// </summary>
public sealed class TrafficLog
{
    private readonly object _gate = new();
    private readonly List<string> _connectionOrder = [];
    private readonly Dictionary<string, ConnectionRecord> _connections = new(StringComparer.Ordinal);

    public TrafficLog(int maxLinesPerConnection = 600)
    {
        MaxLinesPerConnection = maxLinesPerConnection;
    }

    public int MaxLinesPerConnection { get; }

    /// <summary>Total bytes recorded in each direction, over all connections.</summary>
    public long BytesSent { get { lock (_gate) return _connections.Values.Sum(c => c.Sent.TotalBytes); } }

    public long BytesReceived { get { lock (_gate) return _connections.Values.Sum(c => c.Received.TotalBytes); } }

    /// <summary>Labels of the connections seen so far, in the order they were opened.</summary>
    public IReadOnlyList<string> Connections { get { lock (_gate) return _connectionOrder.ToList(); } }

    /// <summary>Records a chunk of bytes that went through a connection.</summary>
    public void Record(string connection, TrafficDirection direction, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            var record = Get(connection);
            var annotator = direction == TrafficDirection.Sent ? record.Sent : record.Received;
            var time = DateTimeOffset.UtcNow;
            foreach (var line in annotator.Feed(bytes))
            {
                record.Add(new TrafficEntry(time, connection, direction, line), MaxLinesPerConnection);
            }
        }
    }

    /// <summary>Records something that is not bytes: opened, end of stream, reset, write failed.</summary>
    public void RecordEvent(string connection, TrafficDirection? direction, string text)
    {
        lock (_gate)
        {
            var record = Get(connection);
            record.Add(new TrafficEntry(DateTimeOffset.UtcNow, connection, direction, text), MaxLinesPerConnection);
        }
    }

    /// <summary>The recorded lines of one connection, in time order.</summary>
    public IReadOnlyList<TrafficEntry> EntriesOf(string connection)
    {
        lock (_gate)
        {
            return _connections.TryGetValue(connection, out var record) ? record.Entries.ToList() : [];
        }
    }

    /// <summary>
    /// The traffic as text: per connection, one line per frame header (type, end flag, length),
    /// the payload bytes in hex, and the JSON text of each Header message. Lines prefixed
    /// <c>&gt;&gt;</c> were sent by the kit, <c>&lt;&lt;</c> were received from the implementation.
    /// </summary>
    public string FormatAnnotatedHex()
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            foreach (var label in _connectionOrder)
            {
                var record = _connections[label];
                text.Append("connection ").Append(label)
                    .Append($" (sent {record.Sent.TotalBytes} bytes, received {record.Received.TotalBytes} bytes)").Append('\n');
                foreach (var entry in record.Entries)
                {
                    var marker = entry.Direction switch
                    {
                        TrafficDirection.Sent => ">> ",
                        TrafficDirection.Received => "<< ",
                        _ => "-- ",
                    };
                    text.Append("  ").Append(marker).Append(entry.Text).Append('\n');
                }

                if (record.OmittedLines > 0)
                {
                    text.Append("  -- ").Append(record.OmittedLines).Append(" further lines omitted (log limit)\n");
                }

                foreach (var line in record.Sent.Finish().Concat(record.Received.Finish()))
                {
                    text.Append("  -- ").Append(line).Append('\n');
                }
            }

            return text.Length == 0 ? "(no traffic)\n" : text.ToString();
        }
    }

    public override string ToString() => FormatAnnotatedHex();

    private ConnectionRecord Get(string connection)
    {
        if (!_connections.TryGetValue(connection, out var record))
        {
            record = new ConnectionRecord();
            _connections.Add(connection, record);
            _connectionOrder.Add(connection);
        }

        return record;
    }

    private sealed class ConnectionRecord
    {
        public FrameAnnotator Sent { get; } = new();

        public FrameAnnotator Received { get; } = new();

        public List<TrafficEntry> Entries { get; } = [];

        public long OmittedLines { get; private set; }

        public void Add(TrafficEntry entry, int limit)
        {
            if (Entries.Count < limit)
            {
                Entries.Add(entry);
            }
            else
            {
                OmittedLines++;
            }
        }
    }
}
