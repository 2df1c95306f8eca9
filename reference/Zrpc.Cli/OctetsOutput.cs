using Zrpc.Transport;

namespace Zrpc.Cli;

/// <summary>
/// Where <c>--octets-out</c> puts an Octets response body (CLI-4). A regular file (or a path where
/// nothing exists yet) is written as a new file beside it, under a private name, and renamed onto
/// the path only once the body ended with its last frame: until then the path keeps what it had,
/// and a failed or killed call leaves no partial body under the final name. A symbolic link is
/// followed, as a shell's redirection follows it: the file it leads to is what gets replaced, the
/// link stays. A character device, FIFO or socket is written directly, and nothing is ever deleted
/// or truncated except the private file this call created.
/// </summary>
internal sealed class OctetsOutput : IAsyncDisposable
{
    private readonly string? _finalPath;
    private readonly string? _partPath;
    private bool _committed;

    private OctetsOutput(Stream stream, string? finalPath, string? partPath)
    {
        Stream = stream;
        _finalPath = finalPath;
        _partPath = partPath;
    }

    public Stream Stream { get; }

    /// <summary>Opens the destination; a directory or an unusable path is a <see cref="UsageException"/>.</summary>
    public static OctetsOutput Open(string path)
    {
        try
        {
            return OpenCore(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write --octets-out {path}: {e.Message}");
        }
    }

    private static OctetsOutput OpenCore(string path)
    {
        FileKind kind = FileKinds.Of(path, followLinks: true);
        switch (kind)
        {
            case FileKind.Directory:
                throw new UsageException($"--octets-out {path} is a directory");
            case FileKind.CharacterDevice or FileKind.Fifo or FileKind.BlockDevice or FileKind.Socket or FileKind.Other:
                // Opened without O_TRUNC or O_CREAT: a device or pipe is written to, never replaced.
                return new OctetsOutput(new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.Asynchronous), null, null);
        }

        string target = FinalTarget(path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(target)) ?? ".";
        string part = Path.Combine(directory, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
        // CreateNew is O_CREAT|O_EXCL: the private file is ours alone, never someone else's file.
        var stream = new FileStream(part, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        if (kind == FileKind.Regular && !OperatingSystem.IsWindows())
        {
            try
            {
                File.SetUnixFileMode(stream.SafeFileHandle, File.GetUnixFileMode(target));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The new file keeps the default permissions; the body is unaffected.
            }
        }
        return new OctetsOutput(stream, target, part);
    }

    /// <summary>The body ended properly: put it under the final name (a rename, atomic on one file system).</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (_partPath is null)
        {
            _committed = true;
            return;
        }

        if (Stream is FileStream file) file.Flush(flushToDisk: true);
        await Stream.DisposeAsync().ConfigureAwait(false);
        File.Move(_partPath, _finalPath!, overwrite: true);
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The outcome is already decided; a device that fails on close changes nothing.
        }
        if (!_committed && _partPath is not null)
        {
            try
            {
                File.Delete(_partPath); // ours: created with O_EXCL by this call
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The path a chain of symbolic links ends at (the path itself when it is no link).</summary>
    private static string FinalTarget(string path)
    {
        if (FileKinds.Of(path, followLinks: false) != FileKind.SymbolicLink) return path;
        var final = File.ResolveLinkTarget(path, returnFinalTarget: true);
        return final?.FullName ?? path;
    }
}
