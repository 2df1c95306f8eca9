namespace Zrpc.Conformance.Tests.Suite;

/// <summary>
/// The implementations the NUnit suite runs against: always the built-in reference server, plus
/// every entry of the environment variable ZRPC_TARGETS (semicolon-separated target strings, e.g.
/// <c>exec:python3 conformance/examples/python/zrpc_server.py --listen stdio;tcp://127.0.0.1:9000</c>).
/// </summary>
public static class SuiteTargets
{
    public const string Reference = "reference";
    public const string EnvironmentVariable = "ZRPC_TARGETS";

    public static IEnumerable<string> All()
    {
        yield return Reference;
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(configured))
        {
            yield break;
        }

        foreach (var target in configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return target;
        }
    }
}
