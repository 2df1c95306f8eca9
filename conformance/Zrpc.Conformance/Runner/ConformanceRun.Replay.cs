using System.Globalization;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.ClientRole;

namespace Zrpc.Conformance.Runner;

// The replay lines printed under a failure: one command that runs just that case again.
public static partial class ConformanceRun
{
    /// <summary>The command that reruns <paramref name="scenarioId"/> alone against <paramref name="target"/>.</summary>
    public static string ReplayCommand(RunSettings settings, ITarget target, string scenarioId)
        => target is LaunchedServerTarget launched
            ? ReplayCommand(settings, null, scenarioId, launch: launched.CommandLine)
            : ReplayCommand(settings, target.TargetArgument, scenarioId, clientRole: target is IClientTarget);

    public static string ReplayCommand(RunSettings settings, string? targetArgument, string scenarioId, bool clientRole = false, string? launch = null)
    {
        var command = settings.ReplayPrefix;
        if (clientRole)
        {
            command += " --role client";
        }

        if (targetArgument is not null)
        {
            command += " --target " + ShellQuote(targetArgument);
        }

        if (launch is not null)
        {
            command += " --launch " + ShellQuote(launch);
        }

        if (settings.Profile != Steps.Wire.KitProfile.P6ab05ee)
        {
            command += " --profile " + Steps.Wire.KitProfiles.Name(settings.Profile);
        }

        command += " --only " + ShellQuote(scenarioId);
        if (settings.StepTimeout != RunSettings.DefaultStepTimeout)
        {
            command += " --timeout " + settings.StepTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        }

        return command;
    }

    /// <summary>Quotes for a POSIX shell when needed, so the replay line can be pasted as is.</summary>
    public static string ShellQuote(string text)
        => text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:@%+=,".Contains(c))
            ? text
            : "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
