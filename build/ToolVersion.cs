using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Zrpc.Build;

/// <summary>
/// The one --version line of every shipped tool: the package version, the protocol profile it
/// speaks and the commit it was built from, so that a CI log says exactly what judged the run.
/// Linked into each tool (build/ToolVersion.cs) rather than shipped in a library of its own.
/// </summary>
internal static class ToolVersion
{
    /// <summary>The protocol revision a tool speaks when it speaks only one (spec/protocol.md's title names it).</summary>
    public const string DefaultProfiles = "protocol profile 6ab05ee";

    /// <summary>"NAME VERSION (PROFILES, commit C)", e.g. "zrpc 0.1.0 (protocol profile 6ab05ee, commit 1f0c...)".</summary>
    public static string Describe(string toolName, string profiles = DefaultProfiles, Assembly? assembly = null)
    {
        var (version, commit) = Read(assembly);
        return $"{toolName} {version} ({profiles}, commit {commit})";
    }

    /// <summary>The package version and the commit of <paramref name="assembly"/> (default: the entry assembly).</summary>
    public static (string Version, string Commit) Read(Assembly? assembly = null)
    {
        var informational = (assembly ?? Assembly.GetEntryAssembly() ?? typeof(ToolVersion).Assembly)
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        // MinVer and SourceLink write "VERSION+COMMIT"; a build outside git has no "+".
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var version = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        return (version, commit);
    }

    /// <summary>Makes the root command's --version print <see cref="Describe"/>.</summary>
    public static void Install(RootCommand root, string toolName, string profiles = DefaultProfiles)
    {
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintAction(toolName, profiles);
            }
        }
    }

    private sealed class PrintAction(string toolName, string profiles) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Describe(toolName, profiles));
            return 0;
        }
    }
}
