using FrameDump.Capture;

namespace FrameDump.Tcp;

/// <summary>A connection recognised as carrying the protocol; Id counts such connections from 1.</summary>
public sealed record ConnectionInfo(int Id, Endpoint Client, Endpoint Server, DateTime Start, bool HandshakeSeen)
{
    /// <summary>Shown instead of the client address (raw streams have none).</summary>
    public string? ClientLabel { get; init; }

    public string? ServerLabel { get; init; }

    /// <summary>Only one direction was recorded (--raw): nothing can be paired, so nothing is judged for it.</summary>
    public bool OneDirection { get; init; }
}

/// <summary>The two byte streams of one recognised connection.</summary>
public interface IConnectionHandler
{
    IStreamConsumer ClientToServer { get; }

    IStreamConsumer ServerToClient { get; }

    /// <summary>
    /// The connection is evicted while still open (<paramref name="why"/>); both streams end with
    /// <see cref="StreamEndReason.Evicted"/> right after.
    /// </summary>
    void OnEvicted(string why, DateTime time);
}
