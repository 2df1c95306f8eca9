using NUnit.Framework;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.NUnit;

/// <summary>
/// The kit's scenarios against your server, each as its own NUnit test case. Derive a fixture
/// and give the kit connections: every call of <see cref="ConnectAsync"/> returns a new stream
/// connected to your server (a loopback socket, a pipe, anything your server serves).
/// </summary>
public abstract class ServerConformanceTests
{
    private readonly ConformanceTargetRun _run = new(Roles.Server);

    /// <summary>A new connection to your server.</summary>
    protected abstract ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>The name of the implementation in messages; the fixture's class name unless overridden.</summary>
    protected virtual string TargetName => GetType().Name;

    /// <summary>How long one step may wait for the server (the runner's --timeout, default 5 s).</summary>
    protected virtual TimeSpan StepTimeout => RunSettings.DefaultStepTimeout;

    /// <summary>An expected-deviations file (docs/runner.md), or null for none.</summary>
    protected virtual string? ExpectedDeviationsFile => null;

    /// <summary>
    /// The protocol profile your server speaks: "6ab05ee" (spec/protocol.md, the default) or
    /// "fa4d209" (spec/profile-fa4d209.md). Scenarios of the other profile are ignored.
    /// </summary>
    protected virtual string Profile => "6ab05ee";

    [OneTimeSetUp]
    public Task StartConformanceTarget()
        => _run.StartAsync(new StreamFactoryTarget(TargetName, ConnectAsync), StepTimeout, ExpectedDeviationsFile, GetType(), KitProfiles.Parse(Profile));

    [OneTimeTearDown]
    public Task StopConformanceTarget() => _run.StopAsync();

    [TestCaseSource(typeof(ConformanceScenarios), nameof(ConformanceScenarios.Server))]
    public Task Scenario(string id) => _run.RunAsync(id);
}

/// <summary>
/// The kit's client-role scenarios against your client, each as its own NUnit test case: the kit
/// plays the server with scripted bytes and calls your client through <see cref="IConformanceClient"/>.
/// </summary>
public abstract class ClientConformanceTests
{
    private readonly ConformanceTargetRun _run = new(Roles.Client);

    /// <summary>Your client, called for every scenario.</summary>
    protected abstract IConformanceClient CreateClient();

    /// <inheritdoc cref="ServerConformanceTests.TargetName"/>
    protected virtual string TargetName => GetType().Name;

    /// <inheritdoc cref="ServerConformanceTests.StepTimeout"/>
    protected virtual TimeSpan StepTimeout => RunSettings.DefaultStepTimeout;

    /// <inheritdoc cref="ServerConformanceTests.ExpectedDeviationsFile"/>
    protected virtual string? ExpectedDeviationsFile => null;

    [OneTimeSetUp]
    public Task StartConformanceTarget()
        => _run.StartAsync(new InProcessClientTarget(TargetName, CreateClient()), StepTimeout, ExpectedDeviationsFile, GetType());

    [OneTimeTearDown]
    public Task StopConformanceTarget() => _run.StopAsync();

    [TestCaseSource(typeof(ConformanceScenarios), nameof(ConformanceScenarios.Client))]
    public Task Scenario(string id) => _run.RunAsync(id);
}

/// <summary>
/// One fixture's run against one target, as the runner does it: the scenarios of the role, a
/// check after each server scenario that the target still accepts connections (a target that went
/// down fails that scenario citing TRANS-2; the ones after it are NOT RUN), and the verdicts
/// reported through <see cref="ConformanceVerdicts"/>.
/// </summary>
public sealed class ConformanceTargetRun(string role)
{
    private ITarget? _target;
    private RunSettings _settings = new();
    private ScenarioExecutor? _executor;
    private IReadOnlyDictionary<string, ScenarioCase> _scenarios = new Dictionary<string, ScenarioCase>();
    private string? _unusable;
    private string? _down;
    private string _fixture = "";

    /// <param name="target">Disposed by <see cref="StopAsync"/>.</param>
    /// <param name="fixture">The test class, named in each scenario's replay command.</param>
    /// <param name="profile">The profile the target speaks; the client role tests 6ab05ee only (the in-process client contract has no Close yet).</param>
    public async Task StartAsync(ITarget target, TimeSpan stepTimeout, string? deviationsFile, Type fixture, KitProfile profile = KitProfile.P6ab05ee)
    {
        _target = target;
        _fixture = fixture.FullName ?? fixture.Name;
        _settings = new RunSettings
        {
            Targets = [],
            StepTimeout = stepTimeout,
            Profile = profile,
            Deviations = string.IsNullOrEmpty(deviationsFile) ? ExpectedDeviations.None : ExpectedDeviations.Load(deviationsFile),
        };
        _executor = new ScenarioExecutor(_settings.BindingAssembly);
        _scenarios = ConformanceScenarios.ForTarget(Roles.ForRole(ConformanceScenarios.All, role), target.Name).ToDictionary(s => s.Id);
        _unusable = await ConformanceRun.ProbeAsync(target, CancellationToken.None).ConfigureAwait(false);
        if (_unusable is not null) Assert.Fail(_unusable);
    }

    public async Task StopAsync()
    {
        if (_target is not null) await _target.DisposeAsync().ConfigureAwait(false);
    }

    public async Task RunAsync(string id)
    {
        if (_target is null || _executor is null) throw new InvalidOperationException("the fixture's target was not started");
        if (_unusable is not null) Assert.Fail(_unusable);
        if (!_scenarios.TryGetValue(id, out var scenario)) throw new ArgumentException($"no {role}-role scenario has the id '{id}'", nameof(id));
        if (!KitProfiles.Applies(scenario.Tags, _settings.Profile))
        {
            Assert.Ignore($"a scenario of another protocol profile; this fixture tests {_settings.Profile.Name()}");
        }

        ScenarioResult result;
        if (_down is not null)
        {
            result = ConformanceRun.NotRun(scenario, _target, _settings, _down);
        }
        else
        {
            result = await ConformanceRun.RunOneAsync(scenario, _target, _settings, _executor).ConfigureAwait(false);
            if (_target is IServerTarget server && await ConformanceRun.CheckDownAsync(server, CancellationToken.None).ConfigureAwait(false) is { } evidence)
            {
                _down = $"{_target.Name} went down during {id}";
                result = ConformanceRun.TargetDown(result, evidence, "the scenarios after this one were not run (NOT RUN: target down)", _settings);
            }
        }

        ConformanceVerdicts.Report(result with { ReplayCommand = ReplayCommand(id) });
    }

    /// <summary>The command that reruns this one scenario of this fixture.</summary>
    public string ReplayCommand(string id) => $"dotnet test --filter \"FullyQualifiedName~{_fixture}&Name={id}\"";
}

/// <summary>
/// Ends the kit's Reqnroll run once all tests are done, so that Reqnroll's formatters (Cucumber
/// HTML and NDJSON, switched on by reqnroll.json or REQNROLL_FORMATTERS) write their files.
/// Derive one <c>[SetUpFixture]</c> from it in your test project, outside any namespace or in the
/// namespace of your conformance fixtures.
/// </summary>
public abstract class ConformanceReports
{
    [OneTimeTearDown]
    public Task EndReqnrollRuns() => ReqnrollSession.EndAllAsync();
}
