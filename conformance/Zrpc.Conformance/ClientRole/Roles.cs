using Zrpc.Conformance.Driver;

namespace Zrpc.Conformance.ClientRole;

/// <summary>Which scenarios a run's role selects: server targets never see @client scenarios, client drivers see only them.</summary>
public static class Roles
{
    public const string ClientRoleTag = "@client";

    public const string Server = "server", Client = "client", Both = "both";

    public static bool IsClientScenario(ScenarioCase scenario) => scenario.HasTag(ClientRoleTag);

    public static IReadOnlyList<ScenarioCase> ForRole(IEnumerable<ScenarioCase> scenarios, string role) => role switch
    {
        Client => scenarios.Where(IsClientScenario).ToList(),
        Both => scenarios.ToList(),
        _ => scenarios.Where(s => !IsClientScenario(s)).ToList(),
    };
}
