using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Fuzz;

/// <summary>The runner's fuzz mode: <c>--fuzz N --seed S</c>, and <c>--fuzz-replay FILE</c>.</summary>
public static class FuzzCommand
{
    public static async Task<int> RunAsync(string? targetText, int count, int? seed, string? replayFile, TimeSpan timeout,
        TextWriter output, CancellationToken ct)
    {
        var actualSeed = seed ?? Random.Shared.Next(1, int.MaxValue);
        var targetArgument = targetText is null ? "" : $" --target '{targetText}'";
        IServerTarget target;
        try
        {
            target = TargetParser.ParseServer(targetText).Open(Steps.Wire.KitProfile.P6ab05ee);
        }
        catch (FormatException e)
        {
            output.WriteLine($"error: {e.Message}");
            return ExitCodes.UsageError;
        }
        await using (target)
        {
            if (await ConformanceRun.ProbeAsync(target, ct) is { } unreachable)
            {
                output.WriteLine(unreachable);
                return ExitCodes.TargetUnreachable;
            }
            var runner = new FuzzRunner(target, timeout);
            var cases = replayFile is not null
                ? [FuzzRunner.Load(replayFile)]
                : Enumerable.Range(0, count).Select(new FuzzGenerator(actualSeed).Generate);
            output.WriteLine(replayFile is not null
                ? $"fuzz: replaying {replayFile} against {target.Name}"
                : $"fuzz: {count} cases, seed {actualSeed}, against {target.Name}");
            int passed = 0, failed = 0;
            var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var fuzzCase in cases)
            {
                ct.ThrowIfCancellationRequested();
                kinds[fuzzCase.Mutation] = kinds.GetValueOrDefault(fuzzCase.Mutation) + 1;
                var failure = await runner.CheckAsync(fuzzCase, ct);
                if (failure is null)
                {
                    passed++;
                    continue;
                }
                failed++;
                output.WriteLine($"FAIL  case {fuzzCase.Index} (seed {fuzzCase.Seed}): {fuzzCase.Describe()}");
                output.WriteLine($"      {failure.Message}");
                var (shrunk, shrunkFailure) = await runner.ShrinkAsync(fuzzCase, failure, ct);
                var saved = FuzzRunner.Save(shrunk, Path.Combine("artifacts", "fuzz"));
                output.WriteLine($"      shrunk from {fuzzCase.Length} to {shrunk.Length} bytes: {shrunk.Describe()}");
                output.WriteLine($"      {shrunkFailure.Message}");
                output.WriteLine("      reproducer (annotated hex, sent in this order; the valid requests each wait for their response):");
                foreach (var line in shrunk.AnnotatedHex().Split('\n')) output.WriteLine("        " + line);
                output.WriteLine("      traffic of the shrunk case:");
                foreach (var line in shrunkFailure.Traffic.TrimEnd().Split('\n')) output.WriteLine("        " + line);
                output.WriteLine($"      replay: dotnet run --project conformance/Zrpc.Conformance --{targetArgument} --fuzz-replay {saved}");
                output.WriteLine($"      regenerate: dotnet run --project conformance/Zrpc.Conformance --{targetArgument} --fuzz {fuzzCase.Index + 1} --seed {fuzzCase.Seed}");
            }
            output.WriteLine($"fuzz kinds: {string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))}");
            output.WriteLine($"fuzz seed {actualSeed}: {passed} passed, {failed} failed");
            output.WriteLine($"{passed} passed, {failed} failed, 0 skipped");
            return failed == 0 ? ExitCodes.Success : ExitCodes.MustFailed;
        }
    }
}
