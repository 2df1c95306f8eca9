namespace Zrpc.Transport;

/// <summary>
/// Linux pipes hold 64 KiB unless asked for more; with 1 MiB a body moves in a sixteenth of the
/// wake-ups and partial writes. Asked for on both pipes of an exec: child and on a stdio server's
/// stdin and stdout (the size belongs to the pipe, so either end may ask).
/// </summary>
internal static class PipeSize
{
    /// <summary>What the transports ask for: the kernel's default /proc/sys/fs/pipe-max-size.</summary>
    public const int Preferred = 1 << 20;

    private const int SetPipeSize = 1031; // F_SETPIPE_SZ

    /// <summary>Asks for <paramref name="bytes"/> (the kernel caps it at pipe-max-size); false when refused or not a pipe.</summary>
    public static bool TryEnlarge(System.Runtime.InteropServices.SafeHandle handle, int bytes = Preferred) =>
        TryEnlarge((int)handle.DangerousGetHandle(), bytes);

    public static bool TryEnlarge(int descriptor, int bytes = Preferred)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return Fcntl(descriptor, SetPipeSize, bytes) >= 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // DllImport rather than LibraryImport: the build does not allow unsafe code, and int arguments need no marshalling code.
#pragma warning disable SYSLIB1054
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);
#pragma warning restore SYSLIB1054
}
