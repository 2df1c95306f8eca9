using FrameDump.Output;
using FrameDump.Tcp;
using Zrpc.Rpc;

namespace FrameDump.Protocol;

/// <summary>
/// One recognised connection: writes its connection record, takes a go-netssh banner exchange off
/// the front of each direction, labels a connection that carries a later zrepl protocol instead of
/// decoding it, and decodes the rest in the profile given with --profile, or, without one, in both
/// profiles until the content tells which one it is (<see cref="ProfileEvidence"/>). Until then
/// the records of both readings are held; when the connection ends without evidence, both
/// readings are written, each record marked with its reading. A reading holds at most
/// <see cref="MaxHeldRecords"/> records: beyond that both are written as they come.
/// </summary>
public sealed class ConnectionFront : IConnectionHandler
{
    public const int MaxHeldRecords = 1024;

    private readonly ConnectionInfo info;
    private readonly IRecordSink output;
    private readonly Profile? chosen;
    private readonly ProfileEvidence evidence = new();
    private readonly List<ConnectionDecoder> active = new();
    private readonly Dictionary<Profile, List<DumpRecord>> held = new();
    private readonly bool[] ended = new bool[2];
    private State state;
    private Profile decided;
    private bool contradictionReported;
    private bool labelled;

    public ConnectionFront(ConnectionInfo info, IRecordSink output, DecoderOptions options, Profile? profile)
    {
        this.info = info;
        this.output = output;
        chosen = profile;
        output.Write(ConnectionDecoder.Opening(info));
        evidence.Found = OnEvidence;
        if (profile is Profile p)
        {
            state = State.Decided;
            decided = p;
            output.Write(new ProfileRecord { Connection = info.Id, Time = info.Start, Profile = p.Name(), DecidedBy = "option", Evidence = "", Readings = [p.Name()] });
            active.Add(new ConnectionDecoder(info, output, options, p) { Observer = evidence });
        }
        else
        {
            state = State.Holding;
            foreach (var (_, each) in Profiles.All)
            {
                held[each] = new List<DumpRecord>();
                active.Add(new ConnectionDecoder(info, new ReadingSink(this, each), options, each));
            }

            // The observed decoder is fed each chunk first: evidence found in it decides before
            // the other reading has decoded that chunk, so neither reading runs past the evidence.
            var observed = active.Single(d => d.Profile == Profile.Fa4d209);
            observed.Observer = evidence;
            active.Remove(observed);
            active.Insert(0, observed);
        }

        ClientToServer = new PreambleGate(this, Direction.ClientToServer);
        ServerToClient = new PreambleGate(this, Direction.ServerToClient);
    }

    private enum State
    {
        /// <summary>No evidence yet: both readings are held.</summary>
        Holding,

        /// <summary>One profile: its reading is written as it comes, the other is no longer decoded.</summary>
        Decided,

        /// <summary>No evidence in the held records: both readings are written as they come.</summary>
        Both,
    }

    public IStreamConsumer ClientToServer { get; }

    public IStreamConsumer ServerToClient { get; }

    public void OnEvicted(string why, DateTime time)
    {
        foreach (var decoder in active.ToArray())
        {
            decoder.OnEvicted(why, time);
        }
    }

    private IEnumerable<FrameStreamDecoder> Targets(Direction direction) =>
        active.ToArray().Select(d => direction == Direction.ClientToServer ? d.ClientToServerFrames : d.ServerToClientFrames);

    private void OnPreamble(Direction direction, string label, long offset, DateTime time) =>
        output.Write(new NoticeRecord
        {
            Connection = info.Id,
            Time = time,
            Direction = direction,
            Offset = offset,
            Kind = "preamble",
            Message = $"{label} ({LaterProtocols.NetsshMessageLength} bytes, NUL-padded): a go-netssh banner exchange (zrepl ssh+stdinserver transport from 0.0.3 on), not part of this protocol; decoding continues after it",
        });

