using Zrpc.Fuzz.Seeds;

namespace Zrpc.Fuzz.Tests;

internal static class Paths
{
    public static string Fixtures { get; } = SeedCorpus.FindFixtures(AppContext.BaseDirectory);

    public static string Regressions => Path.Combine(Fixtures, "fuzz-regressions");
}
