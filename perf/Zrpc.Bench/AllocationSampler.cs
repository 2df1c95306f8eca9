using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Zrpc.Bench;

/// <summary>
/// A poor man's allocation profiler (dotnet-trace is not installed here): the runtime's
/// GCAllocationTick event fires about every 100 KB allocated and names the type being allocated,
/// so the counts show where the bytes go.
/// </summary>
public sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is not "GCAllocationTick_V4" and not "GCAllocationTick_V3" || e.Payload is null)
        {
            return;
        }

        int nameIndex = e.PayloadNames!.IndexOf("TypeName");
        int amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
        string type = nameIndex >= 0 ? e.Payload[nameIndex]?.ToString() ?? "?" : "?";
        long amount = amountIndex >= 0 ? Convert.ToInt64(e.Payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture) : 0;
        _bytesByType.AddOrUpdate(type, amount, (_, v) => v + amount);
    }

    public string Summary(int top = 15) => string.Join('\n', _bytesByType.OrderByDescending(kv => kv.Value).Take(top)
        .Select(kv => $"  {kv.Value,14:N0} B  {kv.Key}"));
}
