using NUnit.Framework;
using Zrpc.Conformance.NUnit;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Tests.Suite;

/// <summary>
/// The conformance scenarios as NUnit tests: one test case per scenario or outline row, named by
/// its stable id and categorised by its tags (<c>dotnet test --filter TestCategory=RPC-7</c>),
/// run once per target (fixture parameter; see <see cref="SuiteTargets"/>).
/// </summary>
[TestFixtureSource(typeof(SuiteTargets), nameof(SuiteTargets.AllWithProfiles))]
public sealed class ConformanceSuite(string targetText, string profileName)
{
    private static readonly Lazy<IReadOnlyDictionary<string, ScenarioCase>> Loaded = new(() =>
        FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory).ToDictionary(s => s.Id));

    private KitProfile Profile => KitProfiles.Parse(profileName);

    private IServerTarget _target = null!;
    private IAsyncDisposable? _server;
    private RunSettings _settings = null!;
    private ScenarioExecutor _executor = null!;
    private IReadOnlyDictionary<string, ScenarioCase> _scenarios = null!;
    private SuiteTargetWatch _watch = null!;

    // Client-role scenarios run against client drivers only (ClientSuite).
    public static IEnumerable<TestCaseData> Scenarios()
        => ConformanceScenarios.Cases(Loaded.Value.Values.Where(s => !Zrpc.Conformance.ClientRole.Roles.IsClientScenario(s)));

    [OneTimeSetUp]
    public async Task StartTarget()
    {
        string resolved;
        (resolved, _server) = await SuiteTargets.ResolveAsync(targetText, Profile);
        var spec = TargetParser.ParseServer(SuiteTargets.Reference == resolved ? null : resolved);
        _target = spec.Open(Profile);
        var deviationsFile = Environment.GetEnvironmentVariable("ZRPC_EXPECT_DEVIATIONS");
        _settings = new RunSettings
        {
            Targets = [spec],
            Profile = Profile,
            Deviations = string.IsNullOrEmpty(deviationsFile) ? ExpectedDeviations.None : ExpectedDeviations.Load(deviationsFile),
        };
        _executor = new ScenarioExecutor(_settings.BindingAssembly);
        _scenarios = ConformanceScenarios.ForTarget(Loaded.Value.Values.ToList(), _target.Name).ToDictionary(s => s.Id);
        _watch = new SuiteTargetWatch(_target, _settings, _executor);
        var unreachable = await ConformanceRun.ProbeAsync(_target, CancellationToken.None);
        if (unreachable is not null)
        {
            Assert.Fail(unreachable);
        }
    }

    [OneTimeTearDown]
    public async Task StopTarget()
    {
        await _target.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    [TestCaseSource(nameof(Scenarios))]
    public async Task Scenario(string id)
    {
        if (!KitProfiles.Applies(_scenarios[id].Tags, Profile)) Assert.Ignore($"a scenario of the other profile (run with profile {profileName})");
        // The runner's rules: a target that goes down gives one FAIL (TRANS-2), the rest NOT RUN.
        var result = await _watch.RunAsync(_scenarios[id]);
        ConformanceVerdicts.Report(result);
    }
}
