using System.Buffers.Binary;
using System.CommandLine;
using System.Text;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Runner;

/// <summary>--profile (which scenarios and numbers a run uses) and --detect-profile (an explicit probe).</summary>
public static class ProfileOptions
{
    public static Option<string> CreateProfile()
    {
        var option = new Option<string>("--profile")
        {
            HelpName = "6ab05ee|fa4d209",
            Description = "Protocol profile the implementation speaks (docs/profiles.md): scenarios tagged for the other profile are left out, DataType numbers and the client's Close handshake follow this one. " +
                          "A run never guesses it; see --detect-profile.",
            DefaultValueFactory = _ => KitProfiles.Default,
        };
        option.AcceptOnlyFromAmong([.. KitProfiles.Names]);
        return option;
    }

    public static Option<bool> CreateDetect() => new("--detect-profile")
    {
        Description = "Instead of the scenarios, ask the --target server which profile it speaks with two harmless Echo calls (spec/profile-fa4d209.md section 9), print the answer and how sure it is, and exit: " +
                      $"{ExitCodes.Success} both probes agree, {ExitCodes.ProfileProbable} one probe was conclusive, {ExitCodes.ProfileUnknown} neither profile fits, {ExitCodes.TargetUnreachable} unreachable.",
    };

    /// <summary>The scenarios of <paramref name="profile"/>: those tagged for it and the shared (untagged) ones.</summary>
    public static IReadOnlyList<ScenarioCase> ForProfile(IEnumerable<ScenarioCase> scenarios, KitProfile profile)
        => scenarios.Where(s => KitProfiles.Applies(s.Tags, profile)).ToList();

    public static async Task<int> DetectAsync(IReadOnlyList<string> targets, KitProfile referenceProfile, TimeSpan timeout, TextWriter output, TextWriter error, CancellationToken ct)
    {
        if (targets.Count != 1)
        {
            error.WriteLine("error: --detect-profile takes exactly one --target (tcp://, unix://, exec: or reference)");
            return ExitCodes.UsageError;
        }

        IServerTarget target;
        try
        {
            target = TargetParser.ParseServer(targets[0]).Open(referenceProfile);
        }
        catch (FormatException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.UsageError;
        }

        await using (target.ConfigureAwait(false))
        {
            if (await ConformanceRun.ProbeAsync(target, ct).ConfigureAwait(false) is { } unreachable)
            {
                error.WriteLine($"error: {unreachable}");
                return ExitCodes.TargetUnreachable;
            }

            var detection = await ProfileProbe.DetectAsync(target, timeout, ct).ConfigureAwait(false);
            output.WriteLine(detection.Summary);
            foreach (var line in detection.Evidence) output.WriteLine($"  {line}");
            return detection.Profile is null ? ExitCodes.ProfileUnknown : detection.Certain ? ExitCodes.Success : ExitCodes.ProfileProbable;
        }
    }
}

/// <summary>What the probe concluded: the profile (null when neither fits), whether both probes agree, and why.</summary>
public sealed record ProfileDetection(KitProfile? Profile, bool Certain, IReadOnlyList<string> Evidence)
{
    public string Summary => Profile is { } p
        ? $"profile {p.Name()} ({(Certain ? "certain: both probes answered as a " + p.Name() + " server" : "probable: one probe answered as a " + p.Name() + " server, the other told nothing")})"
        : "profile unknown: the answers fit neither profile";
}

/// <summary>
/// The explicit probe of spec/profile-fa4d209.md section 9: one Echo call numbered for each
/// profile, each on a fresh connection as its first request. The evidence is the status and, for
/// OK, the DataType of each answer, never a message text. Only this probe looks at a server to
/// name its profile; scenario runs use the profile they are given.
/// </summary>
public static class ProfileProbe
{
    private const int MaxBody = 1 << 16;

