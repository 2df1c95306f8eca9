using NUnit.Framework;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.NUnit;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Reporting;
using Zrpc.Conformance.Runner;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Tests.Suite;

/// <summary>
/// The client-role (@client) scenarios as NUnit tests, once per client driver (fixture parameter):
/// the reference client's driver (<c>zrpc client-driver</c>), the Python example's driver, and
/// every entry of ZRPC_CLIENT_TARGETS (semicolon-separated <c>exec:... {address} ...</c>).
/// ZRPC_SUITE_CLIENT_TARGETS=reference-client limits the built-in set.
/// </summary>
[TestFixtureSource(typeof(ClientSuite), nameof(Drivers))]
public sealed class ClientSuite(string driverName, string profileName)
{
    public const string EnvironmentVariable = "ZRPC_CLIENT_TARGETS";
    public const string BuiltInVariable = "ZRPC_SUITE_CLIENT_TARGETS";

    private static readonly string[] BuiltIn = ["reference-client", "python-example-client"];

    private static readonly Lazy<IReadOnlyDictionary<string, ScenarioCase>> Loaded = new(() =>
        Roles.ForRole(FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory), Roles.Client).ToDictionary(s => s.Id));

    private ClientDriverTarget _target = null!;
    private RunSettings _settings = null!;
    private ScenarioExecutor _executor = null!;
    private IReadOnlyDictionary<string, ScenarioCase> _scenarios = null!;

    public static IEnumerable<TestFixtureData> Drivers() => KitProfiles.Names.SelectMany(p => DriverNames().Select(d => new TestFixtureData(d, p)));

    private KitProfile Profile => KitProfiles.Parse(profileName);

    public static IEnumerable<string> DriverNames()
    {
        var only = Environment.GetEnvironmentVariable(BuiltInVariable);
        foreach (var name in string.IsNullOrWhiteSpace(only) ? BuiltIn : only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            yield return name;
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(configured)) yield break;
        foreach (var target in configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            yield return target;
    }

    /// <summary>The exec: command of a built-in driver; any other name is taken as a target string.</summary>
    public static string Resolve(string name)
    {
        var root = RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("Conformance.sln not found above the test assembly");
        return name switch
        {
            "reference-client" => $"exec:dotnet {Path.Combine(AppContext.BaseDirectory, "Zrpc.Cli.dll")} client-driver --connect {ClientDriverTarget.AddressPlaceholder}",
            "python-example-client" => $"exec:python3 {Path.Combine(root, "conformance", "examples", "python", "zrpc_client.py")} --connect {ClientDriverTarget.AddressPlaceholder}",
            _ => name,
        };
    }

    public static IEnumerable<TestCaseData> Scenarios() => ConformanceScenarios.Cases(Loaded.Value.Values);

    [OneTimeSetUp]
    public async Task StartDriver()
    {
        var resolved = Resolve(driverName);
        var spec = TargetParser.ParseClient(resolved);
        _target = spec.Open(Profile);
        var deviationsFile = Environment.GetEnvironmentVariable("ZRPC_EXPECT_DEVIATIONS");
        _settings = new RunSettings
        {
            Targets = [],
            ClientTargets = [spec],
            Profile = Profile,
            Deviations = string.IsNullOrEmpty(deviationsFile) ? ExpectedDeviations.None : ExpectedDeviations.Load(deviationsFile),
        };
        _executor = new ScenarioExecutor(_settings.BindingAssembly);
        _scenarios = ConformanceScenarios.ForTarget(Loaded.Value.Values.ToList(), _target.Name).ToDictionary(s => s.Id);
        if (await ConformanceRun.ProbeAsync(_target, CancellationToken.None) is { } unusable)
        {
            Assert.Fail(unusable);
        }
    }

    [OneTimeTearDown]
    public async Task StopDriver() => await _target.DisposeAsync();

    [TestCaseSource(nameof(Scenarios))]
    public async Task Scenario(string id)
    {
        if (!KitProfiles.Applies(_scenarios[id].Tags, Profile)) Assert.Ignore($"a scenario of the other profile (run with profile {profileName})");
        var result = await ConformanceRun.RunOneAsync(_scenarios[id], _target, _settings, _executor);
        ConformanceVerdicts.Report(result);
    }
}
