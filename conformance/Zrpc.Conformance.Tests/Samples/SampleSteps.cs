using NUnit.Framework;
using Reqnroll;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;

[assembly: Reqnroll.Plugins.RuntimePlugin(typeof(ConformanceRuntimePlugin))]

namespace Zrpc.Conformance.Tests.Samples;

/// <summary>Bindings for Samples/sample.feature only (this assembly is their binding assembly).</summary>
[Binding]
public sealed class SampleSteps(TargetContext target)
{
    private int _counter;

    [Given("a sample counter at {int}")]
    public void GivenCounter(int value) => _counter = value;

    [When("the sample counter is increased by {int}")]
    public void WhenIncreased(int step) => _counter += step;

    [Then("the sample counter is {int}")]
    public void ThenCounterIs(int expected)
    {
        if (_counter != expected)
        {
            throw new InvalidOperationException($"expected the counter to be {expected}, saw {_counter}");
        }
    }

    [Then("the sample counter is {int} by NUnit assertion")]
    public void ThenCounterIsByAssert(int expected) => Assert.That(_counter, Is.EqualTo(expected), "sample counter");

    [Given("an ambiguous sample step")]
    public void AmbiguousOne()
    {
    }

    [Given("an ambiguous sample {word}")]
    public void AmbiguousTwo(string word)
    {
    }

    [Given("the sample scenario skips itself")]
    public void SkipsItself() => throw new ScenarioSkippedException("the sample does not apply here");

    [Given("the sample notes the target name")]
    public void NotesTarget() => target.Note($"target is {target.TargetName}, step timeout {target.StepTimeout.TotalSeconds} s");
}
