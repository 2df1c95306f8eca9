using System.Text;

namespace Zrpc.Conformance.Adapters;

/// <summary>
/// What a step binding needs to test one implementation in one scenario: connections to the
/// target, the per-step timeout, the traffic log, and a place for notes that end up in the
/// report. Registered in Reqnroll's scenario container before the scenario starts, so bindings
/// take it as a constructor parameter. One instance per scenario (and per target).
/// </summary>
public sealed class TargetContext : IAsyncDisposable
{
    private readonly ITarget _target;
    private readonly object _gate = new();
    private readonly List<ConformanceConnection> _connections = [];
    private readonly List<string> _notes = [];
    private readonly CancellationTokenSource _aborted = new();
    private CancellationTokenSource _step = new();
    private TimeSpan _currentStepLimit;
    private long _currentStepStart;

    public TargetContext(ITarget target, TimeSpan stepTimeout, string replayCommand)
    {
        _target = target;
        StepTimeout = stepTimeout;
        ReplayCommand = replayCommand;
    }

    /// <summary>Display name of the implementation under test.</summary>
    public string TargetName => _target.Name;

    /// <summary>How long one step may wait for the implementation (runner option --timeout, default 5 s).</summary>
    public TimeSpan StepTimeout { get; }

    /// <summary>Every byte of every connection of this scenario, annotated frame by frame.</summary>
    public TrafficLog Traffic { get; } = new();

    /// <summary>One command line that reruns just this scenario against the same target.</summary>
    public string ReplayCommand { get; }

    /// <summary>
    /// Cancelled when the current step has run for <see cref="StepTimeout"/> (or the run is
    /// aborted). Bindings pass it to reads so that a silent implementation fails the step
    /// instead of hanging the run.
    /// </summary>
    public CancellationToken StepCancellation
    {
        get { lock (_gate) return _step.Token; }
    }

    /// <summary>Cancelled when the scenario is abandoned (a step overran its timeout or the run stops).</summary>
    public CancellationToken ScenarioAborted => _aborted.Token;

    /// <summary>Free-text notes for the report, e.g. which of the allowed reactions was seen.</summary>
    public IReadOnlyList<string> Notes
    {
        get { lock (_gate) return _notes.ToList(); }
    }

    public IReadOnlyList<ConformanceConnection> Connections
    {
        get { lock (_gate) return _connections.ToList(); }
    }

    public void Note(string text)
    {
        lock (_gate)
        {
            _notes.Add(text);
        }
    }

    /// <summary>
    /// Opens a new connection to the target (for exec: starts a new process). Throws
    /// <see cref="TargetUnreachableException"/> with a clear message when that fails.
    /// </summary>
    public async Task<ConformanceConnection> OpenAsync(string label, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        if (_target is not IServerTarget server)
        {
            // The runner gives a client only @client scenarios; a connection to a client is a scenario in the wrong role.
            NUnit.Framework.Assert.Ignore($"a server-role scenario connects to a server target, not to {TargetName}");
            throw new InvalidOperationException("unreachable: Assert.Ignore throws");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _aborted.Token);
        Stream raw;
        try
        {
            raw = await server.ConnectAsync(linked.Token).ConfigureAwait(false);
        }
        catch (TargetUnreachableException e)
        {
            lock (_gate)
            {
                ConnectFailure ??= e.Message;
            }

            throw;
        }

        lock (_gate)
        {
            var unique = label;
            for (var n = 2; _connections.Any(c => c.Label == unique); n++)
            {
                unique = $"{label}#{n}";
            }

            var connection = new ConformanceConnection(unique, raw, Traffic);
            _connections.Add(connection);
            Traffic.RecordEvent(unique, null, $"opened to {TargetName}");
            return connection;
        }
    }

    /// <summary>
    /// Why a connection of this scenario could not be opened (the first such failure), or null:
    /// the runner then checks whether the target went down.
    /// </summary>
    public string? ConnectFailure { get; private set; }

    /// <summary>The implementation under test (a client-role scenario needs its driver command).</summary>
    public ITarget Target => _target;

    /// <summary>
    /// Registers a connection the kit accepted rather than opened (client role: the client under
    /// test connected to the kit's fake server), so that its traffic is logged like any other.
    /// </summary>
    public ConformanceConnection Adopt(string label, Stream raw)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        lock (_gate)
        {
            var connection = new ConformanceConnection(label, raw, Traffic);
            _connections.Add(connection);
            Traffic.RecordEvent(label, null, $"accepted from {TargetName}");
            return connection;
        }
    }

    /// <summary>Standard error of every exec: process of this scenario, labelled by connection; null when none wrote any.</summary>
    public string? StandardErrorText
    {
        get
        {
            var text = new StringBuilder();
            foreach (var connection in Connections)
            {
                if (!string.IsNullOrEmpty(connection.StandardErrorText))
                {
                    text.Append("[").Append(connection.Label).Append("]\n").Append(connection.StandardErrorText.TrimEnd()).Append('\n');
                }
            }

            return text.Length == 0 ? null : text.ToString();
        }
    }

    /// <summary>
    /// Lets the current step run longer than <see cref="StepTimeout"/>, for steps whose spec
    /// wording names a longer wait (e.g. "within 40 seconds" for a 30 s read timeout, CONN-5).
    /// Extends <see cref="StepCancellation"/> and the driver's guard to <paramref name="total"/>
    /// from the start of the step; never shortens them.
    /// </summary>
    /// <summary>
    /// Called by bindings whenever the implementation makes progress (bytes arrive or are taken):
    /// the step may then run for another <see cref="StepTimeout"/>, so the limit bounds silence,
    /// not the length of a large transfer.
    /// </summary>
    public void ReportProgress()
    {
        TimeSpan elapsed;
        lock (_gate) elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(_currentStepStart);
        AllowStepTime(elapsed + StepTimeout);
    }

    public void AllowStepTime(TimeSpan total)
    {
        lock (_gate)
        {
            if (total <= _currentStepLimit)
            {
                return;
            }

            _currentStepLimit = total;
            var remaining = total - System.Diagnostics.Stopwatch.GetElapsedTime(_currentStepStart);
            _step.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        }
    }

    /// <summary>Time the current step may still take before the driver abandons it.</summary>
    internal TimeSpan CurrentStepRemaining
    {
        get
        {
            lock (_gate)
            {
                return _currentStepLimit - System.Diagnostics.Stopwatch.GetElapsedTime(_currentStepStart);
            }
        }
    }

    internal TimeSpan CurrentStepLimit
    {
        get { lock (_gate) return _currentStepLimit; }
    }

    /// <summary>Starts the step clock: called by the driver before each step.</summary>
    internal void BeginStep()
    {
        lock (_gate)
        {
            _step.Dispose();
            _step = CancellationTokenSource.CreateLinkedTokenSource(_aborted.Token);
            _step.CancelAfter(StepTimeout);
            _currentStepLimit = StepTimeout;
            _currentStepStart = System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Abandons the scenario: cancels waits and closes every connection so that blocked reads end.</summary>
    internal async Task AbortAsync()
    {
        await _aborted.CancelAsync().ConfigureAwait(false);
        await CloseConnectionsAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await CloseConnectionsAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _step.Dispose();
        }

        _aborted.Dispose();
    }

    /// <summary>Closes every connection of the scenario (for exec: ends its processes, so their exit status is known).</summary>
    internal async Task CloseConnectionsAsync()
    {
        foreach (var connection in Connections)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
