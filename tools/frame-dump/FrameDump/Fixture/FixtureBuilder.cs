using System.Text.Encodings.Web;
using System.Text.Json;
using FrameDump.Output;
using FrameDump.Tcp;
using Zrpc.Frames;
using Zrpc.Rpc;

namespace FrameDump.Fixture;

/// <summary>A direction could not be turned into a fixture (bytes missing, too large).</summary>
public sealed class FixtureException(string message) : Exception(message);

/// <summary>
/// --as-fixture: turns each captured connection direction into a receiver case of the golden
/// fixture format (fixtures/README.md, fixtures/schema.json): its bytes are the case's input, the
/// frames and messages frame-dump decoded from them are the expected outcome. The frame records
/// are frame-dump's own, which share their field names with the fixture format on purpose.
/// The direction's bytes must be kept to write them out, so this mode holds them in memory up to
/// a limit (periodic Octets bodies are compressed into <c>repeat</c> segments only on output).
/// </summary>
public sealed partial class FixtureBuilder : IRecordSink
{
    /// <summary>Requirement ids a receiver enforces by ending the connection; other violations (sender rules) do not change what a receiver makes of the bytes.</summary>
    private static readonly HashSet<string> ReceiverErrors = ["FRAME-2", "FRAME-6", "FRAME-10", "FRAME-11", "MSG-3", "MSG-5", "HDR-5", "CONN-4"];

    private readonly string name;
    private readonly long maxBytes;
    private readonly IReadOnlySet<int> connections;
    private readonly SortedDictionary<(int Connection, Direction Direction), Recording> recordings = new();
    private long keptBytes;

    private readonly Zrpc.Rpc.Profile? profile;

    /// <summary>Per connection: the profile its content told, or null when it did not tell and the readings differ.</summary>
    private readonly Dictionary<int, string?> told = new();
    private readonly HashSet<int> otherProtocol = new();

    public FixtureBuilder(string captureName, long maxBytes, IReadOnlySet<int> connections, Zrpc.Rpc.Profile? profile = null)
    {
        this.profile = profile;
        name = Slug(Path.GetFileNameWithoutExtension(captureName));
        this.maxBytes = maxBytes;
        this.connections = connections;
    }

    /// <summary>Directions left out, with the reason (reported on stderr).</summary>
    public List<string> Skipped { get; } = new();

    /// <summary>Wraps a connection's decoder so that the reassembled bytes are recorded on their way to it.</summary>
    public IConnectionHandler Tap(ConnectionInfo info, IConnectionHandler decoder) => new TappedHandler(
        decoder,
        new ByteTap(this, Get(info.Id, Direction.ClientToServer), decoder.ClientToServer),
        new ByteTap(this, Get(info.Id, Direction.ServerToClient), decoder.ServerToClient));

    public void Write(DumpRecord record)
    {
        // Both readings of a connection hold the same frames and messages: one is enough.
        if (record.Reading is not null && record.Reading != Zrpc.Rpc.Profile.P6ab05ee.Name())
        {
            return;
        }

        switch (record)
        {
            case ProfileRecord { Contradicted: false } p when p.DecidedBy != "option":
                if (p.Profile is not null || p.Readings.Count > 1)
                {
                    told[p.Connection] = p.Profile;
                }

                break;
            case OtherProtocolRecord o:
                otherProtocol.Add(o.Connection);
                break;
            case FrameRecord f:
                Get(f.Connection, f.Direction).Frames.Add(f);
                break;
            case MessageRecord m:
                Get(m.Connection, m.Direction).Messages.Add(m);
                break;
            case ViolationRecord v when ReceiverErrors.Contains(v.Requirement.Value):
                Get(v.Connection, v.Direction).Errors.Add(v);
                break;
            case EvictedRecord e:
                Get(e.Connection, Direction.ClientToServer).Evicted = e.Message;
                Get(e.Connection, Direction.ServerToClient).Evicted = e.Message;
                break;
            case SkippedRecord s when connections.Count == 0:
                Skipped.Add("TCP connection " + TextWriterSink.Describe(s));
                break;
        }
    }

