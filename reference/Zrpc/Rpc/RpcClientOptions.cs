namespace Zrpc.Rpc;

/// <summary>Tunables of <see cref="RpcClient"/>.</summary>
public sealed class RpcClientOptions
{
    /// <summary>
    /// Longest wait for a response, from the end of the request until the response header (and a
    /// MarshaledJSON body) has arrived (CLI-6). Expiry fails the call and ends the connection.
    /// Default 10 minutes; <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan CallTimeout
    {
        get;
        set => field = OptionRange.Timeout(value, nameof(CallTimeout));
    } = TimeSpan.FromMinutes(10);

    /// <summary>Read timeout while an Octets response body is incomplete (CONN-5); default 30 s.</summary>
    public TimeSpan ReadTimeout
    {
        get;
        set => field = OptionRange.Timeout(value, nameof(ReadTimeout));
    } = TimeSpan.FromSeconds(30);

    /// <summary>Largest MarshaledJSON response body the client decodes; default 64 MiB.</summary>
    public long MaxJsonBody
    {
        get;
        set => field = OptionRange.AtLeastOne(value, nameof(MaxJsonBody));
    } = 64L * 1024 * 1024;

    /// <summary>
    /// The profile the connection speaks (protocol.md Appendix B); default 6ab05ee. With
    /// <see cref="Rpc.Profile.Fa4d209"/> the client numbers DataTypes as released zrepl does and
    /// ends the connection with the Close handshake (<see cref="RpcClient.CloseAsync"/>).
    /// </summary>
    public Profile Profile
    {
        get;
        set => field = OptionRange.Defined(value, nameof(Profile));
    } = Profile.P6ab05ee;

    /// <summary>Profile fa4d209: longest wait for the answer to the Close request (FACLI-2); default 1 s, as zrepl 0.0.3.</summary>
    public TimeSpan CloseTimeout
    {
        get;
        set => field = OptionRange.Wait(value, nameof(CloseTimeout));
    } = CloseHandshake.AnswerWait;

    /// <summary>Decision points a mutant client overrides (kit self-test only); correct by default.</summary>
    internal RpcClientHooks Hooks { get; set; } = RpcClientHooks.Correct;
}
