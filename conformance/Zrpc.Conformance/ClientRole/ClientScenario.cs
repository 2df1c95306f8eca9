using Zrpc.Spec;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Zrpc.Conformance.Steps.Wire;
using Reqnroll;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Steps;

namespace Zrpc.Conformance.ClientRole;

/// <summary>One call's result line, parsed, with the time it arrived.</summary>
public sealed record CallOutcome(int Call, string Outcome, JsonObject Line, long Timestamp)
{
    public override string ToString() => Line.ToJsonString();
}

/// <summary>
/// What a client-role scenario builds and sees: the calls for the driver's script, the answers
/// scripted for the fake server, and, once run, the driver's result lines and the recorded
/// requests. The run happens once, at the first check (the first Then step).
/// </summary>
public sealed partial class ClientScenario(TargetContext context, ScenarioContext scenario)
{
    /// <summary>Allowance for process scheduling on top of the client's own timeout.</summary>
    public static readonly TimeSpan TimingMargin = TimeSpan.FromSeconds(3);

    /// <summary>How long past the script's total time the kit lets a driver run before killing it.</summary>
    public static readonly TimeSpan KillMargin = TimeSpan.FromSeconds(10);

    private readonly List<JsonObject> _calls = [];
    private readonly Dictionary<int, ScriptedAnswer> _answers = [];
    private FakeServer? _server;
    private long _driverStarted;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    public TargetContext Context => context;

    /// <summary>The answer most recently scripted ("the kit then ..." continues it).</summary>
    public ScriptedAnswer? LastAnswer { get; private set; }

    public IReadOnlyList<CallOutcome> Outcomes { get; private set; } = [];

    public IReadOnlyList<ReceivedRequest> Requests => _server?.Requests ?? [];

    /// <summary>Profile fa4d209: the control requests the client sent (its Close requests), in order.</summary>
    public IReadOnlyList<ReceivedRequest> ControlRequests => _server?.ControlRequests ?? [];

    /// <summary>Profile fa4d209: the driver's close line (CLIENT-DRIVER.md section 3), once run.</summary>
    public JsonObject? CloseLine { get; private set; }

    /// <summary>Scripts the kit's answer to the client's Close request (profile fa4d209).</summary>
    public ScriptedAnswer CloseAnswer() => Answer(FakeServer.CloseAnswerKey);

    public int CallCount => _calls.Count;

    public JsonObject CallAt(int number) => _calls[number - 1];

    public void AddCall(JsonObject call)
    {
        if (Outcomes.Count > 0 || _server is not null) throw new InvalidOperationException("calls must be scripted before the first check");
        _calls.Add(call);
    }

    public ScriptedAnswer Answer(int request)
    {
        if (!_answers.TryGetValue(request, out var answer)) _answers[request] = answer = new ScriptedAnswer();
        LastAnswer = answer;
        return answer;
    }

    [GeneratedRegex(@"^[A-Z]+-[0-9]+$")]
    private static partial Regex RequirementTag();

    /// <summary>The scenario's first requirement tag: what a client's misbehaviour in it violates.</summary>
    public RequirementId Requirement => scenario.ScenarioInfo.CombinedTags.FirstOrDefault(t => RequirementTag().IsMatch(t)) is { } tag
        ? RequirementId.Of(tag)
        : throw new HarnessFailure($"the client scenario '{scenario.ScenarioInfo.Title}' has no requirement tag to cite");

    public RequirementViolation Violation(string detail, string? requirement = null)
        => new(requirement is null ? Requirement : RequirementId.Of(requirement), detail);

    /// <summary>
    /// The requirement a client that crashes breaks (CLI-8, the client's counterpart of TRANS-2):
    /// whatever the scenario was about, its calls were left without outcomes.
    /// </summary>
    public static readonly RequirementId ClientCrashRequirement = RequirementId.Of("CLI-8");

    /// <summary>How the failure of a scenario during which the client driver crashed begins, after its id.</summary>
    public const string ClientCrashText = "the client driver crashed during this scenario";

    /// <summary>The endpoint name a step made up for the scenario (a name long enough to reach a header size).</summary>
    public string? MadeUpEndpoint { get; set; }

