using System.Reflection;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Zrpc.Conformance.Reporting;
using Zrpc.Spec;

namespace Zrpc.Conformance.Tests.Coverage;

/// <summary>
/// The requirement ids the reference cites are values of <see cref="RequirementId"/>, each of
/// which the spec defines; messages carry the id only where <see cref="ProtocolException"/> adds it.
/// </summary>
public sealed partial class RequirementIdTests
{
    static string Root() => RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("the tests must run inside the repository (Conformance.sln not found above the test assembly)");

    [Test]
    public void Every_id_the_reference_declares_is_defined_by_the_spec()
    {
        var catalog = RequirementCatalog.LoadDirectory(Path.Combine(Root(), "spec"));
        var unknown = RequirementId.Declared.Where(id => !catalog.Contains(id.Value)).Select(id => id.Value);
        Assert.That(unknown, Is.Empty);
    }

    [Test]
    public void Declared_lists_every_id_the_type_names()
    {
        var named = typeof(RequirementId).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(RequirementId))
            .Select(f => (RequirementId)f.GetValue(null)!);
        Assert.That(RequirementId.Declared, Is.EquivalentTo(named));
    }

    [Test]
    public void Reference_error_messages_do_not_spell_out_their_own_id()
    {
        var offenders = new List<string>();
        foreach (var project in new[] { "reference/Zrpc", "reference/Zrpc.Cli" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Root(), project), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
                {
                    continue;
                }

                int line = 0;
                foreach (var text in File.ReadLines(file))
                {
                    line++;
                    if (HandWrittenId().IsMatch(text))
                    {
                        offenders.Add($"{Path.GetRelativePath(Root(), file)}:{line}: {text.Trim()}");
                    }
                }
            }
        }

        Assert.That(offenders, Is.Empty, "ProtocolException appends the id itself");
    }

    [Test]
    public void Parse_accepts_the_spec_shape_only()
    {
        Assert.That(RequirementId.Parse("FRAME-6"), Is.EqualTo(RequirementId.Frame6));
        Assert.That(RequirementId.Parse("FACLI-4").Area, Is.EqualTo("FACLI"));
        foreach (var bad in new[] { "", "FRAME", "frame-6", "FRAME-", "-6", "FRAME-6a", "FRAME 6" })
        {
            Assert.Throws<FormatException>(() => RequirementId.Parse(bad), bad);
        }
    }

    [Test]
    public void Of_refuses_an_id_the_spec_does_not_define()
    {
        Assert.That(RequirementId.Of("TRANS-2").Value, Is.EqualTo("TRANS-2"));
        Assert.That(RequirementId.Of("FRAME-6"), Is.EqualTo(RequirementId.Frame6));
        var unknown = Assert.Throws<UnknownRequirementException>(() => RequirementId.Of("FRAME-999"));
        Assert.That(unknown!.Id.Value, Is.EqualTo("FRAME-999"));
        Assert.That(unknown.Message, Does.Contain("FRAME-999"));
        Assert.Throws<FormatException>(() => RequirementId.Of("frame-6"));
    }

    [Test]
    public void The_kits_violations_cite_only_ids_of_the_spec_and_format_them_once()
    {
        Assert.Throws<UnknownRequirementException>(() => _ = new Steps.RequirementViolation("RPC-999", "seen"));
        var violation = new Steps.RequirementViolation("RPC-7", "the body is not JSON");
        Assert.That(violation.Message, Is.EqualTo("[RPC-7] the body is not JSON"));
        Assert.That(violation.Detail, Is.EqualTo("the body is not JSON"));
        Assert.That(Steps.RequirementViolation.Cites(violation.Message, RequirementId.Of("RPC-7")), Is.True);
        Assert.That(Steps.RequirementViolation.Cites(violation.Message, RequirementId.Of("RPC-3")), Is.False);
        Assert.That(new Steps.UnattributedFailure("no answer").Of(RequirementId.Of("RPC-3")).Message, Is.EqualTo("[RPC-3] no answer"));
    }

    [Test]
    public void An_id_is_written_to_json_as_the_spec_writes_it()
    {
        Assert.That(System.Text.Json.JsonSerializer.Serialize(new { id = RequirementId.Frame6 }), Is.EqualTo("{\"id\":\"FRAME-6\"}"));
        Assert.That(System.Text.Json.JsonSerializer.Deserialize<RequirementId>("\"MSG-5\""), Is.EqualTo(RequirementId.Msg5));
    }

    [Test]
    public void Kit_failure_messages_do_not_spell_out_an_id_by_hand()
    {
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root(), "conformance", "Zrpc.Conformance"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                || Path.GetFileName(file) == "RequirementViolation.cs")
            {
                continue;
            }

            int line = 0;
            foreach (var text in File.ReadLines(file))
            {
                line++;
                if (KitHandWrittenId().IsMatch(text))
                {
                    offenders.Add($"{Path.GetRelativePath(Root(), file)}:{line}: {text.Trim()}");
                }
            }
        }

        Assert.That(offenders, Is.Empty, "RequirementViolation.Format writes the \"[ID] \" prefix");
    }

    // A string literal that starts with "[AREA-N] " or "[{...}] ", the kit's citation prefix.
    [GeneratedRegex(@"\$?""\[([A-Z]+-\d+|\{[^}]*\})\] ")]
    private static partial Regex KitHandWrittenId();

    // A ProtocolException or ConnectionResetException whose message literal ends in "(AREA-N)".
    [GeneratedRegex(@"(ProtocolException|ConnectionResetException)\(.*""[^""]*\([A-Z]+-\d+\)""")]
    private static partial Regex HandWrittenId();
}
