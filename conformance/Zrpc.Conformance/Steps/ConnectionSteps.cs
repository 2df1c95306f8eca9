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
            await Probe(state, 1);
        }
        catch (RequirementViolation e)
        {
            throw new RequirementViolation("TRANS-2", $"a connection that was open alongside was harmed by the error on connection {current}: {e.Message}");
        }
        state.Use(current);
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

    [Then(@"^the connection is still usable$")]
    public Task Usable() => Probe(state, 1);

    [Then(@"^the connection is still usable (\d+) times in a row$")]
    public Task UsableMany(int times) => Probe(state, times);

    [Then(@"^if the connection is open it is still usable$")]
    public Task UsableIfOpen() => state.Connection.Ended ? Task.CompletedTask : Probe(state, 1);

    /// <summary>An Echo call with a fresh value: proves the connection is in sync after what came before.</summary>
    internal static async Task Probe(ScenarioState state, int times)
    {
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
            catch (RequirementViolation e)
            {
                throw new RequirementViolation(null,
                    $"the connection is no longer usable: {e.Message}. After an error response the server must keep serving (SRV-9), having read the whole request body (SRV-7).");
            }
            connection.RequestsAwaitingResponse--;
            RequirementViolation.Require(response.Status == WireConstants.StatusOk, "SRV-9", () =>
                $"the probe Echo call {i + 1} got status {WireConstants.StatusName(response.Status)} ({response.Header.ErrorMessage}) instead of OK: the connection is out of sync (did the server read the previous body to its end? SRV-7)");
            ResponseSteps.RequireJsonBody(response, json, $"probe call {i + 1}");
        }
        state.LastResponse = null;
    }
}
