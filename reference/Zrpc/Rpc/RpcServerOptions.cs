namespace Zrpc.Rpc;

/// <summary>Tunables of <see cref="RpcServer"/>.</summary>
public sealed class RpcServerOptions
{
    /// <summary>Read timeout while a frame or message is incomplete (CONN-5); default 30 s.</summary>
    public TimeSpan ReadTimeout
    {
        get;
        set => field = OptionRange.Timeout(value, nameof(ReadTimeout));
    } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Slowest average rate, in bytes per second, at which a request body may arrive once the read
    /// timeout has passed since its start (CONN-5); 0 turns the floor off. Default 240, as Kestrel
    /// uses: far below any real link, far above a sender that trickles a byte at a time.
    /// </summary>
    public double MinRequestBodyRate
    {
        get;
        set => field = OptionRange.Rate(value, nameof(MinRequestBodyRate));
    } = 240;

    /// <summary>Largest MarshaledJSON request body the server decodes (SRV-12); default 64 MiB.</summary>
    public long MaxJsonBody
    {
        get;
        set => field = OptionRange.AtLeastOne(value, nameof(MaxJsonBody));
    } = 64L * 1024 * 1024;

    /// <summary>
    /// How long a connection may stay idle between requests before the server closes it quietly
    /// (CONN-6, a MAY); default 10 minutes, the least CONN-6 allows, so that idle connections do
    /// not hold the <see cref="MaxConnections"/> slots for ever. <see cref="Timeout.InfiniteTimeSpan"/>:
    /// no limit, for peers that keep connections open across long pauses.
    /// </summary>
    public TimeSpan IdleTimeout
    {
        get;
        set => field = OptionRange.Timeout(value, nameof(IdleTimeout));
    } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a new connection may stay silent before the first byte of its first request
    /// (CONN-7); default 10 s. A client connects to make a call, so a connection that says
    /// nothing is holding a slot, not waiting for work. Then the whole request header must arrive
    /// within <see cref="ReadTimeout"/> of that byte, as for every request.
    /// </summary>
    public TimeSpan FirstRequestTimeout
    {
        get;
        set => field = OptionRange.Timeout(value, nameof(FirstRequestTimeout));
    } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one write to the peer may make no progress before the connection is ended
    /// (CONN-8): a client that asks for a large body and never reads it would otherwise hold the
    /// connection and the frame buffer of its response for ever. Checked by
    /// <see cref="RpcServer.ServeAsync"/>; default 30 s.
    /// </summary>
    public TimeSpan SendTimeout
    {
        get;
        set => field = OptionRange.Timeout(value, nameof(SendTimeout));
    } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bytes that MarshaledJSON request bodies being decoded may hold in memory together, over all
    /// connections; a body that would go past it is drained and answered RequestError, as a body
    /// over <see cref="MaxJsonBody"/> is (SRV-12). Default 256 MiB: sixteen clients sending 60 MiB
    /// bodies must not take gigabytes.
    /// </summary>
    public long MaxJsonBodiesTotal
    {
        get;
        set => field = OptionRange.AtLeastOne(value, nameof(MaxJsonBodiesTotal));
    } = 256L * 1024 * 1024;

    /// <summary>
    /// Connections served at once by <see cref="RpcServer.ServeAsync"/>. A connection accepted at
    /// the limit takes the slot of the connection that has been idle longest (between requests for
    /// at least a second, nothing of a next request received), which is closed; when none is idle the new connection
    /// is closed at once. A flood of silent connections thus cannot lock real clients out, and no
    /// flood can exhaust memory or file handles. Default 1024.
    /// </summary>
    public int MaxConnections
    {
        get;
        set => field = OptionRange.AtLeastOne(value, nameof(MaxConnections));
    } = 1024;

