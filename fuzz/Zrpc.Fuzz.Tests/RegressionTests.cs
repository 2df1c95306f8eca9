namespace Zrpc.Fuzz.Tests;

/// <summary>
/// Every input in fixtures/fuzz-regressions/TARGET/ once crashed or hung a decoder under the
/// fuzzer; replayed in process through the same target code (plain build), it must now keep the
/// contract. Inputs of unfixed bugs are listed in <see cref="KnownBugs"/> and reported as ignored.
/// </summary>
[TestFixture]
public sealed class RegressionTests
{
    public static IEnumerable<TestCaseData> Inputs()
    {
        foreach (string dir in Directory.GetDirectories(Paths.Regressions).Order(StringComparer.Ordinal))
        {
            string target = Path.GetFileName(dir);
            foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                if (name.StartsWith('.') || name.EndsWith(".md", StringComparison.Ordinal))
                {
                    continue;
                }

                var data = new TestCaseData(target, name).SetName($"Regression({target}/{name})");
                // FUZZ_RUN_KNOWN_BUGS=1 runs them anyway: how the fixer checks the fix before removing the entry.
                if (KnownBugs.Reasons.TryGetValue($"{target}/{name}", out string? reason)
                    && Environment.GetEnvironmentVariable("FUZZ_RUN_KNOWN_BUGS") != "1")
                {
                    data = data.Ignore(reason);
                }

                yield return data;
            }
        }
    }

    [TestCaseSource(nameof(Inputs))]
    public void Regression_input_keeps_the_contract(string target, string file)
    {
        var fuzzTarget = FuzzTargets.Find(target);
        Assert.That(fuzzTarget, Is.Not.Null, $"fixtures/fuzz-regressions/{target}/ is not named after a fuzz target");
        Deadline.Run(fuzzTarget!, File.ReadAllBytes(Path.Combine(Paths.Regressions, target, file)), file);
    }

    [Test]
    public void Every_regression_folder_is_a_target_and_every_known_bug_has_its_input()
    {
        var names = FuzzTargets.All.Select(t => t.Name).ToHashSet();
        foreach (string dir in Directory.GetDirectories(Paths.Regressions))
        {
            Assert.That(names, Does.Contain(Path.GetFileName(dir)), $"{dir} is not a fuzz target's folder");
        }

        foreach (string key in KnownBugs.Reasons.Keys)
        {
            Assert.That(File.Exists(Path.Combine(Paths.Regressions, key)), Is.True, $"known bug {key} has no input file");
        }
    }
}
