using System.Reflection;
using Zrpc.Conformance.Adapters;

namespace Zrpc.Conformance.Runner;

/// <summary>Settings of one run of the suite.</summary>
public sealed class RunSettings
{
    public static readonly TimeSpan DefaultStepTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The server targets (parsed --target values); by default the built-in reference server.</summary>
    public IReadOnlyList<ServerTargetSpec> Targets { get; init; } = [ReferenceServerSpec.Default];

    /// <summary>Client driver targets; they run only the @client scenarios.</summary>
    public IReadOnlyList<ClientDriverSpec> ClientTargets { get; init; } = [];

    /// <summary>--launch commands: servers the kit starts itself ({port} / {address} filled in) and restarts after a crash.</summary>
    public IReadOnlyList<string> Launch { get; init; } = [];

    public static readonly TimeSpan DefaultLaunchTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After a scenario that failed or in which the target ended a connection, how long the kit
    /// gives a crash in progress to finish before it checks again (a launched server's exit ends the wait).
    /// </summary>
    public TimeSpan CrashSettleTime { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>How long a launched server may take to accept its first connection (--launch-timeout).</summary>
    public TimeSpan LaunchTimeout { get; init; } = DefaultLaunchTimeout;

    public TimeSpan StepTimeout { get; init; } = DefaultStepTimeout;

    public ExpectedDeviations Deviations { get; init; } = ExpectedDeviations.None;

    /// <summary>The protocol profile the targets speak (--profile; recorded in the JSON result); the reference targets are started in it.</summary>
    public Steps.Wire.KitProfile Profile { get; init; }

    /// <summary>Assembly with the step bindings; Zrpc.Conformance itself unless a test supplies samples.</summary>
    public Assembly BindingAssembly { get; init; } = typeof(ConformanceRun).Assembly;

    /// <summary>--repeat: how many times each failing scenario is rerun alone (0: not rerun).</summary>
    public int Repeat { get; init; }

    /// <summary>How the replay command starts the runner.</summary>
    public string ReplayPrefix { get; init; } = DefaultReplayPrefix;

    /// <summary>
    /// The replay prefix of runs that set none: the runner from the repository, unless a host that
    /// runs the runner with target kinds of its own says how it is started (the self-test host does).
    /// </summary>
    public static string DefaultReplayPrefix { get; set; } = "dotnet run --project conformance/Zrpc.Conformance --";
}
