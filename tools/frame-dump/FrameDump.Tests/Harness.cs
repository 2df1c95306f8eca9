using System.Text.Json;
using FrameDump.Output;

namespace FrameDump.Tests;

/// <summary>Runs frame-dump in-process and collects its records or its output.</summary>
public static class Harness
{
    public sealed class Collector : IRecordSink
    {
        public List<DumpRecord> Records { get; } = new();

        public void Write(DumpRecord record) => Records.Add(record);

        public void Complete()
        {
        }

        public List<T> Of<T>() where T : DumpRecord => Records.OfType<T>().ToList();
    }

    public static Collector Decode(DumpOptions options)
    {
        var collector = new Collector();
        Dumper.Decode(options, collector, new TimeOrigin());
        return collector;
    }

    public static Collector DecodeCapture(string path, params int[] ports) =>
        Decode(new DumpOptions { CaptureFile = path, Ports = ports.ToHashSet() });

    public static string RunToString(DumpOptions options)
    {
        using var output = new MemoryStream();
        int code = Dumper.Run(options, output, TextWriter.Null);
        Assert.That(code, Is.EqualTo(0));
        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }

    public static List<JsonElement> RunJson(DumpOptions options) =>
        RunToString(options with { Format = OutputFormat.Json })
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToList();

    /// <summary>The repository root (the folder holding Conformance.sln).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Conformance.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Conformance.sln) not found");
    }

    public static string TempFile(string name)
    {
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "captures-tmp");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $"{TestContext.CurrentContext.Test.Name.Replace('(', '_').Replace(')', '_').Replace('"', '_').Replace(',', '_')}-{name}");
    }
}
