using System.Text;
using Reqnroll.Tracing;

namespace Zrpc.Conformance.Driver;

/// <summary>
/// Collects Reqnroll's step trace and the bindings' output lines for the scenario that is running
/// (instead of printing them on the console between the runner's own lines).
/// </summary>
public sealed class ScenarioTraceListener : ITraceListener
{
    private static readonly AsyncLocal<StringBuilder?> CurrentBuffer = new();

    internal static StringBuilder? Current
    {
        get => CurrentBuffer.Value;
        set => CurrentBuffer.Value = value;
    }

    public void WriteTestOutput(string message) => Append(message);

    public void WriteToolOutput(string message) => Append("-> " + message);

    private static void Append(string message)
    {
        var buffer = CurrentBuffer.Value;
        if (buffer is null)
        {
            return;
        }

        lock (buffer)
        {
            // Bounded: a chatty binding must not grow a report without limit.
            if (buffer.Length < 64 * 1024)
            {
                buffer.AppendLine(message);
            }
        }
    }
}
