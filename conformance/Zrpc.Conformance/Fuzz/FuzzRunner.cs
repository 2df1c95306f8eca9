using System.Text;
using System.Text.Json;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Steps;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Fuzz;

/// <summary>Why a fuzz case failed: the requirement, what was seen, and the traffic.</summary>
public sealed record FuzzFailure(string Message, string Traffic);

/// <summary>
/// Sends fuzz cases to an implementation and judges them. The valid requests go first and must
/// get exactly the responses the spec requires; the tail may be anything, and after it the
/// implementation must send only well-formed frames, end the connection once the input ends,
/// and go on serving a fresh connection.
/// </summary>
public sealed class FuzzRunner(IServerTarget target, TimeSpan timeout)
{
    public async Task<FuzzFailure?> CheckAsync(FuzzCase fuzzCase, CancellationToken ct)
    {
        await using var context = new TargetContext(target, timeout, "");
        try
        {
            await RunAsync(context, fuzzCase, ct);
            await ProbeAsync(context, ct);
            return null;
        }
        catch (ScenarioFailure e)
        {
            return new FuzzFailure(e.Message, context.Traffic.FormatAnnotatedHex());
        }
    }

    async Task RunAsync(TargetContext context, FuzzCase fuzzCase, CancellationToken ct)
    {
        await using var connection = new KitConnection(await context.OpenAsync("fuzz", ct), timeout, () => { });
        // Each valid request is answered before the next bytes go out: a peer that resets the
        // connection on the tail's error could otherwise destroy responses still in flight.
        foreach (var request in fuzzCase.Requests)
        {
            await connection.SendAsync(request.Bytes);
            var response = await connection.ReadResponseAsync(1 << 20, $"the response to {request.Describe}");
            Judge(request, response);
        }
        foreach (var piece in fuzzCase.TailHex)
            await connection.SendAsync(Convert.FromHexString(piece));
        await connection.CloseOutputAsync();

        // Whatever comes now must be well-formed responses, then the end of the connection.
        while (true)
        {
            var seen = await connection.ObserveEndAsync(timeout);
            if (seen.UnexpectedFrame is { Type: WireConstants.Header })
            {
                await connection.ReadResponseAsync(1 << 20, "a response after the tail");
                continue;
            }
            if (seen.UnexpectedFrame is { } frame)
                throw new RequirementViolation("RPC-3", $"after the tail ({fuzzCase.Mutation}) the implementation sent {frame}, which starts no response");
            if (seen.End == InputEnd.TimedOut)
                throw new RequirementViolation("CONN-4",
                    $"the kit's input ended ({fuzzCase.Mutation}), but the implementation neither answered nor closed the connection within {timeout.TotalSeconds:0.#} s");
            return;
        }
    }

    static void Judge(FuzzRequest request, Response response)
    {
        var expect = request.Expect;
        RequirementViolation.Require(response.Status == expect.Status, expect.Status == WireConstants.StatusRequestError ? "SRV-1" : "RPC-3", () =>
            $"{request.Describe}: expected status {WireConstants.StatusName(expect.Status)}, got {WireConstants.StatusName(response.Status)} ({response.Header.ErrorMessage})");
        if (expect.ErrorMessage is { } message)
            RequirementViolation.Require(response.Header.ErrorMessage == message, "CTS-3", () =>
                $"{request.Describe}: ErrorMessage \"{response.Header.ErrorMessage}\", expected \"{message}\"");
        if (expect.Json is { } json)
            ResponseSteps.RequireJsonBody(response, json, request.Describe);
        if (expect.SourceLength is { } length)
        {
            var body = response.Body!;
            RequirementViolation.Require(body.Length == length && body.FirstSourcePatternMismatch < 0, "CTS-4", () =>
                $"{request.Describe}: body of {body.Length} bytes, first wrong byte at {body.FirstSourcePatternMismatch}");
        }
    }

    /// <summary>The implementation must still serve a new connection (TRANS-2).</summary>
    async Task ProbeAsync(TargetContext context, CancellationToken ct)
    {
        KitConnection probe;
        try
        {
            probe = new KitConnection(await context.OpenAsync("probe", ct), timeout, () => { });
        }
        catch (TargetUnreachableException e)
        {
            throw new RequirementViolation("TRANS-2", $"after the case, a new connection could not be opened: {e.Message}");
        }
        await using (probe)
        {
            var header = FrameBytes.CanonicalMessage(WireConstants.Header, HeaderJson.CanonicalRequest("Echo", 2, 2));
            var body = FrameBytes.CanonicalMessage(WireConstants.Data, "{\"probe\":true}\n"u8);
            await probe.SendAsync((byte[])[.. header, .. body]);
            Response response;
            try { response = await probe.ReadResponseAsync(1 << 16, "the probe Echo on a new connection"); }
            catch (RequirementViolation e) { throw new RequirementViolation("TRANS-2", $"after the case the implementation no longer serves new connections: {e.Message}"); }
            RequirementViolation.Require(response.Status == WireConstants.StatusOk, "TRANS-2", () => "the probe Echo on a new connection did not get OK");
        }
    }

    /// <summary>
    /// Shrinks a failing case: drops valid requests and tail pieces, then shortens tail pieces,
    /// keeping every change that still fails. Bounded, so a flaky target cannot loop forever.
    /// </summary>
    public async Task<(FuzzCase Case, FuzzFailure Failure)> ShrinkAsync(FuzzCase failing, FuzzFailure failure, CancellationToken ct, int budget = 150)
    {
        var current = failing;
        var changed = true;
        while (changed && budget > 0)
        {
            changed = false;
            foreach (var candidate in Candidates(current))
            {
                if (budget-- <= 0) break;
                if (await CheckAsync(candidate, ct) is { } f && Kind(f) == Kind(failure))
                {
                    current = candidate;
                    failure = f;
                    changed = true;
                    break;
                }
            }
        }
        return (current, failure);
    }

    /// <summary>The requirement a failure names: shrinking must not wander off to another bug.</summary>
    static string Kind(FuzzFailure f) => f.Message.StartsWith('[') ? f.Message[..(f.Message.IndexOf(']') + 1)] : "";

    static IEnumerable<FuzzCase> Candidates(FuzzCase c)
    {
        for (var i = 0; i < c.Requests.Count; i++)
            yield return c with { Requests = c.Requests.Where((_, k) => k != i).ToList() };
        for (var i = 0; i < c.TailHex.Count; i++)
            yield return c with { TailHex = c.TailHex.Where((_, k) => k != i).ToList() };
        for (var i = 0; i < c.TailHex.Count; i++)
        {
            var bytes = c.TailHex[i].Length / 2;
            foreach (var keep in new[] { bytes / 2, bytes - 1 })
                if (keep >= 1 && keep < bytes)
                    yield return c with { TailHex = c.TailHex.Select((t, k) => k == i ? t[..(keep * 2)] : t).ToList() };
        }
    }

    public static string Save(FuzzCase fuzzCase, string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"fuzz-{fuzzCase.Seed}-{fuzzCase.Index}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(fuzzCase, new JsonSerializerOptions { WriteIndented = true }), Encoding.UTF8);
        return path;
    }

    public static FuzzCase Load(string path) =>
        JsonSerializer.Deserialize<FuzzCase>(File.ReadAllText(path)) ?? throw new FormatException($"{path} holds no fuzz case");
}
