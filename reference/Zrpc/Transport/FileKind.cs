using System.Runtime.InteropServices;

namespace Zrpc.Transport;

/// <summary>What sits at a path, as stat(2) tells it.</summary>
internal enum FileKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,
    Other,
}

/// <summary>
/// The type of a file. .NET's file APIs cannot tell a socket, a device node or a pipe from a
/// regular file, and a tool that deletes or replaces files must know which one it has.
/// </summary>
internal static class FileKinds
{
    // The runtime's own native shim: its FileStatus layout is the same on every Unix, unlike libc's
    // struct stat; Mode is its second 32-bit field and holds the S_IFMT bits.
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true)]
    private static extern int LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);

    private const int StatusBufferSize = 512; // larger than FileStatus in every runtime version
    private const int ModeOffset = 4;

    /// <summary>The kind of file at <paramref name="path"/>; a symbolic link is followed when <paramref name="followLinks"/>.</summary>
    public static FileKind Of(string path, bool followLinks)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
        {
            if (Directory.Exists(path)) return FileKind.Directory;
            return File.Exists(path) ? FileKind.Regular : FileKind.Missing;
        }

        var status = new byte[StatusBufferSize];
        if ((followLinks ? Stat(path, status) : LStat(path, status)) != 0)
        {
            // ENOENT and ENOTDIR both mean nothing is there; anything else (EACCES) is not "missing".
            int errno = Marshal.GetLastPInvokeError();
            if (errno is 2 or 20) return FileKind.Missing;
            throw new IOException($"cannot inspect {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        int mode = BitConverter.ToInt32(status, ModeOffset);
        return (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
    }
}
