using NUnit.Framework;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Driver;
using Zrpc.Conformance.Reporting;
using Zrpc.Conformance.Runner;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.SelfTest;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>
/// --profile selects the scenarios of a profile and their numbers; --detect-profile names the
/// profile of a server from the two probes of spec/profile-fa4d209.md section 9; a run with the
/// wrong profile says so.
/// </summary>
public sealed class ProfileTests
{
    private static readonly Lazy<IReadOnlyList<ScenarioCase>> All = new(() => FeatureLoader.LoadDirectory(FeatureLoader.DefaultFeaturesDirectory));

    private static string PythonServer(string profile)
    {
        var root = RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)!;
        return $"exec:python3 {Path.Combine(root, "conformance", "examples", "python", "zrpc_server.py")} --listen stdio --read-timeout 5 --profile {profile}";
    }

    [Test]
    public void Each_profile_gets_its_own_scenarios_and_the_shared_ones()
    {
        var first = ProfileOptions.ForProfile(All.Value, KitProfile.P6ab05ee);
        var second = ProfileOptions.ForProfile(All.Value, KitProfile.Fa4d209);
        var shared = All.Value.Where(s => !s.Tags.Any(t => t.StartsWith(KitProfiles.TagPrefix, StringComparison.Ordinal))).ToList();

        Assert.That(shared, Has.Count.GreaterThan(100));
        Assert.That(first, Is.SupersetOf(shared));
        Assert.That(second, Is.SupersetOf(shared));
        Assert.That(first.Where(s => s.HasTag("@profile-fa4d209")), Is.Empty);
        Assert.That(second.Where(s => s.HasTag("@profile-6ab05ee")), Is.Empty);
        Assert.That(second.Select(s => s.Id), Does.Contain("fa-close-handshake").And.Contain("fa-client-close-handshake"));
        Assert.That(first.Select(s => s.Id), Does.Contain("rpc-ok-response-has-body/json"));
    }

    /// <summary>An FA id binds in profile fa4d209 only (spec/profile-fa4d209.md 1.2): its scenarios say so with their tag.</summary>
    [Test]
    public void Scenarios_citing_an_id_of_one_profile_are_tagged_with_it()
    {
        Assert.Multiple(() =>
        {
            foreach (var scenario in All.Value)
            {
                if (scenario.RequirementIds.Any(id => id.Value.StartsWith("FA", StringComparison.Ordinal)))
                    Assert.That(scenario.HasTag("@profile-fa4d209"), $"{scenario.Id} cites an FA id");
            }
        });
    }

    [Test]
    public void Feature_texts_take_the_numbers_of_the_profile()
    {
        KitProfiles.Current = KitProfile.Fa4d209;
        Assert.That(KitProfiles.Substitute("\"DataType\":{MarshaledJSON},\"Accept\":{Octets}"), Is.EqualTo("\"DataType\":3,\"Accept\":4"));
        Assert.That(WireConstants.DataTypeJson, Is.EqualTo(3));
        KitProfiles.Current = KitProfile.P6ab05ee;
        Assert.That(KitProfiles.Substitute("\"DataType\":{MarshaledJSON},\"Accept\":{Octets}"), Is.EqualTo("\"DataType\":2,\"Accept\":3"));
        Assert.That(KitProfiles.MismatchHint(2, 3), Does.Contain("try --profile fa4d209"));
        Assert.That(KitProfiles.MismatchHint(2, 4), Is.Empty, "4 is nothing in 6ab05ee's place of MarshaledJSON: no hint");
    }

    [TestCase(KitProfile.P6ab05ee)]
    [TestCase(KitProfile.Fa4d209)]
    public async Task The_probe_names_the_profile_of_the_reference_with_certainty(KitProfile profile)
    {
        await using var target = new ReferenceServerTarget(null, profile);
        var detection = await ProfileProbe.DetectAsync(target, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.That(detection.Profile, Is.EqualTo(profile), detection.Summary);
        Assert.That(detection.Certain, Is.True, string.Join("\n", detection.Evidence));
    }

    /// <summary>The mutants keep the numbering of their profile; a broken status makes the probe less sure, never wrong.</summary>
    [TestCase("close-ignored", KitProfile.Fa4d209, true)]
    [TestCase("close-answer-with-body", KitProfile.Fa4d209, true)]
    [TestCase("no-rst-at-teardown", KitProfile.Fa4d209, true)]
    [TestCase("no-drain-after-error", KitProfile.Fa4d209, true)]
    [TestCase("no-drain-after-error", KitProfile.P6ab05ee, true)]
    [TestCase("case-sensitive-field-names", KitProfile.P6ab05ee, true)]
    [TestCase("status-zero-ok", KitProfile.P6ab05ee, false)]
    [TestCase("status-zero-ok", KitProfile.Fa4d209, false)]
    public async Task The_probe_names_the_profile_of_a_mutant(string defect, KitProfile profile, bool certain)
    {
        await using var target = new ReferenceServerTarget(ServerDefects.Find(defect), profile);
        var detection = await ProfileProbe.DetectAsync(target, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.That(detection.Profile, Is.EqualTo(profile), string.Join("\n", detection.Evidence));
        Assert.That(detection.Certain, Is.EqualTo(certain), string.Join("\n", detection.Evidence));
    }

    [TestCase("6ab05ee", "profile 6ab05ee (certain")]
    [TestCase("fa4d209", "profile fa4d209 (certain")]
    public async Task Detect_profile_names_the_python_example_and_exits_0(string profile, string expected)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await ConformanceCli.RunAsync(["--detect-profile", "--target", PythonServer(profile)], output, error);
        Assert.That(code, Is.EqualTo(ExitCodes.Success), error.ToString());
        Assert.That(output.ToString(), Does.StartWith(expected));
    }

    [Test]
    public async Task Detect_profile_exits_6_when_only_one_probe_tells()
    {
        var output = new StringWriter();
        var code = await ConformanceCli.RunAsync(["--detect-profile", "--profile", "fa4d209", "--target", "reference+defect:status-zero-ok"], output, new StringWriter());
        Assert.That(code, Is.EqualTo(ExitCodes.ProfileProbable));
        Assert.That(output.ToString(), Does.StartWith("profile fa4d209 (probable"));
    }

    [Test]
    public async Task Detect_profile_needs_one_target()
    {
        var error = new StringWriter();
        var code = await ConformanceCli.RunAsync(["--detect-profile"], new StringWriter(), error);
        Assert.That(code, Is.EqualTo(ExitCodes.UsageError));
        Assert.That(error.ToString(), Does.Contain("exactly one --target"));
    }

    /// <summary>A 6ab05ee server checked as fa4d209 fails, and the first failure and the summary name the mismatch.</summary>
    [Test]
    public async Task A_run_with_the_wrong_profile_points_at_the_mismatch()
    {
        var output = new StringWriter();
        var code = await ConformanceCli.RunAsync(["--profile", "fa4d209", "--target", PythonServer("6ab05ee"), "--only", "fa-datatype-json"], output, new StringWriter());
        var text = output.ToString();
        Assert.That(code, Is.EqualTo(ExitCodes.MustFailed), text);
        Assert.That(text, Does.Contain("FAIL  fa-datatype-json"));
        Assert.That(text, Does.Contain("profile mismatch? ").And.Contain("this looks like a 6ab05ee server").And.Contain("try --profile 6ab05ee"));
    }

    /// <summary>The right profile gives no such hint: a passing run never probes.</summary>
    [Test]
    public async Task A_run_with_the_right_profile_has_no_hint()
    {
        var output = new StringWriter();
        var code = await ConformanceCli.RunAsync(["--profile", "fa4d209", "--only", "fa-datatype-json", "--only", "fa-close-handshake"], output, new StringWriter());
        Assert.That(code, Is.EqualTo(ExitCodes.Success), output.ToString());
        Assert.That(output.ToString(), Does.Not.Contain("profile mismatch"));
    }

    [Test]
    public async Task An_unknown_profile_is_a_usage_error()
    {
        var error = new StringWriter();
        var code = await ConformanceCli.RunAsync(["--profile", "0.0.3"], new StringWriter(), error);
        Assert.That(code, Is.EqualTo(ExitCodes.UsageError));
    }
}
