using NUnit.Framework;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>The runner's command step by step: load, select, validate, each with the exit code that ends it early.</summary>
public sealed class RunCommandTests
{
    static readonly Lazy<string> ValidSamples = new(() =>
    {
        var directory = Directory.CreateTempSubdirectory("zrpc-samples-").FullName;
        File.Copy(SampleRun.SampleFeature, Path.Combine(directory, "sample.feature"));
        return directory;
    });

    static (RunCommand Command, StringWriter Output, StringWriter Error) Command(RunRequest request)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var full = request with { Features = ValidSamples.Value };
        return (new RunCommand(full, output, error, typeof(RunCommandTests).Assembly), output, error);
    }

    [Test]
    public void Load_refuses_a_deviations_file_that_cannot_be_read()
    {
        var (command, _, error) = Command(new RunRequest { Deviations = Path.Combine(Path.GetTempPath(), $"zrpc-no-such-{Guid.NewGuid():N}.txt") });

        Assert.That(command.Load(), Is.EqualTo(ExitCodes.UsageError));
        Assert.That(error.ToString(), Does.StartWith("error: "));
    }

    [Test]
    public void Select_keeps_what_the_selection_names_and_an_empty_selection_exits_3_before_the_options_are_checked()
    {
        var (kept, _, _) = Command(new RunRequest { Only = ["sample-pass"] });
        Assert.That(kept.Load(), Is.Null);
        Assert.That(kept.Select(), Is.Null);
        Assert.That(kept.Selected.Select(s => s.Id), Is.EqualTo(new[] { "sample-pass" }));

        // --repeat -1 is a usage error, but a selection of nothing is found first (exit 3, as before validation).
        var (empty, output, error) = Command(new RunRequest { Only = ["no-such-scenario"], Repeat = -1 });
        Assert.That(empty.Load(), Is.Null);
        Assert.That(empty.Select(), Is.EqualTo(ExitCodes.NothingSelected));
        Assert.That(error.ToString(), Does.Contain("matched no scenario"));
        Assert.That(output.ToString().TrimEnd(), Is.EqualTo("0 passed, 0 failed, 0 skipped"));
    }

    [TestCase(-1, 10.0, 60.0, "--repeat must be 0 or more")]
    [TestCase(0, 0.0, 60.0, "--timeout must be a positive number of seconds")]
    [TestCase(0, 10.0, double.NaN, "--launch-timeout must be a positive number of seconds")]
    public void Validate_refuses_an_option_out_of_range(int repeat, double timeout, double launchTimeout, string message)
    {
        var (command, _, error) = Command(new RunRequest { Repeat = repeat, TimeoutSeconds = timeout, LaunchTimeoutSeconds = launchTimeout });
        Assert.That(command.Load(), Is.Null);

        Assert.That(command.Validate(CancellationToken.None), Is.EqualTo(ExitCodes.UsageError));
        Assert.That(error.ToString().TrimEnd(), Is.EqualTo($"error: {message}"));
        Assert.That(command.Settings, Is.Null);
    }

    [Test]
    public void Validate_in_the_client_role_takes_the_targets_as_client_drivers()
    {
        var (command, _, _) = Command(new RunRequest { Role = ClientRole.Roles.Client, Targets = ["exec:my-driver {address}"], Repeat = 2 });
        Assert.That(command.Load(), Is.Null);

        Assert.That(command.Validate(CancellationToken.None), Is.Null);
        Assert.That(command.Settings!.ClientTargets, Has.Count.EqualTo(1));
        Assert.That(command.Settings.ClientTargets[0], Is.InstanceOf<Zrpc.Conformance.Adapters.ExecClientDriverSpec>());
        Assert.That(command.Settings.ClientTargets[0].Text, Is.EqualTo("exec:my-driver {address}"));
        Assert.That(command.Settings.Targets, Is.Empty);
        Assert.That(command.Settings.Repeat, Is.EqualTo(2));
    }

    [Test]
    public void Validate_without_a_target_tests_the_built_in_reference_server()
    {
        var (command, _, _) = Command(new RunRequest());
        Assert.That(command.Load(), Is.Null);

        Assert.That(command.Validate(CancellationToken.None), Is.Null);
        Assert.That(command.Settings!.Targets, Has.Count.EqualTo(1));
        Assert.That(command.Settings.Targets[0], Is.InstanceOf<Zrpc.Conformance.Adapters.ReferenceServerSpec>());
        Assert.That(((Zrpc.Conformance.Adapters.ReferenceServerSpec)command.Settings.Targets[0]).Variant, Is.Null);
    }

    [Test]
    public void Run_before_validate_is_refused()
    {
        var (command, _, _) = Command(new RunRequest());
        Assert.That(command.Load(), Is.Null);

        Assert.ThrowsAsync<InvalidOperationException>(() => command.RunAsync(CancellationToken.None));
    }
}
