using System.IO.Pipes;
using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>
/// What a stream tells a frame reader about its reads, and what the reader tells it back. The
/// frame reader asks through this capability instead of knowing the transports: a stream that does
/// not implement it gets the conservative answers of <see cref="ReadHints"/>.
/// </summary>
internal interface IReadHints
{
    /// <summary>
    /// Whether a read ends when its token is cancelled. Reads of a stream that ignores
    /// cancellation (a process's stdin) need a WaitAsync around each bounded read, which allocates.
    /// </summary>
    bool ReadsHonourCancellation { get; }

    /// <summary>
    /// The next read must not spin before it waits (<see cref="ArrivalSpin"/>): its bytes are the
    /// rest of a message already arriving, at the writer's pace rather than as a reply. Only the
    /// frame reader knows where messages end: inside a body it reads six header bytes, or the last
    /// bytes of a payload, and those short reads would otherwise make the next read spin at every
    /// frame (docs/performance.md, design notes).
    /// </summary>
    void NextReadContinuesMessage();
}

/// <summary>The read hints of any stream: its own when it has them, safe answers otherwise.</summary>
internal static class ReadHints
{
    /// <summary>
    /// Socket and pipe streams of the runtime cannot implement <see cref="IReadHints"/>; they are
    /// known to end a read when its token is cancelled.
    /// </summary>
    public static bool HonoursCancellation(Stream stream) => stream is IReadHints hints
        ? hints.ReadsHonourCancellation
        : stream is NetworkStream or PipeStream;
}
