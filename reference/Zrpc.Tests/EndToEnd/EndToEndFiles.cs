using System.Security.Cryptography;
using NUnit.Framework;

namespace Zrpc.Tests.EndToEnd;

/// <summary>Scratch files shared by every end-to-end fixture: created on first use, deleted at the end.</summary>
[SetUpFixture]
public sealed class EndToEndFiles
{
    private static readonly object Gate = new();
    private static readonly Dictionary<long, (string Path, string Sha256)> SinkInputs = new();
    private static string? _directory;

    public static string Directory
    {
        get
        {
            lock (Gate)
            {
                if (_directory is null)
                {
                    _directory = Path.Combine(Path.GetTempPath(), $"zrpc-e2e-{Environment.ProcessId}-{Guid.NewGuid():N}");
                    System.IO.Directory.CreateDirectory(_directory);
                }
                return _directory;
            }
        }
    }

    public static string NewPath(string name) => Path.Combine(Directory, $"{Guid.NewGuid():N}-{name}");

    /// <summary>A file of <paramref name="length"/> pseudo-random bytes (fixed seed) and its SHA-256, made once per length.</summary>
    public static (string Path, string Sha256) SinkInput(long length)
    {
        lock (Gate)
        {
            if (SinkInputs.TryGetValue(length, out var known)) return known;
            string path = Path.Combine(Directory, $"sink-input-{length}.bin");
            var random = new Random(unchecked((int)length) ^ 0x5EED);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var chunk = new byte[1024 * 1024];
            using (var file = File.Create(path))
            {
                for (long left = length; left > 0;)
                {
                    int n = (int)Math.Min(chunk.Length, left);
                    random.NextBytes(chunk.AsSpan(0, n));
                    file.Write(chunk, 0, n);
                    hash.AppendData(chunk, 0, n);
                    left -= n;
                }
            }
            var made = (path, Convert.ToHexStringLower(hash.GetHashAndReset()));
            SinkInputs[length] = made;
            return made;
        }
    }

    [OneTimeTearDown]
    public void DeleteScratch()
    {
        lock (Gate)
        {
            if (_directory is not null && System.IO.Directory.Exists(_directory)) System.IO.Directory.Delete(_directory, recursive: true);
            _directory = null;
            SinkInputs.Clear();
        }
    }
}
