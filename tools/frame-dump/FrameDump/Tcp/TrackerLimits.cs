using FrameDump.Capture;

namespace FrameDump.Tcp;

/// <summary>Why a TCP connection was not decoded.</summary>
public enum SkipReason
{
    /// <summary>Detection by content: the first bytes are neither a Header frame nor an RST frame.</summary>
    NotRecognised,

    /// <summary>Detection by content: neither side sent a byte.</summary>
    NoPayload,

    /// <summary>--port was given and neither end of the connection uses one of those ports.</summary>
    OtherPort,
}

/// <summary>
/// A TCP connection that was not decoded. <see cref="Client"/> and <see cref="Server"/> come from
/// the handshake when it was captured (<see cref="RolesKnown"/>); otherwise the side that sent
/// first is taken for the client, as in this protocol.
/// </summary>
public sealed record SkippedConnection(Endpoint Client, Endpoint Server, DateTime Time, SkipReason Reason, bool RolesKnown)
{
    /// <summary>The first bytes of the direction that decided (at most 16).</summary>
    public byte[] FirstBytes { get; init; } = [];

    public bool FirstBytesFromClient { get; init; } = true;
}

/// <summary>How much connection state the tracker may hold.</summary>
public sealed record TrackerLimits
{
    public const int DefaultMaxConnections = 50_000;

    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Connections tracked at once; beyond it the least recently active one is evicted.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>A connection without a packet for this long (capture time) is evicted; null: never.</summary>
    public TimeSpan? IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>Out-of-order bytes one direction may hold before the hole in front of them is declared lost.</summary>
    public int ReorderLimit { get; init; } = 8 * 1024 * 1024;

    /// <summary>Out-of-order bytes all connections together may hold.</summary>
    public long ReorderBudget { get; init; } = 256L * 1024 * 1024;
}
