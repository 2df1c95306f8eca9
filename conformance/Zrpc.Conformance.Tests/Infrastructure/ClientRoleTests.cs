using NUnit.Framework;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>
/// The client role's plumbing: role selection, driver targets, and proof that the client
/// scenarios catch bad clients (a driver that reports success for everything, one that hangs,
/// one that crashes).
/// </summary>
public sealed class ClientRoleTests
{
    private static readonly Lazy<IReadOnlyList<ScenarioCase>> All = new(() => FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory));

    [Test]
    public void The_server_role_never_selects_a_client_scenario_and_the_client_role_only_those()
    {
        var server = Roles.ForRole(All.Value, Roles.Server);
        var client = Roles.ForRole(All.Value, Roles.Client);

        Assert.That(client, Is.Not.Empty);
        Assert.That(client, Has.All.Matches<ScenarioCase>(s => s is { } c && c.HasTag("@client")));
        Assert.That(server, Has.None.Matches<ScenarioCase>(s => s is { } c && c.HasTag("@client")));
        Assert.That(server.Count + client.Count, Is.EqualTo(All.Value.Count));
        Assert.That(Roles.ForRole(All.Value, Roles.Both), Has.Count.EqualTo(All.Value.Count));
    }

    [Test]
    public void Every_client_scenario_cites_a_requirement_and_a_level()
    {
        foreach (var scenario in Roles.ForRole(All.Value, Roles.Client))
        {
            Assert.That(scenario.RequirementIds, Is.Not.Empty, scenario.Id);
            Assert.That(scenario.HasTag("@must") || scenario.HasTag("@should"), Is.True, scenario.Id);
        }
    }

    [TestCase("tcp://127.0.0.1:9000")]
    [TestCase("exec:my-client --connect 127.0.0.1:9000")]
    public void A_client_target_must_be_an_exec_command_with_the_address_placeholder(string text)
    {
        Assert.Throws<FormatException>(() => TargetParser.ParseClient(text));
    }

    [Test]
    public void The_placeholder_is_replaced_in_every_argument()
    {
        var target = TargetParser.ParseClient("exec:my-client --connect {address} --log 'at {address}'").Open(KitProfile.P6ab05ee);

        var (program, arguments) = target.CommandFor("tcp://127.0.0.1:5");

        Assert.That(program, Is.EqualTo("my-client"));
        Assert.That(arguments, Is.EqualTo(new[] { "--connect", "tcp://127.0.0.1:5", "--log", "at tcp://127.0.0.1:5" }));
    }

    [Test]
    public async Task A_client_that_reports_success_for_everything_fails_the_truncation_and_error_scenarios()
    {
        var driver = WriteDriver("""
            import json, sys
            script = json.load(sys.stdin)
            for i, call in enumerate(script["calls"], 1):
                print(json.dumps({"call": i, "outcome": "ok", "datatype": "json", "json": {"a": 1}}), flush=True)
            """);
        var results = await RunAsync(driver, "client-body-cut", "client-status-zero", "client-error-status");

        Assert.That(results, Is.Not.Empty);
        Assert.That(results.Select(r => r.Verdict), Has.All.EqualTo(Verdict.Fail));
        Assert.That(results.First(r => r.Scenario.Id == "client-body-cut/close-mid-payload").Execution.Message, Does.Contain("[CLI-4]"));
        Assert.That(results.First(r => r.Scenario.Id == "client-status-zero").Execution.Message, Does.Contain("[CLI-2]"));
    }

    [Test]
    public async Task A_client_that_crashes_fails_even_a_scenario_it_would_pass()
    {
        var driver = WriteDriver("""
            import json, sys
            if json.load(sys.stdin)["calls"]:  # the kit's probe (no calls) must pass
                print("Traceback (most recent call last):")
                sys.exit(1)
            """);
        var results = await RunAsync(driver, "client-rst-instead-of-response");

        Assert.That(results.Single().Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(results.Single().Execution.Message, Does.Contain("crashed"));
    }

    private static string WriteDriver(string source)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("zrpc-client-driver-").FullName, "driver.py");
        File.WriteAllText(path, source);
        return $"exec:python3 {path} --connect {ClientDriverTarget.AddressPlaceholder}";
    }

    private static async Task<IReadOnlyList<ScenarioResult>> RunAsync(string driver, params string[] ids)
    {
        var selection = new ScenarioSelection { Only = ids };
        var scenarios = selection.Apply(Roles.ForRole(All.Value, Roles.Client));
        var settings = new RunSettings { Targets = [], ClientTargets = [TargetParser.ParseClient(driver)] };
        var report = await ConformanceRun.RunAsync(scenarios, settings, Zrpc.Spec.RequirementCatalog.LoadEmbedded(), null, CancellationToken.None);
        return report.AllResults.ToList();
    }
}
