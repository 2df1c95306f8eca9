using NUnit.Framework;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Infrastructure;

public sealed class DriverTests
{
    [Test]
    public async Task A_passing_scenario_passes()
    {
        var result = await SampleRun.RunAsync("sample-pass");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Pass), result.Execution.Message);
        Assert.That(result.Execution.Status, Is.EqualTo(ExecutionStatus.Passed));
    }

    [Test]
    public async Task A_failing_step_fails_with_its_message_and_step()
    {
        var result = await SampleRun.RunAsync("sample-fail");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(result.Execution.Message, Does.Contain("expected the counter to be 4, saw 3"));
        Assert.That(result.Execution.FailedStep, Does.Contain("the sample counter is 4"));
        Assert.That(result.ReplayCommand, Does.Contain("--only sample-fail --timeout 2"));
    }

    [Test]
    public async Task An_undefined_step_is_a_failure()
    {
        var result = await SampleRun.RunAsync("sample-undefined");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(result.Execution.ErrorType, Is.EqualTo("UndefinedStep"));
        Assert.That(result.Execution.Message, Does.Contain("something nobody bound happens"));
    }

    [Test]
    public async Task An_ambiguous_step_is_a_failure()
    {
        var result = await SampleRun.RunAsync("sample-ambiguous");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(result.Execution.Message, Does.Contain("mbiguous"));
    }

    [Test]
    public async Task A_failed_should_scenario_is_a_warning()
    {
        var result = await SampleRun.RunAsync("sample-should-fail");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Warn));
        Assert.That(result.Execution.Message, Does.Contain("saw 1"));
    }

    [Test]
    public async Task A_binding_can_skip_its_scenario()
    {
        var result = await SampleRun.RunAsync("sample-skip");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Skip));
        Assert.That(result.Execution.Message, Does.Contain("does not apply"));
    }

    [Test]
    public async Task An_NUnit_assertion_in_a_binding_fails_the_scenario_not_this_test()
    {
        var result = await SampleRun.RunAsync("sample-nunit-assert");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(result.Execution.Message, Does.Contain("sample counter"));
    }

    [Test]
    public async Task The_target_context_reaches_the_bindings_and_its_notes_the_report()
    {
        var result = await SampleRun.RunAsync("sample-target");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Pass), result.Execution.Message);
        Assert.That(result.Notes, Is.EqualTo(new[] { "target is reference (in-process), step timeout 2 s" }));
    }

    [Test]
    public void Outline_rows_expand_with_stable_ids()
    {
        var ids = SampleRun.Load().Select(s => s.Id).ToList();

        Assert.That(ids, Is.SupersetOf(new[]
        {
            "sample-outline/1", "sample-outline/2", "sample-outline/3",
            "sample-named-rows/one", "sample-named-rows/seven",
        }));
        var row = SampleRun.Find("sample-outline/2");
        Assert.That(row.ScenarioId, Is.EqualTo("sample-outline"));
        Assert.That(row.Steps.Select(s => s.Text), Is.EqualTo(new[]
        {
            "a sample counter at 5", "the sample counter is increased by 5", "the sample counter is 10",
        }));
    }

    [Test]
    public async Task Every_outline_row_runs_with_its_own_values()
    {
        foreach (var id in new[] { "sample-outline/1", "sample-outline/2", "sample-outline/3", "sample-named-rows/seven" })
        {
            var result = await SampleRun.RunAsync(id);
            Assert.That(result.Verdict, Is.EqualTo(Verdict.Pass), $"{id}: {result.Execution.Message}");
        }
    }

    [Test]
    public void Tags_and_requirement_ids_are_collected_from_feature_and_scenario()
    {
        var scenario = SampleRun.Find("sample-fail");

        Assert.That(scenario.Tags, Is.SupersetOf(new[] { "@sample", "@FRAME-6", "@must" }));
        Assert.That(scenario.RequirementIds.Select(id => id.Value), Is.EqualTo(new[] { "FRAME-6" }));
        Assert.That(scenario.Section, Is.EqualTo("sample"));
    }

    [Test]
    public void A_scenario_without_an_id_tag_is_a_load_error_naming_file_and_line()
    {
        var path = Path.Combine(SampleRun.SamplesDirectory, "invalid", "missing-id.feature");

        var error = Assert.Throws<FeatureLoadException>(() => FeatureLoader.LoadFiles([(path, "invalid/missing-id.feature")]));

        Assert.That(error!.File, Is.EqualTo("invalid/missing-id.feature"));
        Assert.That(error.Line, Is.EqualTo(8));
        Assert.That(error.Message, Does.Contain("@id:"));
    }

    [Test]
    public void A_duplicate_id_across_files_is_a_load_error()
    {
        var error = Assert.Throws<FeatureLoadException>(() => FeatureLoader.LoadFiles(
            [(SampleRun.SampleFeature, "a.feature"), (SampleRun.SampleFeature, "b.feature")]));

        Assert.That(error!.Message, Does.Contain("already used by a.feature"));
    }
}
