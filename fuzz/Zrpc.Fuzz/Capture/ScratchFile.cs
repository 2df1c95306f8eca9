namespace Zrpc.Fuzz.Capture;

/// <summary>
/// frame-dump reads captures by file name (libpcap opens them itself), so each input is written to
/// one file per process, in memory (/dev/shm) where there is one, and overwritten for the next input.
/// </summary>
internal static class ScratchFile
{
    private static readonly string Path = System.IO.Path.Combine(
        Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath(),
        $"zrpc-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");

    static ScratchFile()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(Path);
    }

    public static string Write(byte[] input)
    {
        File.WriteAllBytes(Path, input);
        return Path;
    }
}
