using System.Diagnostics;
using NUnit.Framework;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.SelfTest;

namespace Zrpc.Conformance.Tests.Mutants;

/// <summary>
/// The mutants are selectable at run time from the self-test host, <c>zrpc-selftest serve --defect
/// NAME</c>, and from nothing a user installs: <c>zrpc</c> knows no defect.
/// </summary>
[TestFixture]
[Category("mutants")]
public sealed class MutantCliTests
{
    private static readonly string Host = Path.Combine(AppContext.BaseDirectory, SelfTestTargets.HostAssemblyFile);

    private static readonly string ZrpcCli = Path.Combine(AppContext.BaseDirectory, "Zrpc.Cli.dll");

    [Test]
    public async Task ListDefectsPrintsEveryMutant()
    {
        var (code, stdout, _) = await RunAsync(Host, "serve", "--list-defects");
        Assert.That(code, Is.EqualTo(0));
        var names = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToList();
        Assert.That(names, Is.EqualTo(ServerDefects.Names));
    }

    [Test]
    public async Task UnknownDefectIsAUsageError()
    {
        var (code, _, stderr) = await RunAsync(Host, "serve", "--listen", "tcp://127.0.0.1:0", "--defect", "no-such-defect");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("zrpc-selftest serve: unknown defect 'no-such-defect'").And.Contain("status-zero-ok"));
    }

    [Test]
    public async Task ClientDriverListDefectsPrintsEveryClientMutant()
    {
        var (code, stdout, _) = await RunAsync(Host, "client-driver", "--list-defects");
        Assert.That(code, Is.EqualTo(0));
        var names = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToList();
        Assert.That(names, Is.EqualTo(ClientDefects.Names));
    }

    [Test]
    public async Task UnknownClientDefectIsAUsageError()
    {
        var (code, stdout, stderr) = await RunAsync(Host, "client-driver", "--connect", "tcp://127.0.0.1:9", "--defect", "no-such-defect");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stdout, Is.Empty, "no result lines for an unusable command line");
        Assert.That(stderr, Does.Contain("unknown client defect 'no-such-defect'").And.Contain("rst-ignored"));
    }

    [TestCase("serve", "--listen", "stdio")]
    [TestCase("client-driver", "--connect", "tcp://127.0.0.1:9")]
    public async Task Zrpc_itself_knows_no_defect(string command, string addressOption, string address)
    {
        var (code, stdout, stderr) = await RunAsync(ZrpcCli, command, addressOption, address, "--defect", "status-zero-ok");
        Assert.That(code, Is.EqualTo(2), "a usage error: --defect is not an option of zrpc");
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.Contain("--defect"));

        var (_, help, _) = await RunAsync(ZrpcCli, command, "--help");
        Assert.That(help, Does.Contain(addressOption), "the help was printed");
        Assert.That(help, Does.Not.Contain("defect"));
    }

    [Test]
    public void ClientDefectTargetsResolveToTheSelfTestDriverWithTheDefect()
    {
        var spec = TargetParser.ParseClient("reference-client+defect:rst-ignored");
        Assert.That(spec, Is.TypeOf<ReferenceClientSpec>());
        var target = spec.Open(KitProfile.P6ab05ee);
        Assert.That(target.Arguments[0], Does.EndWith(SelfTestTargets.HostAssemblyFile), "the self-test host runs the client mutant, not zrpc");
        Assert.That(target.Arguments, Does.Contain("client-driver").And.Contain("--defect").And.Contain("rst-ignored").And.Contain(ClientRole.ClientDriverTarget.AddressPlaceholder));
        Assert.That(target.Name, Does.Contain("rst-ignored"));
        var error = Assert.Throws<FormatException>(() => TargetParser.ParseClient("reference-client+defect:no-such-defect"));
        Assert.That(error!.Message, Does.Contain("unknown client defect 'no-such-defect'"));
    }

    [Test]
    public async Task ServeWithDefectIsCaughtAndWithoutItPasses()
    {
        var scenario = FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory).First(s => s.Id == "rpc-ok-response-has-body/json");
        var executor = new ScenarioExecutor(new RunSettings().BindingAssembly);

        async Task<Verdict> RunWithAsync(string extra)
        {
            var spec = TargetParser.ParseServer($"exec:dotnet {Host} serve --listen stdio --read-timeout 5 {extra}".TrimEnd());
            await using var target = spec.Open(KitProfile.P6ab05ee);
            var result = await ConformanceRun.RunOneAsync(scenario, target, new RunSettings { Targets = [spec] }, executor);
            return result.Verdict;
        }

        Assert.That(await RunWithAsync(""), Is.EqualTo(Verdict.Pass));
        Assert.That(await RunWithAsync("--defect status-zero-ok"), Is.EqualTo(Verdict.Fail));
    }

    [Test]
    public async Task The_shipped_runner_refuses_a_defect_target_and_names_the_self_test_host()
    {
        var (code, _, error) = await Infrastructure.RunnerProcess.RunAsync("--target", "reference+defect:rst-ignored", "--only", "conn-rst-first");
        Assert.That(code, Is.EqualTo(ExitCodes.UsageError));
        Assert.That(error, Does.Contain("reference+defect:rst-ignored").And.Contain("zrpc-selftest conformance"));
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string assembly, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(assembly);
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
