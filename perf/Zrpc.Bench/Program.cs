using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Zrpc.Bench;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (options.Command == "micro")
{
    IConfig config = DefaultConfig.Instance;
    if (options.Quick)
    {
        config = config.AddJob(Job.ShortRun);
    }

    // Results next to the JSON reports, not in whatever directory the command was started from.
    config = config.WithArtifactsPath(Path.Combine(options.Output, "micro"));
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(Runner).Assembly)
        .Run(options.MicroArgs.Length == 0 ? ["--filter", "*"] : options.MicroArgs, config);
    return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
}

if (options.Command == "peer-serve")
{
    // The library's server in a process of its own, for the limit table's two-process rows.
    return await Zrpc.Bench.Limits.PeerServer.RunAsync(options);
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
using var sampler = options.AllocationTrace ? new AllocationSampler() : null;
var report = await new Runner(options, Console.Out).RunAsync(cts.Token);
Console.WriteLine();
Console.WriteLine(ReportWriter.ToTable(report));
Console.WriteLine($"JSON: {ReportWriter.Save(report, options.Output)}");
if (sampler is not null)
{
    Console.WriteLine("Sampled allocations (about one sample per 100 KB):");
    Console.WriteLine(sampler.Summary());
}

return 0;
