namespace Zrpc.Frames;

/// <summary>
/// The peer sent nothing between messages for longer than the idle timeout (CONN-6). Not a
/// protocol error: the connection is closed quietly, without RST.
/// </summary>
public sealed class IdleTimeoutException(TimeSpan limit)
    : Exception($"the peer was idle between requests for longer than {limit.TotalSeconds:0.###} s (CONN-6)");