    /// <summary>Starts the fake server and the driver once; checks the driver kept its contract.</summary>
    public async Task EnsureRanAsync()
    {
        if (_server is not null) return;
        if (context.Target is not IClientTarget target)
        {
            NUnit.Framework.Assert.Ignore($"a client-role (@client) scenario needs a client driver target (--role client), not {context.TargetName}");
            return;
        }

        var hardLimit = Timeout * (Math.Max(1, _calls.Count) + (KitProfiles.Current == KitProfile.Fa4d209 ? 1 : 0)) + KillMargin;
        context.AllowStepTime(hardLimit + TimeSpan.FromSeconds(15));
        _server = new FakeServer(context, _answers);
        _server.Start();
        var script = new JsonObject
        {
            ["timeout"] = Timeout.TotalSeconds,
            ["profile"] = Steps.Wire.KitProfiles.Current.Name(),
            ["calls"] = new JsonArray(_calls.Select(c => (JsonNode)c.DeepClone()).ToArray()),
        }.ToJsonString();
        context.Note($"script: {script}");
        _driverStarted = Stopwatch.GetTimestamp();
        DriverRunResult run;
        try
        {
            run = await target.RunScriptAsync(_server.Address, script, hardLimit, _ => context.ReportProgress(), context.ScenarioAborted).ConfigureAwait(false);
            await _server.WaitForConnectionsAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        finally
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var line in run.Lines) context.Note($"driver stdout: {line.Text}");
        if (!string.IsNullOrWhiteSpace(run.StandardError)) context.Note($"driver stderr:\n{run.StandardError.TrimEnd()}");
        context.Note($"driver ran {run.Duration.TotalSeconds:0.00} s, exit code {(run.Killed ? "none (killed)" : run.ExitCode?.ToString() ?? "?")}, {_server.ConnectionCount} connection(s), {_server.Requests.Count} request(s)");

        if (run.StartError is not null)
            throw new HarnessFailure($"the client driver could not be started: {run.StartError}");
        if (run.Killed)
            throw new RequirementViolation("CLI-6",
                $"the client driver was still running {hardLimit.TotalSeconds:0.#} s after it started (calls × timeout {Timeout.TotalSeconds:0.#} s + {KillMargin.TotalSeconds:0} s): the client hung instead of failing the call; the kit killed it. Lines so far: {Lines(run)}");
        Outcomes = ParseLines(run);
        SkipIfUnsupported();
    }

    /// <summary>
    /// A client that cannot make a kind of call (section 9 lets a client send only MarshaledJSON
    /// bodies, for example) says so with the outcome <c>unsupported</c>: the scenario cannot judge
    /// it and is skipped with the driver's reason. A JSON call to Echo accepting JSON is what every
    /// client makes; <c>unsupported</c> for it breaks the driver contract.
    /// </summary>
    private void SkipIfUnsupported()
    {
        var unsupported = Outcomes.Where(o => o.Outcome == "unsupported").ToList();
        if (unsupported.Count == 0) return;
        var basic = unsupported.FirstOrDefault(o => CallAt(o.Call) is var call && call["endpoint"]?.GetValue<string>() == "Echo"
                                                    && call["accept"]?.GetValue<string>() == "json" && call.ContainsKey("json"));
        if (basic is not null)
            throw new HarnessFailure(
                $"the client driver broke its contract: call {basic.Call} is a JSON call to Echo accepting JSON, which every client makes, and the driver answered unsupported: {basic}");
        var reasons = string.Join("; ", unsupported.Select(o => $"call {o.Call} {CallAt(o.Call).ToJsonString()}: {o.Line["message"]?.ToString() ?? "no reason given"}"));
        throw new Driver.ScenarioSkippedException($"unsupported by the client: {reasons}");
    }

