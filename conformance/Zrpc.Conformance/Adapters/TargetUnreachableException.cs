namespace Zrpc.Conformance.Adapters;

/// <summary>The kit could not open a connection to the implementation under test (runner exit code 4).</summary>
public sealed class TargetUnreachableException : Exception
{
    public TargetUnreachableException(string target, string reason, Exception? inner = null)
        : base($"cannot connect to target {target}: {reason}", inner)
    {
        Target = target;
    }

    public string Target { get; }
}