    /// <summary>
    /// How <see cref="RpcServer.ServeAsync"/> waits for the requests of TCP and Unix connections.
    /// A connection on a thread of its own blocks that thread in the kernel
    /// (<see cref="Transport.BlockingSocketStream"/>), the way the 2017 Go server gave each
    /// connection a goroutine blocked in read: the kernel wakes the thread directly when a request
    /// arrives, without the epoll thread and the thread-pool hop of asynchronous reads, which makes
    /// sequential short calls about three times faster on an idle machine, with an asynchronous
    /// client too; when every core is busy the blocked threads queue for the CPU and asynchronous
    /// reads do as well (docs/performance.md, "Short calls"). Each such connection holds a thread,
    /// and its stack, for as long as it is open. Default <see cref="ConnectionThreading.Auto"/>:
    /// the first <see cref="ThreadedConnections"/> connections open at once get a thread of their
    /// own and the rest are served asynchronously, so no number of idle or slow peers costs more
    /// than that many threads.
    /// </summary>
    public ConnectionThreading ConnectionThreading
    {
        get;
        set => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(ConnectionThreading), value, $"{nameof(ConnectionThreading)} must be one of {string.Join(", ", Enum.GetNames<ConnectionThreading>())}");
    } = ConnectionThreading.Auto;

    /// <summary>
    /// With <see cref="ConnectionThreading.Auto"/>: how many connections open at once get a thread
    /// of their own; later ones are served asynchronously until a threaded one closes. Default
    /// <see cref="DefaultThreadedConnections"/>.
    /// </summary>
    public int ThreadedConnections
    {
        get;
        set => field = OptionRange.AtLeastOne(value, nameof(ThreadedConnections));
    } = DefaultThreadedConnections;

    /// <summary>
    /// Two per core, at least 4 and at most 64. A blocked thread wins while the connections that
    /// have one can each run the moment their request arrives: with more busy connections than
    /// cores, the threads queue for the CPU and asynchronous reads do as well with far fewer
    /// threads (the crossover in docs/performance.md); and a bound this small keeps idle or slow
    /// peers from costing more than a few threads.
    /// </summary>
    public static int DefaultThreadedConnections => Math.Clamp(2 * Environment.ProcessorCount, 4, 64);

    /// <summary>
    /// Shorthand for <see cref="ConnectionThreading"/>: true is
    /// <see cref="ConnectionThreading.ThreadPerConnection"/>; false is the default,
    /// <see cref="ConnectionThreading.Auto"/>.
    /// </summary>
    public bool ThreadPerConnection
    {
        get => ConnectionThreading == ConnectionThreading.ThreadPerConnection;
        set => ConnectionThreading = value ? ConnectionThreading.ThreadPerConnection : ConnectionThreading.Auto;
    }

    /// <summary>Deepest nesting of a MarshaledJSON request body the server decodes (SRV-12); default 256.</summary>
    public int MaxJsonDepth
    {
        get;
        set => field = OptionRange.AtLeastOne(value, nameof(MaxJsonDepth));
    } = 256;

    /// <summary>
    /// On shutdown, how long calls in flight may take to finish before their connections are
    /// ended with RST; idle connections are closed at once. Default 10 s.
    /// </summary>
    public TimeSpan ShutdownGrace
    {
        get;
        set => field = OptionRange.Wait(value, nameof(ShutdownGrace));
    } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The profile every connection of this server speaks (protocol.md Appendix B: chosen before the
    /// first byte, never guessed). Default 6ab05ee; <see cref="Rpc.Profile.Fa4d209"/> is what released
    /// zrepl (0.0.1 to 0.0.3) speaks: other DataType numbers, the Close handshake, RST at every teardown.
    /// </summary>
    public Profile Profile
    {
        get;
        set => field = OptionRange.Defined(value, nameof(Profile));
    } = Profile.P6ab05ee;

    /// <summary>
    /// Profile fa4d209: after its RST, how long the server waits for the client's RST or end of
    /// stream before it closes (FACONN-3); default 1 s, as zrepl 0.0.3. FACONN-2 allows at most 1 s.
    /// </summary>
    public TimeSpan HangupWait
    {
        get;
        set => field = OptionRange.Wait(value, nameof(HangupWait));
    } = CloseHandshake.HangupWait;

    /// <summary>Receives one line per connection event (open, close, errors). Null: no logging.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Decision points a mutant server overrides (kit self-test only); correct by default.</summary>
    internal RpcServerHooks Hooks { get; set; } = RpcServerHooks.Correct;
}
