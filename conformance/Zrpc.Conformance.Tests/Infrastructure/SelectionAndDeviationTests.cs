using NUnit.Framework;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Runner;

namespace Zrpc.Conformance.Tests.Infrastructure;

public sealed class SelectionAndDeviationTests
{
    [TestCase("@RPC-7", true)]
    [TestCase("rpc-7", true)]
    [TestCase("@RPC-8", false)]
    [TestCase("@RPC-8 @RPC-7", true)]
    [TestCase("@RPC-8,@must", true)]
    [TestCase("@RPC-7 and not @should", true)]
    [TestCase("@RPC-7 and @should", false)]
    [TestCase("not (@RPC-8 or @RPC-7)", false)]
    public void Tag_expressions_follow_cucumber_rules(string expression, bool expected)
    {
        Assert.That(TagExpression.Parse(expression).Matches(["@RPC-7", "@must"]), Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("@a and")]
    [TestCase("(@a")]
    public void A_broken_tag_expression_is_rejected(string expression)
    {
        Assert.Throws<FormatException>(() => TagExpression.Parse(expression));
    }

    [Test]
    public void Only_selects_by_stable_id_or_whole_outline()
    {
        var scenarios = SampleRun.Load();

        Assert.That(new ScenarioSelection { Only = ["sample-outline"] }.Apply(scenarios).Select(s => s.Id),
            Is.EqualTo(new[] { "sample-outline/1", "sample-outline/2", "sample-outline/3" }));
        Assert.That(new ScenarioSelection { Only = ["sample-outline/2"] }.Apply(scenarios), Has.Count.EqualTo(1));
        Assert.That(new ScenarioSelection { Sections = ["FRAME"] }.Apply(scenarios).Select(s => s.Id),
            Is.EqualTo(new[] { "sample-pass", "sample-fail" }));
        Assert.That(new ScenarioSelection { Sections = ["sample"] }.Apply(scenarios), Has.Count.EqualTo(scenarios.Count));
    }

    [Test]
    public void Deviation_text_file_lists_ids_with_reasons()
    {
        var deviations = ExpectedDeviations.Parse("# known\nsample-fail   we send 4 MiB + 1\n\nCONN-5 no read timeout yet\n");

        Assert.That(deviations.Entries.Select(e => (e.Id, e.Reason, e.Line)), Is.EqualTo(new[]
        {
            ("sample-fail", "we send 4 MiB + 1", 2),
            ("CONN-5", "no read timeout yet", 4),
        }));
    }

    [Test]
    public void A_deviation_without_reason_is_rejected_with_its_line()
    {
        var error = Assert.Throws<FormatException>(() => ExpectedDeviations.Parse("ok-one reason\nlonely-id\n", "dev.txt"));
        Assert.That(error!.Message, Does.StartWith("dev.txt:2"));
    }

    [Test]
    public void Deviation_json_file_is_accepted()
    {
        var deviations = ExpectedDeviations.Parse("""[{"id": "FRAME-6", "reason": "allocates first"}]""");
        Assert.That(deviations.Find(SampleRun.Find("sample-fail"))!.Reason, Is.EqualTo("allocates first"));
    }

    [Test]
    public void Classification_applies_should_and_the_deviation_list()
    {
        var deviations = ExpectedDeviations.Parse("sample-fail known\nsample-pass listed\nsample-outline all rows\n");
        ScenarioExecution Run(ExecutionStatus status) => new(status, "m", null, null, false, TimeSpan.Zero, "");

        Assert.That(deviations.Classify(SampleRun.Find("sample-fail"), Run(ExecutionStatus.Failed)), Is.EqualTo((Verdict.Known, "known", false)));
        Assert.That(deviations.Classify(SampleRun.Find("sample-pass"), Run(ExecutionStatus.Passed)), Is.EqualTo((Verdict.Pass, "listed", true)));
        Assert.That(deviations.Classify(SampleRun.Find("sample-outline/3"), Run(ExecutionStatus.Failed)).Verdict, Is.EqualTo(Verdict.Known));
        Assert.That(deviations.Classify(SampleRun.Find("sample-should-fail"), Run(ExecutionStatus.Failed)).Verdict, Is.EqualTo(Verdict.Warn));
        Assert.That(deviations.Classify(SampleRun.Find("sample-undefined"), Run(ExecutionStatus.Failed)).Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(deviations.Classify(SampleRun.Find("sample-skip"), Run(ExecutionStatus.Skipped)).Verdict, Is.EqualTo(Verdict.Skip));
        Assert.That(deviations.Unused(SampleRun.Load()), Is.Empty);
        Assert.That(ExpectedDeviations.Parse("gone-scenario reason").Unused(SampleRun.Load()).Single().Id, Is.EqualTo("gone-scenario"));
    }
}
