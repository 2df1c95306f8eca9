using Zrpc.Spec;
using Reqnroll;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Steps;

/// <summary>Opening, choosing and watching connections.</summary>
[Binding]
public sealed class ConnectionSteps(ScenarioState state)
{
    [StepDefinition(@"^a connection to the implementation$")]
    public Task OpenDefault() => state.OpenAsync("A");

    [StepDefinition(@"^a connection ""([^""]*)"" to the implementation$")]
    public Task OpenNamed(string label) => state.OpenAsync(label);

    /// <summary>A second connection that sits idle while the scenario misbehaves on the first (TRANS-2).</summary>
    [StepDefinition(@"^a bystander connection opened alongside$")]
    public async Task OpenBystander()
    {
        var current = state.Connection.Label;
        await state.OpenAsync(Bystander);
        state.Use(current);
    }

    [Then(@"^the bystander connection still works$")]
    public async Task BystanderWorks()
    {
        var current = state.Connection.Label;
        state.Use(Bystander);
        try
        {
            await Probe(state, 1, "TRANS-2");
        }
        catch (ScenarioFailure e)
        {
            // Harm means this connection failed where a connection of its own works: when a fresh
            // connection fails the same way, the fault is not the error next door.
            var fresh = await FreshConnectionProblem(state);
            if (fresh is not null) throw fresh;
            throw new RequirementViolation("TRANS-2", $"a connection that was open alongside was harmed by the error on connection {current}, while a fresh connection works: {e.Detail}");
        }
        state.Use(current);
    }


    /// <summary>
    /// Why an Echo call on a connection of its own fails, or null when it works. An implementation
    /// that cannot serve that call at all is told apart from one that reads frame lengths big-endian (FRAME-1).
    /// </summary>
    static async Task<RequirementViolation?> FreshConnectionProblem(ScenarioState state)
    {
        var current = state.Connection.Label;
        var label = $"fresh{state.Connections.Count}";
        try
        {
            await state.OpenAsync(label);
            await Probe(state, 1, "RPC-3");
            return null;
        }
        catch (ScenarioFailure e)
        {
            if (await AnswersBigEndian(state))
                return new RequirementViolation("FRAME-1", $"every connection fails, a fresh one too ({e.Detail}); the implementation answers a request whose frame lengths are written big-endian: frame lengths are little-endian");
            return new RequirementViolation((e as RequirementViolation)?.Requirement ?? RequirementId.Of("RPC-3"),
                $"a fresh connection fails the same way, so this is not harm done by the error on another connection: {e.Detail}");
        }
        finally
        {
            state.Use(current);
        }
    }

    /// <summary>
    /// A FRAME-1 verdict when the implementation answers a request framed big-endian (and so could
    /// not have answered the scenario's little-endian one); null otherwise. Costs one connection.
    /// </summary>
    internal static async Task<RequirementViolation?> ByteOrderProblem(ScenarioState state, string what)
    {
        var current = state.Connection.Label;
        try
        {
            return await AnswersBigEndian(state)
                ? new RequirementViolation("FRAME-1", $"{what}; the implementation answers a request whose frame lengths are written big-endian: frame lengths are little-endian")
                : null;
        }
        finally
        {
            var response = state.LastResponse;
            state.Use(current);
            state.LastResponse = response;
        }
    }

