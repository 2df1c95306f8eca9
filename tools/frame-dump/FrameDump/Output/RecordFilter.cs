namespace FrameDump.Output;

/// <summary>--connection, --endpoint and --errors-only, applied in front of a writer.</summary>
public sealed class RecordFilter : IRecordSink
{
    private readonly IRecordSink inner;
    private readonly IReadOnlySet<int> connections;
    private readonly string? endpoint;
    private readonly bool errorsOnly;

    public RecordFilter(IRecordSink inner, IReadOnlySet<int> connections, string? endpoint, bool errorsOnly)
    {
        this.inner = inner;
        this.connections = connections;
        this.endpoint = endpoint;
        this.errorsOnly = errorsOnly;
    }

    public void Write(DumpRecord record)
    {
        if (connections.Count > 0 && !connections.Contains(record.Connection) && record is not CaptureErrorRecord)
        {
            return;
        }

        // Skipped connections pass --endpoint and --errors-only: what was not decoded cannot be
        // known to belong to another endpoint, and must not vanish silently.
        bool structural = record is ConnectionRecord or CloseRecord or CaptureErrorRecord or SkippedRecord or EvictedRecord or ProfileRecord or OtherProtocolRecord;
        if (endpoint is not null && !structural && !string.Equals(record.Endpoint, endpoint, StringComparison.Ordinal))
        {
            return;
        }

        if (errorsOnly && !structural && !record.IsError)
        {
            return;
        }

        inner.Write(record);
    }

    public void Complete() => inner.Complete();
}

/// <summary>Sends every record to several sinks (the listing and the summary).</summary>
public sealed class TeeSink(params IRecordSink[] sinks) : IRecordSink
{
    public void Write(DumpRecord record)
    {
        foreach (var sink in sinks)
        {
            sink.Write(record);
        }
    }

    public void Complete()
    {
        foreach (var sink in sinks)
        {
            sink.Complete();
        }
    }
}