    private void OnOtherProtocol(Direction direction, LaterProtocols.Match match, byte[] first, DateTime time)
    {
        if (labelled)
        {
            return;
        }

        labelled = true;
        output.Write(new OtherProtocolRecord
        {
            Connection = info.Id,
            Time = time,
            Direction = direction,
            Protocol = match.Protocol,
            Label = match.Label,
            FirstBytes = first,
        });
    }

    private void OnStreamEnded(Direction direction)
    {
        ended[(int)direction] = true;
        if (!ended[0] || !ended[1] || state != State.Holding)
        {
            return;
        }

        if (labelled || !evidence.ReadingsDiffer)
        {
            // Nothing in the connection reads differently in the two profiles: one reading says it all.
            if (!labelled)
            {
                output.Write(new ProfileRecord
                {
                    Connection = info.Id,
                    Time = info.Start,
                    DecidedBy = "none",
                    Readings = [Profile.P6ab05ee.Name()],
                    Evidence = "no header carries a DataType or Accept of 2 or more, so both profiles read this connection the same; one reading is shown",
                });
            }

            Decide(Profile.P6ab05ee);
            return;
        }

        ShowBoth("no part of the connection tells the profiles apart");
    }

    private void OnEvidence(Profile profile, string text)
    {
        if (state == State.Decided)
        {
            if (profile != decided && !contradictionReported)
            {
                contradictionReported = true;
                output.Write(new ProfileRecord
                {
                    Connection = info.Id,
                    Time = info.Start,
                    Profile = decided.Name(),
                    DecidedBy = chosen is null ? "content" : "option",
                    Readings = [decided.Name()],
                    Contradicted = true,
                    Evidence = $"but the content points at {profile.Name()}: {text}",
                });
            }

            return;
        }

        output.Write(new ProfileRecord { Connection = info.Id, Time = info.Start, Profile = profile.Name(), DecidedBy = "content", Evidence = text, Readings = [profile.Name()] });
        Decide(profile);
    }

    private void Decide(Profile profile)
    {
        bool wasHolding = state == State.Holding;
        state = State.Decided;
        decided = profile;
        active.RemoveAll(d => d.Profile != profile);
        if (wasHolding)
        {
            foreach (var record in held[profile])
            {
                output.Write(record);
            }
        }

        held.Clear();
    }

    private void ShowBoth(string why)
    {
        state = State.Both;
        output.Write(new ProfileRecord
        {
            Connection = info.Id,
            Time = info.Start,
            DecidedBy = "none",
            Evidence = why,
            Readings = Profiles.All.Select(p => p.Name).ToList(),
        });
        foreach (var (name, each) in Profiles.All)
        {
            foreach (var record in held[each])
            {
                record.Reading = name;
                output.Write(record);
            }
        }

        held.Clear();
    }

    private void FromReading(Profile profile, DumpRecord record)
    {
        switch (state)
        {
            case State.Holding:
                var list = held[profile];
                list.Add(record);
                if (list.Count > MaxHeldRecords)
                {
                    ShowBoth($"no evidence in the first {MaxHeldRecords} records; the profile is named here if later content tells");
                }

                break;
            case State.Decided when profile == decided:
                output.Write(record);
                break;
            case State.Both:
                record.Reading = profile.Name();
                output.Write(record);
                break;
        }
    }

    private sealed class ReadingSink(ConnectionFront front, Profile profile) : IRecordSink
    {
        public void Write(DumpRecord record) => front.FromReading(profile, record);

        public void Complete()
        {
        }
    }

    /// <summary>
    /// The start of one direction: holds the first bytes until they are known to open neither a
    /// go-netssh message nor a later protocol, strips go-netssh messages, and swallows a direction
    /// of a labelled connection (counting its bytes, so that offsets stay those of the stream).
    /// </summary>
    private sealed class PreambleGate(ConnectionFront front, Direction direction) : IStreamConsumer
    {
        /// <summary>Bytes held while looking for go-streamrpc's magic after a version handshake banner.</summary>
        private const int MaxHeld = 64 * 1024;

