namespace FrameDump.Tcp;

/// <summary>
/// Rebuilds one direction of a TCP connection from captured segments: puts out-of-order segments
/// back in order, drops retransmitted bytes, trims overlaps and reports lost bytes as gaps.
/// Sequence numbers are mapped to 64-bit stream offsets so that wrap-around is harmless.
/// Memory is bounded: when the reorder buffer holds more than its limit, or all streams sharing a
/// <see cref="ReorderBudget"/> together hold more than the budget, the hole in front of it is
/// declared lost instead of waiting for a retransmission that never comes.
/// </summary>
public sealed class StreamReassembler
{
    private readonly IStreamConsumer consumer;
    private readonly int maxBufferedBytes;
    private readonly int maxBufferedSegments;
    private readonly ReorderBudget? budget;

    /// <summary>Created on the first out-of-order segment: most streams never need it.</summary>
    private SortedDictionary<long, (byte[] Data, DateTime Time)>? pending;
    private bool started;
    private uint nextSeq;
    private long nextOffset;
    private long bufferedBytes;
    private long? finOffset;
    private bool ended;
    private long ackedOffset;

    public StreamReassembler(IStreamConsumer consumer, int maxBufferedBytes = 8 * 1024 * 1024, int maxBufferedSegments = 4096, ReorderBudget? budget = null)
    {
        this.consumer = consumer;
        this.budget = budget;
        this.maxBufferedBytes = maxBufferedBytes;
        this.maxBufferedSegments = maxBufferedSegments;
    }

    /// <summary>True when the stream's first byte position came from a SYN rather than being guessed.</summary>
    public bool SawHandshake { get; private set; }

    /// <summary>Segments whose bytes had all been delivered already.</summary>
    public long Retransmissions { get; private set; }

    /// <summary>Bytes dropped because an earlier segment had delivered them already.</summary>
    public long OverlapBytes { get; private set; }

    public long DeliveredBytes { get; private set; }

    public long LostBytes { get; private set; }

    public bool Ended => ended;

    public void OnSyn(uint sequence)
    {
        if (started)
        {
            return;
        }

        started = true;
        SawHandshake = true;
        nextSeq = sequence + 1;
    }

    public void OnSegment(uint sequence, ReadOnlySpan<byte> payload, DateTime time)
    {
        if (ended || payload.IsEmpty)
        {
            return;
        }

        if (!started)
        {
            // Handshake not captured: the first data seen defines where the stream starts.
            started = true;
            nextSeq = sequence;
        }

        long offset = OffsetOf(sequence);
        long end = offset + payload.Length;
        if (end <= nextOffset)
        {
            Retransmissions++;
            OverlapBytes += payload.Length;
            return;
        }

        if (offset <= nextOffset)
        {
            int skip = (int)(nextOffset - offset);
            OverlapBytes += skip;
            Deliver(payload[skip..], time);
            Drain();
        }
        else
        {
            Store(offset, payload, time);
            EnforceBound();
        }

        DeclareAckedHolesLost(time);
        CheckFin(time);
    }

    public void OnFin(uint sequence, int payloadLength, DateTime time)
    {
        if (!started)
        {
            started = true;
            nextSeq = sequence + (uint)payloadLength;
        }

        finOffset ??= OffsetOf(sequence) + payloadLength;
        DeclareAckedHolesLost(time);
        CheckFin(time);
    }

    /// <summary>
    /// The peer acknowledged bytes up to <paramref name="acknowledged"/>: it received them, so any
    /// of them still missing when this direction's next segment (or FIN) has been captured never
    /// will be. The decision waits for that next segment because a capture may show a segment
    /// after the ACK that covers it (two segments swapped around an ACK, captures merged from two
    /// interfaces); holding later data until the end of the capture is avoided all the same.
    /// </summary>
    public void OnAck(uint acknowledged, DateTime time)
    {
        if (!started || ended)
        {
            return;
        }

        int ahead = (int)(acknowledged - nextSeq);
        if (ahead <= 0 || ahead > (1 << 30))
        {
            return;
        }

        ackedOffset = Math.Max(ackedOffset, nextOffset + ahead);
    }

