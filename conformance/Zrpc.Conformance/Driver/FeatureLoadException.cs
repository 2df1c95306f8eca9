namespace Zrpc.Conformance.Driver;

/// <summary>A .feature file cannot be used: syntax error, a scenario without an @id tag, a duplicate id.</summary>
public sealed class FeatureLoadException : Exception
{
    public FeatureLoadException(string file, int line, string message, Exception? inner = null)
        : base($"{file}:{line}: {message}", inner)
    {
        File = file;
        Line = line;
    }

    public string File { get; }

    public int Line { get; }
}
