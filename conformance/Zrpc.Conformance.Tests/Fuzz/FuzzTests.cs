using NUnit.Framework;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Fuzz;
using Zrpc.Conformance.Reporting;

namespace Zrpc.Conformance.Tests.Fuzz;

public sealed class FuzzTests
{
    // A defect is caught by a wait running out, so the broken server's test keeps it short.
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    // A correct implementation never makes the runner wait a whole timeout, so this one only
    // has to outlast a loaded machine: each exec: connection starts a Python process.
    static readonly TimeSpan PatientTimeout = TimeSpan.FromSeconds(30);

    static string PythonExample => Path.Combine(
        RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)!, "conformance", "examples", "python", "zrpc_server.py");

    [Test]
    public void The_same_seed_gives_the_same_cases_and_another_seed_other_ones()
    {
        var a = Enumerable.Range(0, 20).Select(new FuzzGenerator(99).Generate).Select(c => Convert.ToHexString(c.AllBytes())).ToList();
        var b = Enumerable.Range(0, 20).Select(new FuzzGenerator(99).Generate).Select(c => Convert.ToHexString(c.AllBytes())).ToList();
        var c = Enumerable.Range(0, 20).Select(new FuzzGenerator(100).Generate).Select(c => Convert.ToHexString(c.AllBytes())).ToList();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
        Assert.That(Enumerable.Range(0, 50).Select(new FuzzGenerator(99).Generate).Select(f => f.Mutation).Distinct().Count(), Is.GreaterThan(5),
            "the generator should produce many kinds of violation");
    }

    [TestCase("reference")]
    [TestCase("python")]
    public async Task Correct_implementations_pass_generated_cases(string which)
    {
        await using var target = TargetParser.ParseServer(which == "reference" ? null : $"exec:python3 {PythonExample} --listen stdio").Open(KitProfile.P6ab05ee);
        var runner = new FuzzRunner(target, PatientTimeout);
        var generator = new FuzzGenerator(20261127);
        foreach (var fuzzCase in Enumerable.Range(0, which == "reference" ? 150 : 25).Select(generator.Generate))
        {
            var failure = await runner.CheckAsync(fuzzCase, CancellationToken.None);
            Assert.That(failure, Is.Null, () => $"case {fuzzCase.Index}: {fuzzCase.Describe()}\n{failure!.Message}\n{fuzzCase.AnnotatedHex()}");
        }
    }

    [Test]
    public async Task A_server_that_does_not_drain_is_caught_and_the_case_is_shrunk()
    {
        // The Python example with its body draining removed (SRV-7): a real, common defect.
        var broken = Path.Combine(Directory.CreateTempSubdirectory("zrpc-fuzz-").FullName, "no_drain.py");
        var source = await File.ReadAllTextAsync(PythonExample);
        Assert.That(source, Does.Contain("body.drain()  # SRV-7"), "the example changed: update this test's defect");
        await File.WriteAllTextAsync(broken, source.Replace("body.drain()  # SRV-7", "pass  # defect: no drain"));

        await using var target = TargetParser.ParseServer($"exec:python3 {broken} --listen stdio").Open(KitProfile.P6ab05ee);
        var runner = new FuzzRunner(target, Timeout);
        var generator = new FuzzGenerator(7);
        foreach (var fuzzCase in Enumerable.Range(0, 60).Select(generator.Generate))
        {
            if (await runner.CheckAsync(fuzzCase, CancellationToken.None) is not { } failure) continue;
            var (shrunk, shrunkFailure) = await runner.ShrinkAsync(fuzzCase, failure, CancellationToken.None);
            Assert.That(shrunk.Length, Is.LessThanOrEqualTo(fuzzCase.Length));
            Assert.That(await runner.CheckAsync(shrunk, CancellationToken.None), Is.Not.Null, "the shrunk case must still fail");
            var saved = FuzzRunner.Save(shrunk, Path.Combine(Path.GetTempPath(), "zrpc-fuzz-saved"));
            Assert.That(Convert.ToHexString(FuzzRunner.Load(saved).AllBytes()), Is.EqualTo(Convert.ToHexString(shrunk.AllBytes())), "a saved case replays byte for byte");
            Assert.That(shrunkFailure.Message, Is.Not.Empty);
            return;
        }
        Assert.Fail("60 fuzz cases did not catch a server that never drains request bodies");
    }
}
