using System.Collections.Concurrent;
using Reqnroll;

namespace Zrpc.Conformance.Tests.Samples;

/// <summary>A step whose verdict changes between attempts, for the --repeat tests.</summary>
[Binding]
public sealed class FlakySampleSteps
{
    private static readonly ConcurrentDictionary<string, int> Calls = new(StringComparer.Ordinal);

    /// <summary>Fails the first time it runs with <paramref name="key"/>, passes every time after.</summary>
    [Given("the sample step keyed {word} fails only the first time")]
    public void FailsOnlyTheFirstTime(string key)
    {
        if (Calls.AddOrUpdate(key, 1, (_, n) => n + 1) == 1)
        {
            throw new InvalidOperationException($"first attempt with key {key} fails");
        }
    }
}