    private IReadOnlyList<CallOutcome> ParseLines(DriverRunResult run)
    {
        var stackTrace = run.Lines.FirstOrDefault(l => l.Text.StartsWith("   at ", StringComparison.Ordinal) || l.Text.StartsWith("Traceback", StringComparison.Ordinal)
                                                       || l.Text.StartsWith("Unhandled exception", StringComparison.Ordinal));
        var crash = CrashEvidence.Describe(run.ExitCode, run.StandardError)
                    ?? (stackTrace is not null ? $"it printed a stack trace on its standard output ('{stackTrace.Text}'; {CrashEvidence.DescribeExit(run.ExitCode)})" : null)
                    ?? (run.ExitCode != 0 ? $"it ended with {CrashEvidence.DescribeExit(run.ExitCode)} (CLIENT-DRIVER.md: 0 when the script ran)" : null);
        if (crash is not null)
        {
            var tail = CrashEvidence.Tail(run.StandardError);
            throw new RequirementViolation(ClientCrashRequirement,
                $"{ClientCrashText}: {crash}{(tail.Length == 0 ? "" : $"; its standard error ends with:\n{tail}")}\nresult lines: {Lines(run)}");
        }
        var outcomes = new List<CallOutcome>();
        var lines = run.Lines.ToList();
        if (KitProfiles.Current == KitProfile.Fa4d209)
        {
            // CLIENT-DRIVER.md section 3: in fa4d209 the last line says how the explicit close went.
            JsonObject? close = null;
            try { close = lines.Count == 0 ? null : JsonNode.Parse(lines[^1].Text) as JsonObject; }
            catch (JsonException) { }
            if (close?["close"] is not JsonValue kind || kind.GetValueKind() != JsonValueKind.String || kind.GetValue<string>() is not ("ok" or "error" or "none"))
                throw new HarnessFailure(
                    $"the client driver broke its contract: in profile fa4d209 its last line reports the close of the client ({{\"close\":\"ok\"}}, {{\"close\":\"error\",...}} or {{\"close\":\"none\"}}; CLIENT-DRIVER.md section 3). Lines: {Lines(run)}");
            CloseLine = close;
            lines.RemoveAt(lines.Count - 1);
        }

        foreach (var line in lines)
        {
            JsonObject? parsed = null;
            try { parsed = JsonNode.Parse(line.Text) as JsonObject; }
            catch (JsonException) { }
            var number = outcomes.Count + 1;
            if (parsed is null || parsed["call"] is not JsonValue call || call.GetValueKind() != JsonValueKind.Number || call.GetValue<double>() != number
                || parsed["outcome"] is not JsonValue outcome || outcome.GetValueKind() != JsonValueKind.String
                || outcome.GetValue<string>() is not ("ok" or "status" or "error" or "unsupported") || number > _calls.Count)
                throw new HarnessFailure(
                    $"the client driver broke its contract: line {number} '{line.Text}' is not a result of call {number} (a JSON object with \"call\":{number} and outcome ok, status, error or unsupported; CLIENT-DRIVER.md section 3)");
            outcomes.Add(new CallOutcome(number, parsed["outcome"]!.GetValue<string>(), parsed, line.Timestamp));
        }

        if (outcomes.Count != _calls.Count)
            throw new RequirementViolation(ClientCrashRequirement, $"the client crashed or stopped: the driver printed {outcomes.Count} result line(s) for {_calls.Count} call(s) and exited 0. Lines: {Lines(run)}");
        return outcomes;
    }

    private static string Lines(DriverRunResult run) => run.Lines.Count == 0 ? "(none)" : string.Join(" | ", run.Lines.Select(l => l.Text));

    public async Task<CallOutcome> OutcomeAsync(int call)
    {
        await EnsureRanAsync().ConfigureAwait(false);
        if (call < 1 || call > Outcomes.Count) throw new ArgumentException($"the scenario has no call {call}");
        return Outcomes[call - 1];
    }

    /// <summary>
    /// How long the client took to report call <paramref name="call"/>, from the moment the kit
    /// had sent all it would send for that call's request (or, when the client never sent it,
    /// from the previous outcome or the driver's start).
    /// </summary>
    public TimeSpan ReportDelay(CallOutcome outcome)
    {
        var start = Requests.FirstOrDefault(r => r.Number == outcome.Call) is { AnswerSentAt: > 0 } request
            ? request.AnswerSentAt
            : outcome.Call > 1 ? Outcomes[outcome.Call - 2].Timestamp : _driverStarted;
        return Stopwatch.GetElapsedTime(start, outcome.Timestamp);
    }

    public async Task<ReceivedRequest> RequestAsync(int number)
    {
        await EnsureRanAsync().ConfigureAwait(false);
        return Requests.FirstOrDefault(r => r.Number == number)
               ?? throw new RequirementViolation("RPC-1", $"the client sent {Requests.Count} request(s); request {number} never arrived at the kit");
    }
}