    public void Complete()
    {
    }

    /// <summary>Writes the fixture file; throws FixtureException when no direction could be used.</summary>
    public void WriteTo(Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("$schema", "../schema.json");
        json.WriteString("title", $"Receiver cases captured in {name} by frame-dump --as-fixture");
        json.WriteString("profile", FixtureProfile());
        json.WritePropertyName("fixtures");
        json.WriteStartArray();
        int written = 0;
        foreach (var ((connection, direction), recording) in recordings)
        {
            if (connections.Count > 0 && !connections.Contains(connection))
            {
                continue;
            }

            string label = $"connection {connection} {Names.Dir(direction)}";
            if (otherProtocol.Contains(connection))
            {
                Skipped.Add($"{label}: not this protocol (a later zrepl protocol, labelled in the listing)");
                continue;
            }

            if (recording.Lost > 0)
            {
                Skipped.Add($"{label}: {recording.Lost} bytes are missing from the capture; a fixture needs every byte");
                continue;
            }

            if (recording.Evicted is not null)
            {
                Skipped.Add($"{label}: evicted while still open ({recording.Evicted}), so where it ends is unknown");
                continue;
            }

            if (recording.Bytes.Length == 0)
            {
                continue;
            }

            WriteCase(json, connection, direction, recording);
            written++;
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        if (written == 0)
        {
            throw new FixtureException("no connection direction could be turned into a fixture" + (Skipped.Count > 0 ? ": " + string.Join("; ", Skipped) : ""));
        }

        output.WriteByte((byte)'\n');
    }

    /// <summary>
    /// The fixture file's profile (fixtures/schema.json): the one given with --profile, or the one
    /// the content of the connections told. Connections that both profiles read the same way do
    /// not count; a connection whose profile is not told, or connections of different profiles,
    /// need --profile or -c.
    /// </summary>
    private string FixtureProfile()
    {
        if (profile is Zrpc.Rpc.Profile given)
        {
            return given.Name();
        }

        var included = told.Where(kv => (connections.Count == 0 || connections.Contains(kv.Key)) && !otherProtocol.Contains(kv.Key)).ToList();
        if (included.FirstOrDefault(kv => kv.Value is null) is { Value: null } undecided && included.Any(kv => kv.Value is null))
        {
            throw new FixtureException($"the content of connection {undecided.Key} does not tell its profile; choose it with --profile 6ab05ee or --profile fa4d209");
        }

        var names = included.Select(kv => kv.Value!).Distinct().ToList();
        if (names.Count > 1)
        {
            throw new FixtureException($"the connections speak different profiles ({string.Join(", ", included.Select(kv => $"connection {kv.Key}: {kv.Value}"))}); pick the connections of one with -c N");
        }

        // Connections that both profiles read the same way fit either; the fixture names the first.
        return names.Count == 1 ? names[0] : Zrpc.Rpc.Profile.P6ab05ee.Name();
    }

    private void WriteCase(Utf8JsonWriter json, int connection, Direction direction, Recording recording)
    {
        byte[] input = recording.Bytes.ToArray();
        bool requests = direction == Direction.ClientToServer;
        var rst = recording.Frames.FirstOrDefault(f => f.RawType == (byte)FrameType.Rst);
        var error = recording.Errors.FirstOrDefault();
        var messages = recording.Messages.Where(m => m.Complete && (rst is null || m.Offset < rst.Offset)).ToList();
        var receive = messages.Select(m => Names.FrameType(m.RawType)).ToList();
        if (error is not null && recording.Messages.FirstOrDefault(m => !m.Complete && m.Offset <= error.Offset) is { } broken)
        {
            // The receiver must be reading the message the error breaks.
            receive.Add(Names.FrameType(broken.RawType));
        }

        var requirements = new List<string> { "FRAME-1", "MSG-1", requests ? "RPC-1" : "RPC-3" };
        if (rst is not null && error is null)
        {
            requirements.Add(requests ? "CONN-3" : "CONN-2");
        }

        if (error is not null && !requirements.Contains(error.Requirement.Value))
        {
            requirements.Add(error.Requirement.Value);
        }

        json.WriteStartObject();
        json.WriteString("id", $"capture-{name}-{connection}-{Names.Dir(direction)}");
        json.WriteString("description",
            $"{(requests ? "Requests" : "Responses")} of connection {connection} ({(requests ? "client to server" : "server to client")}) captured in {name}, as frame-dump decoded them.");
        WriteStrings(json, "requirements", requirements);
        json.WriteString("perspective", "receiver");
        WriteStrings(json, "receive", receive);
        json.WritePropertyName("input");
        WriteInput(json, input, recording.Frames);
        json.WritePropertyName("expect");
        json.WriteStartObject();
        if (error is not null)
        {
            json.WriteString("outcome", "error");
            json.WritePropertyName("error");
            json.WriteStartObject();
            json.WriteString("requirement", error.Requirement.Value);
            json.WriteBoolean("ends_connection", true);
            // frame-dump reports where the violation was seen, not how far a receiver may read:
            // the input length is the bound every conforming receiver meets.
            json.WriteNumber("after_bytes", input.Length);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("outcome", rst is null ? "eof" : "rst");
            json.WriteNumber("consumed", rst is null ? input.Length : rst.Offset + FrameLimits.HeaderSize);
            json.WritePropertyName("frames");
            json.WriteStartArray();
            foreach (var f in recording.Frames.TakeWhile(f => rst is null || f.Offset <= rst.Offset))
            {
                json.WriteStartObject();
                Names.WriteFrameFields(json, f.Offset, f.RawType, f.RawEndFlag, f.Length);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WritePropertyName("messages");
        json.WriteStartArray();
        foreach (var m in messages)
        {
            WriteMessage(json, m, input, recording.Frames);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private Recording Get(int connection, Direction direction)
    {
        if (!recordings.TryGetValue((connection, direction), out var recording))
        {
            recording = new Recording();
            recordings[(connection, direction)] = recording;
        }

        return recording;
    }

    private void Keep(Recording recording, ReadOnlySpan<byte> data)
    {
        keptBytes += data.Length;
        if (keptBytes > maxBytes)
        {
            throw new FixtureException($"--as-fixture keeps the captured bytes in memory and the capture holds more than {maxBytes} bytes of them; raise --fixture-max-bytes or select connections with -c");
        }

        recording.Bytes.Write(data);
    }

    private sealed class Recording
    {
        public MemoryStream Bytes { get; } = new();

        public List<FrameRecord> Frames { get; } = new();

        public List<MessageRecord> Messages { get; } = new();

        public List<ViolationRecord> Errors { get; } = new();

        public long Lost { get; set; }

        /// <summary>Why the connection was evicted, when it was.</summary>
        public string? Evicted { get; set; }
    }

    private sealed class TappedHandler(IConnectionHandler decoder, IStreamConsumer clientToServer, IStreamConsumer serverToClient) : IConnectionHandler
    {
        public IStreamConsumer ClientToServer => clientToServer;

        public IStreamConsumer ServerToClient => serverToClient;

        public void OnEvicted(string why, DateTime time) => decoder.OnEvicted(why, time);
    }

    private sealed class ByteTap(FixtureBuilder owner, Recording recording, IStreamConsumer inner) : IStreamConsumer
    {
        public void OnData(ReadOnlySpan<byte> data, DateTime time)
        {
            owner.Keep(recording, data);
            inner.OnData(data, time);
        }

        public void OnGap(long missing, DateTime time)
        {
            recording.Lost += missing;
            inner.OnGap(missing, time);
        }

        public void OnEnd(StreamEndReason reason, DateTime time) => inner.OnEnd(reason, time);
    }

    // Written by hand rather than through JsonSerializer, which needs reflection the Native AOT
    // build of the tool does not have.
    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }
}
