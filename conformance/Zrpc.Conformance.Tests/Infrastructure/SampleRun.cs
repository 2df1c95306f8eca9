using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>Loads the sample features and runs them with the sample bindings of this assembly.</summary>
internal static class SampleRun
{
    public static string SamplesDirectory => Path.Combine(AppContext.BaseDirectory, "Samples");

    public static string SampleFeature => Path.Combine(SamplesDirectory, "sample.feature");

    public static IReadOnlyList<ScenarioCase> Load()
        => FeatureLoader.LoadFiles([(SampleFeature, "sample.feature")]);

    public static ScenarioCase Find(string id) => Load().Single(s => s.Id == id);

    public static RunSettings Settings(ExpectedDeviations? deviations = null) => new()
    {
        BindingAssembly = typeof(SampleRun).Assembly,
        Deviations = deviations ?? ExpectedDeviations.None,
        StepTimeout = TimeSpan.FromSeconds(2),
    };

    public static async Task<ScenarioResult> RunAsync(string id, ExpectedDeviations? deviations = null)
    {
        var settings = Settings(deviations);
        await using var target = new ReferenceServerTarget();
        return await ConformanceRun.RunOneAsync(Find(id), target, settings, new ScenarioExecutor(settings.BindingAssembly));
    }
}
