using Zrpc.Fuzz.Seeds;

namespace Zrpc.Fuzz.Tests;

/// <summary>
/// The seed corpus is what every fuzzing run starts from: it must exist for each target, and
/// each seed must pass its target (AFL refuses to start on a crashing seed, and a seed the
/// decoder mishandles is a bug found without fuzzing).
/// </summary>
[TestFixture]
public sealed class SeedCorpusTests
{
    public static IEnumerable<string> Targets() => FuzzTargets.All.Select(t => t.Name);

    [TestCaseSource(nameof(Targets))]
    public void Every_seed_keeps_the_contract(string target)
    {
        var seeds = SeedCorpus.For(target, Paths.Fixtures);
        Assert.That(seeds, Is.Not.Empty, $"no seeds for {target}");
        Assert.That(seeds.Select(s => s.Bytes.Length), Has.All.LessThanOrEqualTo(SeedCorpus.MaxCaptureBytes), "seeds are kept small for AFL");
        var fuzzTarget = FuzzTargets.Find(target)!;
        foreach (var seed in seeds)
        {
            Deadline.Run(fuzzTarget, seed.Bytes, seed.Name);
        }
    }

    [Test]
    public void Stream_seeds_are_the_fixture_inputs_and_header_seeds_their_header_contents()
    {
        var streams = SeedCorpus.For("frames", Paths.Fixtures);
        var headers = SeedCorpus.For("header", Paths.Fixtures);

        // fixtures/frames/rpc-examples.json: the Echo request starts with a Header frame and its JSON.
        Assert.That(streams.Any(s => s.Bytes.Length > 6 && s.Bytes[0] == 0x01 && s.Bytes[6] == (byte)'{'), Is.True);
        Assert.That(headers.Select(h => h.Bytes[0]), Has.Some.EqualTo((byte)'{'));
    }
}
