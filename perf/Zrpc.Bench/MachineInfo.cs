using System.Runtime.InteropServices;

namespace Zrpc.Bench;

/// <summary>Where the figures were taken.</summary>
public sealed record MachineInfo(string Cpu, int Cores, string Os, string Dotnet, string Runtime, bool ServerGc)
{
    public static MachineInfo Collect() => new(
        CpuModel(),
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        Environment.Version.ToString(),
        RuntimeInformation.FrameworkDescription,
        System.Runtime.GCSettings.IsServerGC);

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    return line[(line.IndexOf(':') + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