        private byte[] buffer = [];
        private int fill;
        private int consumed;
        private bool passing;

        public void OnData(ReadOnlySpan<byte> data, DateTime time)
        {
            if (front.labelled)
            {
                Swallow(data.Length);
                return;
            }

            if (passing)
            {
                Forward(data, time);
                return;
            }

            int take = Math.Min(data.Length, MaxHeld - fill);
            if (fill + take > buffer.Length)
            {
                Array.Resize(ref buffer, Math.Min(MaxHeld, Math.Max(fill + take, Math.Max(64, buffer.Length * 2))));
            }

            data[..take].CopyTo(buffer.AsSpan(fill));
            fill += take;
            Evaluate(time, ended: fill == MaxHeld);
            if (take < data.Length)
            {
                OnData(data[take..], time);
            }
        }

        public void OnGap(long missing, DateTime time)
        {
            Settle(time);
            if (front.labelled)
            {
                Swallow(missing);
                return;
            }

            foreach (var target in front.Targets(direction))
            {
                target.OnGap(missing, time);
            }
        }

        public void OnEnd(StreamEndReason reason, DateTime time)
        {
            Settle(time);
            foreach (var target in front.Targets(direction))
            {
                target.OnEnd(reason, time);
            }

            front.OnStreamEnded(direction);
        }

        /// <summary>No more bytes come before the next event: decide on what is held.</summary>
        private void Settle(DateTime time)
        {
            if (!passing && !front.labelled)
            {
                Evaluate(time, ended: true);
            }
        }

        private void Evaluate(DateTime time, bool ended)
        {
            while (!passing && !front.labelled)
            {
                var rest = buffer.AsSpan(consumed, fill - consumed);
                var match = LaterProtocols.Classify(rest, ended);
                switch (match.Verdict)
                {
                    case LaterProtocols.Verdict.NeedMore:
                        return;
                    case LaterProtocols.Verdict.NetsshMessage:
                        front.OnPreamble(direction, match.Label, consumed, time);
                        consumed += match.Length;
                        foreach (var target in front.Targets(direction))
                        {
                            target.Advance(match.Length);
                        }

                        break;
                    case LaterProtocols.Verdict.Other:
                        if (match.Protocol == "zrepl-version-handshake")
                        {
                            // In zrepl 0.1.0-rc1 to rc3 go-streamrpc's magic follows the banner.
                            long after = (long)match.Length + 16;
                            if (!ended && rest.Length < after && consumed + after <= MaxHeld)
                            {
                                return;
                            }

                            if (rest.Length > match.Length && LaterProtocols.StreamRpcVersionAt(rest[match.Length..]) is int version)
                            {
                                match = match with { Label = $"{match.Label}, then go-streamrpc magic version {version} (zrepl 0.1.0-rc1 to 0.1.0-rc3)" };
                            }
                        }

                        front.OnOtherProtocol(direction, match, rest[..Math.Min(rest.Length, 64)].ToArray(), time);
                        Swallow(fill - consumed);
                        Release();
                        return;
                    default:
                        passing = true;
                        var held = buffer.AsSpan(consumed, fill - consumed).ToArray();
                        Release();
                        Forward(held, time);
                        return;
                }
            }
        }

        private void Release()
        {
            buffer = [];
            fill = 0;
            consumed = 0;
        }

        private void Forward(ReadOnlySpan<byte> data, DateTime time)
        {
            if (data.IsEmpty)
            {
                return;
            }

            foreach (var target in front.Targets(direction))
            {
                target.OnData(data, time);
            }
        }

        private void Swallow(long count)
        {
            foreach (var target in front.Targets(direction))
            {
                target.Advance(count);
            }
        }
    }
}