    public static async Task<ProfileDetection> DetectAsync(IServerTarget target, TimeSpan timeout, CancellationToken ct)
    {
        var evidence = new List<string>();
        var votes = new List<KitProfile?>();
        foreach (var numbering in new[] { KitProfile.P6ab05ee, KitProfile.Fa4d209 })
        {
            var (vote, said) = await ProbeOnceAsync(target, numbering, timeout, ct).ConfigureAwait(false);
            votes.Add(vote);
            evidence.Add(said);
        }

        var named = votes.Where(v => v is not null).Select(v => v!.Value).Distinct().ToList();
        return named.Count == 1
            ? new ProfileDetection(named[0], votes.All(v => v == named[0]), evidence)
            : new ProfileDetection(null, false, named.Count > 1 ? [.. evidence, "the two probes contradict each other"] : evidence);
    }

    /// <summary>Echo {} numbered as MarshaledJSON of <paramref name="numbering"/>; which profile the answer shows, and what was seen.</summary>
    private static async Task<(KitProfile? Vote, string Evidence)> ProbeOnceAsync(IServerTarget target, KitProfile numbering, TimeSpan timeout, CancellationToken ct)
    {
        var json = numbering.Json();
        var what = $"Echo with DataType {json} and Accept {json} (MarshaledJSON in {numbering.Name()})";
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        Stream stream;
        try
        {
            stream = await target.ConnectAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TargetUnreachableException or OperationCanceledException)
        {
            return (null, $"{what}: could not connect ({e.Message})");
        }

        await using (stream.ConfigureAwait(false))
        {
            try
            {
                var request = (byte[])[.. FrameBytes.CanonicalMessage(WireConstants.Header, HeaderJson.CanonicalRequest("Echo", json, json)),
                    .. FrameBytes.CanonicalMessage(WireConstants.Data, "{}\n"u8)];
                await stream.WriteAsync(request, cts.Token).ConfigureAwait(false);
                await stream.FlushAsync(cts.Token).ConfigureAwait(false);
                var headerBytes = await ReadMessageAsync(stream, WireConstants.Header, WireConstants.MaxHeaderMessage, cts.Token).ConfigureAwait(false);
                if (headerBytes is null) return (null, $"{what}: no response header (RST or end of stream)");
                if (HeaderJson.TryRead(headerBytes, out var problem) is not { } header)
                    return (null, $"{what}: the response header is unusable ({problem})");
                var seen = $"{what}: status {WireConstants.StatusName(header.Status)}, DataType {header.DataType}";
                if (header.Status == WireConstants.StatusRequestError)
                {
                    // Refused: the number means something else to this server.
                    return (numbering.Other(), $"{seen}: refused, so {json} is not MarshaledJSON here -> {numbering.Other().Name()}");
                }

                if (header.Status != WireConstants.StatusOk)
                    return (null, $"{seen}: neither profile answers this way");
                var body = await ReadMessageAsync(stream, WireConstants.Data, MaxBody, cts.Token).ConfigureAwait(false);
                var echoed = body is not null && Encoding.UTF8.GetString(body).Trim() == "{}";
                return header.DataType == (ulong)json && echoed
                    ? (numbering, $"{seen}, body {{}}: echoed as MarshaledJSON -> {numbering.Name()}")
                    : (null, $"{seen}: an OK answer that is not the echo of {{}} with DataType {json}; neither profile answers this way");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return (null, $"{what}: no complete answer within {timeout.TotalSeconds:0.#} s");
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                return (null, $"{what}: the connection failed ({e.Message})");
            }
        }
    }

    /// <summary>One message of frames of <paramref name="type"/>, bounded; null when an RST, another type or end of stream comes instead.</summary>
    private static async Task<byte[]?> ReadMessageAsync(Stream stream, byte type, int limit, CancellationToken ct)
    {
        var content = new MemoryStream();
        var frameHeader = new byte[WireConstants.FrameHeaderSize];
        while (true)
        {
            if (!await FillAsync(stream, frameHeader, ct).ConfigureAwait(false)) return null;
            var length = BinaryPrimitives.ReadUInt32LittleEndian(frameHeader.AsSpan(2));
            if (frameHeader[0] != type || content.Length + length > limit) return null;
            var payload = new byte[length];
            if (!await FillAsync(stream, payload, ct).ConfigureAwait(false)) return null;
            content.Write(payload);
            if (frameHeader[1] != 0) return content.ToArray();
        }
    }

    private static async Task<bool> FillAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false);
            if (n == 0) return false;
            total += n;
        }

        return true;
    }
}
