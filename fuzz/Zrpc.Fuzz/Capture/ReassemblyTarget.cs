using FrameDump.Output;
using FrameDump.Protocol;
using FrameDump.Tcp;
using Zrpc.Fuzz.Contract;

namespace Zrpc.Fuzz.Capture;

/// <summary>
/// Fuzzes frame-dump's TCP layer without the capture file: segments from
/// <see cref="SegmentScript"/> go through <see cref="ConnectionTracker"/> (connection detection by
/// content or by port, direction gates, reassembly, the protocol decoder, JSON output), and the
/// first direction's segments also through a bare <see cref="StreamReassembler"/>, whose output
/// must be a faithful stream: every delivered byte is a byte some segment carried at that
/// sequence position, gaps are positive, and the stream ends exactly once with nothing after.
/// </summary>
public sealed class ReassemblyTarget : IFuzzTarget
{
    public string Name => "tcp";

    public string Description => "frame-dump TCP reassembly and connection tracking on synthesised segments (ConnectionTracker, StreamReassembler)";

    public void Run(byte[] input)
    {
        var steps = SegmentScript.Parse(input);
        var budget = AllocationBudget.Start("ConnectionTracker", 16L * 1024 * 1024, 64, input.Length);
        TrackAndDecode(steps, byPort: input.Length > 0 && (input[0] & 0x80) != 0);
        budget.Check();
        CheckReassembler(steps);
    }

    private static void TrackAndDecode(List<SegmentScript.Step> steps, bool byPort)
    {
        using var output = new MemoryStream();
        var origin = new TimeOrigin();
        var sink = new JsonLinesWriter(output, origin);
        var options = new DecoderOptions { BodyLimit = 256, HexLimit = 16 };
        var ports = byPort ? new HashSet<int> { SegmentScript.ServerPort } : new HashSet<int>();
        var tracker = new ConnectionTracker(info => new ConnectionFront(info, sink, options, profile: null), ports, reorderLimit: 64 * 1024);
        DateTime last = DateTime.UnixEpoch;
        foreach (var step in steps)
        {
            origin.Value ??= step.Segment.Time;
            last = step.Segment.Time;
            tracker.Process(step.Segment);
        }

        tracker.Finish(last);
        sink.Complete();
        DumpOutputCheck.RequireJsonLines(output, "frame-dump on synthesised TCP segments");
    }

    private static void CheckReassembler(List<SegmentScript.Step> steps)
    {
        var carried = new List<(uint Seq, byte[] Data)>();
        var consumer = new FaithfulStream(carried);
        var reassembler = new StreamReassembler(consumer, maxBufferedBytes: 4096, maxBufferedSegments: 16);
        foreach (var step in steps)
        {
            if (step.Connection != 0)
            {
                continue;
            }

            var s = step.Segment;
            if (step.Direction == 1)
            {
                // The peer's acknowledgements, as ConnectionTracker passes them on.
                if (s.Ack)
                {
                    reassembler.OnAck(s.AckNumber, s.Time);
                    if (!s.Payload.IsEmpty || s.Fin)
                    {
                        reassembler.DeclareAckedHolesLost(s.Time);
                    }
                }

                continue;
            }

            uint dataSeq = s.Sequence;
            if (s.Syn)
            {
                consumer.Start(s.Sequence + 1);
                reassembler.OnSyn(s.Sequence);
                dataSeq++;
            }

            if (!s.Payload.IsEmpty)
            {
                consumer.Start(dataSeq);
                carried.Add((dataSeq, s.Payload.ToArray()));
                reassembler.OnSegment(dataSeq, s.Payload.Span, s.Time);
            }

            if (s.Fin)
            {
                consumer.Start(dataSeq + (uint)s.Payload.Length);
                reassembler.OnFin(dataSeq, s.Payload.Length, s.Time);
            }

            if (s.Rst)
            {
                reassembler.Flush(StreamEndReason.Reset, s.Time);
            }
        }

        reassembler.Flush(StreamEndReason.EndOfCapture, DateTime.UnixEpoch);
        consumer.RequireEnded();
        if (reassembler.DeliveredBytes != consumer.Delivered || reassembler.LostBytes != consumer.Lost)
        {
            throw new ContractViolationException($"StreamReassembler counts {reassembler.DeliveredBytes} delivered / {reassembler.LostBytes} lost bytes, its consumer saw {consumer.Delivered} / {consumer.Lost}");
        }
    }

    /// <summary>Checks the reassembled stream against the segments that were captured.</summary>
    private sealed class FaithfulStream(List<(uint Seq, byte[] Data)> carried) : IStreamConsumer
    {
        private uint? _first;
        private long _position;
        private bool _ended;

        public long Delivered { get; private set; }

        public long Lost { get; private set; }

        /// <summary>The stream's first sequence number: from the first SYN, data or FIN (what StreamReassembler starts from).</summary>
        public void Start(uint sequence) => _first ??= sequence;

        public void OnData(ReadOnlySpan<byte> data, DateTime time)
        {
            RequireOpen("data");
            if (_first is not uint first)
            {
                throw new ContractViolationException("StreamReassembler delivered data before any segment");
            }

            // Checking every byte against every segment is quadratic: sample a bounded number.
            int step = Math.Max(1, data.Length / 64);
            for (int i = 0; i < data.Length; i += step)
            {
                uint seq = first + (uint)(_position + i);
                byte b = data[i];
                if (!carried.Any(c => (uint)(seq - c.Seq) < (uint)c.Data.Length && c.Data[(int)(seq - c.Seq)] == b))
                {
                    throw new ContractViolationException($"StreamReassembler delivered byte 0x{data[i]:x2} at stream offset {_position + i} (sequence {seq}), which no captured segment carried there");
                }
            }

            _position += data.Length;
            Delivered += data.Length;
        }

        public void OnGap(long missing, DateTime time)
        {
            RequireOpen("a gap");
            if (missing <= 0)
            {
                throw new ContractViolationException($"StreamReassembler reported a gap of {missing} bytes");
            }

            _position += missing;
            Lost += missing;
        }

        public void OnEnd(StreamEndReason reason, DateTime time)
        {
            RequireOpen("a second end");
            _ended = true;
        }

        public void RequireEnded()
        {
            if (!_ended)
            {
                throw new ContractViolationException("StreamReassembler.Flush did not end the stream");
            }
        }

        private void RequireOpen(string what)
        {
            if (_ended)
            {
                throw new ContractViolationException($"StreamReassembler delivered {what} after the end of the stream");
            }
        }
    }
}
