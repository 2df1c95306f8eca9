using Zrpc.Rpc;
using Zrpc.Transport;

namespace Zrpc.Cli;

/// <summary>Where the request body comes from.</summary>
internal enum BodySource
{
    JsonText,
    JsonFile,
    JsonStdin,
    OctetsFile,
    OctetsStdin,
}

/// <summary>A <c>zrpc call</c> command line, checked for consistency (violations are usage errors).</summary>
internal sealed record CallSettings(
    TransportAddress Address,
    string Endpoint,
    BodySource Body,
    string? BodyArgument,
    DataType Accept,
    string? OctetsOut,
    bool Verbose,
    TimeSpan Timeout,
    TimeSpan ReadTimeout)
{
    /// <summary>The profile the connection speaks; set by the command after parsing (--profile).</summary>
    public Profile Profile { get; init; } = Profile.P6ab05ee;

    public DataType RequestType => Body is BodySource.OctetsFile or BodySource.OctetsStdin ? DataType.Octets : DataType.MarshaledJson;

    public bool OctetsToStdout => OctetsOut is null or "-";

    public static CallSettings Create(
        TransportAddress address, string endpoint, string? json, string? jsonFile, string? octetsIn, string? octetsOut,
        string? accept, bool verbose, double timeoutSeconds, double readTimeoutSeconds, bool stdinRedirected)
    {
        int bodyOptions = (json is null ? 0 : 1) + (jsonFile is null ? 0 : 1) + (octetsIn is null ? 0 : 1);
        if (bodyOptions > 1) throw new UsageException("give at most one of --json, --json-file and --octets-in");

        (BodySource source, string? argument) = (json, jsonFile, octetsIn) switch
        {
            ({ } text, _, _) => (BodySource.JsonText, text),
            (_, "-", _) => (BodySource.JsonStdin, null),
            (_, { } file, _) => (BodySource.JsonFile, file),
            (_, _, "-") => (BodySource.OctetsStdin, (string?)null),
            (_, _, { } file) => (BodySource.OctetsFile, file),
            _ when stdinRedirected => (BodySource.JsonStdin, null),
            _ => throw new UsageException("no request body: give --json TEXT, --json-file FILE, --octets-in FILE|-, or pipe JSON into stdin"),
        };

        DataType acceptType = accept?.ToLowerInvariant() switch
        {
            null => octetsOut is null ? DataType.MarshaledJson : DataType.Octets,
            "json" => DataType.MarshaledJson,
            "octets" => DataType.Octets,
            "none" => DataType.None,
            _ => throw new UsageException($"--accept must be json, octets or none, not '{accept}'"),
        };
        if (octetsOut is not null && acceptType != DataType.Octets)
            throw new UsageException("--octets-out needs an Octets response; it cannot be combined with --accept json or none");
        if (timeoutSeconds < 0 || double.IsNaN(timeoutSeconds)) throw new UsageException($"--timeout must be 0 or more seconds, not {timeoutSeconds}");
        if (readTimeoutSeconds < 0 || double.IsNaN(readTimeoutSeconds)) throw new UsageException($"--read-timeout must be 0 or more seconds, not {readTimeoutSeconds}");
        if (endpoint.Length == 0) throw new UsageException("ENDPOINT must not be empty");
        if (octetsOut is not null and not "-" && Directory.Exists(octetsOut))
            throw new UsageException($"--octets-out {octetsOut} is a directory");
        if (source is BodySource.JsonFile or BodySource.OctetsFile && !File.Exists(argument))
            throw new UsageException($"request body file '{argument}' does not exist");

        return new CallSettings(
            address, endpoint, source, argument, acceptType, octetsOut, verbose,
            timeoutSeconds == 0 ? System.Threading.Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(timeoutSeconds),
            readTimeoutSeconds == 0 ? System.Threading.Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(readTimeoutSeconds));
    }
}
