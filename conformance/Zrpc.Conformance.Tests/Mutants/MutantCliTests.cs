using System.Diagnostics;
using NUnit.Framework;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;
using Zrpc.Mutants;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>The mutants are selectable at run time from the CLI: <c>zrpc serve --defect NAME</c>.</summary>
[TestFixture]
[Category("mutants")]
public sealed class MutantCliTests
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "Zrpc.Cli.dll");

    [Test]
    public async Task ListDefectsPrintsEveryMutant()
    {
        var (code, stdout, _) = await RunCliAsync("serve", "--list-defects");
        Assert.That(code, Is.EqualTo(0));
        var names = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToList();
        Assert.That(names, Is.EqualTo(ServerDefects.Names));
    }

    [Test]
    public async Task UnknownDefectIsAUsageError()
    {
        var (code, _, stderr) = await RunCliAsync("serve", "--listen", "tcp://127.0.0.1:0", "--defect", "no-such-defect");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("unknown defect 'no-such-defect'").And.Contain("status-zero-ok"));
    }

    [Test]
    public async Task ClientDriverListDefectsPrintsEveryClientMutant()
    {
        var (code, stdout, _) = await RunCliAsync("client-driver", "--list-defects");
        Assert.That(code, Is.EqualTo(0));
        var names = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToList();
        Assert.That(names, Is.EqualTo(ClientDefects.Names));
    }

    [Test]
    public async Task UnknownClientDefectIsAUsageError()
    {
        var (code, stdout, stderr) = await RunCliAsync("client-driver", "--connect", "tcp://127.0.0.1:9", "--defect", "no-such-defect");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stdout, Is.Empty, "no result lines for an unusable command line");
        Assert.That(stderr, Does.Contain("unknown client defect 'no-such-defect'").And.Contain("rst-ignored"));
    }

    [Test]
    public void ClientDefectTargetsResolveToTheDriverWithTheDefect()
    {
        var target = ClientRole.ClientDriverTarget.Create("reference-client+defect:rst-ignored");
        Assert.That(target.Arguments, Does.Contain("client-driver").And.Contain("--defect").And.Contain("rst-ignored").And.Contain(ClientRole.ClientDriverTarget.AddressPlaceholder));
        Assert.That(target.Name, Does.Contain("rst-ignored"));
        Assert.Throws<FormatException>(() => ClientRole.ClientDriverTarget.Create("reference-client+defect:no-such-defect"));
    }

    [Test]
    public async Task ServeWithDefectIsCaughtAndWithoutItPasses()
    {
        var scenario = FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory).First(s => s.Id == "rpc-ok-response-has-body/json");
        var executor = new ScenarioExecutor(new RunSettings().BindingAssembly);

        async Task<Verdict> RunAsync(string extra)
        {
            var text = $"exec:dotnet {Cli} serve --listen stdio --read-timeout 5 {extra}".TrimEnd();
            await using var target = Targets.Create(text);
            var result = await ConformanceRun.RunOneAsync(scenario, target, new RunSettings { Targets = [text] }, executor);
            return result.Verdict;
        }

        Assert.That(await RunAsync(""), Is.EqualTo(Verdict.Pass));
        Assert.That(await RunAsync("--defect status-zero-ok"), Is.EqualTo(Verdict.Fail));
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunCliAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Cli);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