    /// <summary>
    /// Declares acknowledged but uncaptured bytes lost. Called after this direction's next
    /// segment was placed, and before the other direction's next data is delivered (the peer
    /// answered, so the conversation moved on past the hole).
    /// </summary>
    public void DeclareAckedHolesLost(DateTime time)
    {
        long limit = ackedOffset;
        if (finOffset is long fin && limit > fin)
        {
            limit = fin;
        }

        while (!ended && nextOffset < limit)
        {
            if (pending is { Count: > 0 } && pending.First().Key <= limit)
            {
                SkipToFirstPending();
                Drain();
            }
            else
            {
                long missing = limit - nextOffset;
                nextOffset = limit;
                nextSeq += (uint)missing;
                ReportGap(missing, time);
                Drain();
            }
        }
    }

    /// <summary>End of capture or RST: whatever is still missing is lost for good.</summary>
    public void Flush(StreamEndReason reason, DateTime time)
    {
        if (ended)
        {
            return;
        }

        while (pending is { Count: > 0 })
        {
            SkipToFirstPending();
            Drain();
        }

        if (reason is StreamEndReason.EndOfCapture or StreamEndReason.Evicted && finOffset is long fin && fin > nextOffset)
        {
            ReportGap(fin - nextOffset, time);
        }

        ended = true;
        consumer.OnEnd(finOffset is not null && nextOffset >= finOffset ? StreamEndReason.Fin : reason, time);
    }

    /// <summary>The stream is no longer wanted: drop what it holds without delivering anything.</summary>
    public void Abandon()
    {
        budget?.Release(bufferedBytes);
        bufferedBytes = 0;
        pending = null;
        ended = true;
    }

    private long OffsetOf(uint sequence) => nextOffset + (int)(sequence - nextSeq);

    private void Deliver(ReadOnlySpan<byte> data, DateTime time)
    {
        if (data.IsEmpty)
        {
            return;
        }

        nextOffset += data.Length;
        nextSeq += (uint)data.Length;
        DeliveredBytes += data.Length;
        consumer.OnData(data, time);
    }

    private void Store(long offset, ReadOnlySpan<byte> payload, DateTime time)
    {
        pending ??= new();
        if (pending.TryGetValue(offset, out var existing))
        {
            if (existing.Data.Length >= payload.Length)
            {
                Retransmissions++;
                return;
            }

            bufferedBytes -= existing.Data.Length;
            budget?.Release(existing.Data.Length);
        }

        pending[offset] = (payload.ToArray(), time);
        bufferedBytes += payload.Length;
        budget?.Take(payload.Length);
    }

    private void Drain()
    {
        while (pending is { Count: > 0 })
        {
            var first = pending.First();
            if (first.Key > nextOffset)
            {
                return;
            }

            pending.Remove(first.Key);
            bufferedBytes -= first.Value.Data.Length;
            budget?.Release(first.Value.Data.Length);
            long end = first.Key + first.Value.Data.Length;
            if (end <= nextOffset)
            {
                Retransmissions++;
                OverlapBytes += first.Value.Data.Length;
                continue;
            }

            int skip = (int)(nextOffset - first.Key);
            OverlapBytes += skip;
            Deliver(first.Value.Data.AsSpan(skip), first.Value.Time);
        }

        // An idle connection keeps no empty reorder structure.
        pending = null;
    }

    private void EnforceBound()
    {
        while (pending is { Count: > 0 } && (bufferedBytes > maxBufferedBytes || pending.Count > maxBufferedSegments || budget is { Exceeded: true }))
        {
            SkipToFirstPending();
            Drain();
        }
    }

    private void SkipToFirstPending()
    {
        var first = pending!.First();
        if (first.Key > nextOffset)
        {
            long missing = first.Key - nextOffset;
            nextOffset = first.Key;
            nextSeq += (uint)missing;
            ReportGap(missing, first.Value.Time);
        }
    }

    private void ReportGap(long missing, DateTime time)
    {
        LostBytes += missing;
        consumer.OnGap(missing, time);
    }

    private void CheckFin(DateTime time)
    {
        if (!ended && finOffset is long fin && nextOffset >= fin && pending is not { Count: > 0 })
        {
            ended = true;
            consumer.OnEnd(StreamEndReason.Fin, time);
        }
    }
}

/// <summary>Out-of-order bytes that several reassemblers may hold together.</summary>
public sealed class ReorderBudget(long limit)
{
    public long Limit { get; } = limit;

    public long Used { get; private set; }

    public bool Exceeded => Used > Limit;

    public void Take(long bytes) => Used += bytes;

    public void Release(long bytes) => Used -= bytes;
}