    /// <summary>True when the implementation answers an Echo request framed with big-endian lengths.</summary>
    static async Task<bool> AnswersBigEndian(ScenarioState state)
    {
        try
        {
            var connection = await state.OpenAsync($"byte-order{state.Connections.Count}");
            var header = HeaderJson.CanonicalRequest("Echo", WireConstants.DataTypeJson, WireConstants.DataTypeJson);
            var body = "{\"byte\":\"order\"}\n"u8.ToArray();
            var request = new MemoryStream();
            foreach (var (type, payload) in new[] { (WireConstants.Header, header), (WireConstants.Data, body) })
            {
                var frame = new byte[WireConstants.FrameHeaderSize];
                frame[0] = type;
                frame[1] = 1;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(2), (uint)payload.Length);
                request.Write(frame);
                request.Write(payload);
            }
            await connection.SendAsync(request.ToArray());
            var first = await connection.ReadRawAsync(WireConstants.FrameHeaderSize);
            return first is { Length: WireConstants.FrameHeaderSize } && first[0] == WireConstants.Header
                && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(first.AsSpan(2)) is > 0 and <= WireConstants.MaxHeaderMessage;
        }
        catch (Exception e) when (e is ScenarioFailure or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    const string Bystander = "bystander";

    [StepDefinition(@"^(\d+) connections to the implementation$")]
    public async Task OpenMany(int count)
    {
        for (var i = 1; i <= count; i++) await state.OpenAsync($"C{i}");
    }

    [StepDefinition(@"^the client uses connection ""([^""]*)""$")]
    public void Use(string label) => state.Use(label);

    [StepDefinition(@"^the client closes its sending side$")]
    public Task CloseOutput() => state.Connection.CloseOutputAsync();

    [AfterScenario]
    public Task CloseAll() => state.CloseAllAsync();

    [Then(@"^the implementation sends nothing for (\d+) milliseconds$")]
    public async Task Silence(int milliseconds)
    {
        var (quiet, end) = await state.Connection.ExpectSilenceAsync(TimeSpan.FromMilliseconds(milliseconds));
        RequirementViolation.Require(quiet, "TRANS-1", () => end == InputEnd.None
            ? "the implementation sent bytes before receiving any request"
            : $"before any request, {KitConnection.DescribeEnd(end)}");
    }

    [Then(@"^the connection is still usable" + ResponseSteps.As + "$")]
    public Task Usable(string? requirement) => Probe(state, 1, ResponseSteps.NullIfEmpty(requirement));

    [Then(@"^the connection is still usable (\d+) times in a row" + ResponseSteps.As + "$")]
    public Task UsableMany(int times, string? requirement) => Probe(state, times, ResponseSteps.NullIfEmpty(requirement));

    [Then(@"^if the connection is open it is still usable" + ResponseSteps.As + "$")]
    public Task UsableIfOpen(string? requirement) => state.Connection.Ended ? Task.CompletedTask : Probe(state, 1, ResponseSteps.NullIfEmpty(requirement));

    /// <summary>
    /// An Echo call with a fresh value: proves the connection is in sync after what came before.
    /// <paramref name="requirement"/> is what the scenario relies on to keep it in sync (SRV-7 after
    /// a rejected body, SRV-9 after an error response by default); every way the probe fails names it.
    /// </summary>
    internal static async Task Probe(ScenarioState state, int times, string? requirement = null)
    {
        var id = requirement ?? "SRV-9";
        var connection = state.Connection;
        for (var i = 0; i < times; i++)
        {
            var json = $"{{\"probe\":{i},\"connection\":\"{connection.Label}\",\"pad\":\"{new string('p', i % 7)}\"}}";
            await CallSteps.SendRequestAsync(state, "Echo", WireConstants.DataTypeJson, WireConstants.DataTypeJson,
                FrameBytes.CanonicalMessage(WireConstants.Data, System.Text.Encoding.UTF8.GetBytes(json + "\n")));
            Response response;
            try
            {
                response = await connection.ReadResponseAsync(1 << 20, $"probe call {i + 1} (an Echo call to check that the connection is still in sync)");
            }
            catch (UnattributedFailure e)
            {
                throw await ByteOrderProblem(state, e.Message) ?? new RequirementViolation(id, $"the connection is no longer usable: {e.Message}");
            }
            connection.RequestsAwaitingResponse--;
            RequirementViolation.Require(response.Status != WireConstants.StatusUnset, "HDR-9", () =>
                $"the probe Echo call {i + 1} got a response with status 0, which no response may carry; header: {response.Header.Text.TrimEnd()}");
            RequirementViolation.Require(response.Status == WireConstants.StatusOk, id, () =>
                $"the probe Echo call {i + 1} got status {WireConstants.StatusName(response.Status)} ({response.Header.ErrorMessage}) instead of OK: the connection is out of sync");
            ResponseSteps.RequireJsonBody(response, json, $"probe call {i + 1}", id);
        }
        state.LastResponse = null;
    }
}
