using NUnit.Framework;
using Zrpc.Spec;

namespace Zrpc.Conformance.Tests.Infrastructure;

public sealed class RequirementCatalogTests
{
    private const string Sample = """
        # Protocol

        ## 3. Frame layer

        Some prose that is not a requirement and mentions **FRAME-99** in passing.

        **FRAME-1** (MUST) A frame is a 6-byte frame header followed by the payload.

        **FRAME-12** (SHOULD) A sender SHOULD hand each frame's header and payload to the
        transport in one write.

        ```
        **FRAME-77** (MUST) inside a code block: not a requirement
        ```

        ## 7. Connection

        **CONN-6** (MAY) A server MAY close an idle connection.
        """;

    [Test]
    public void Parses_requirement_paragraphs_with_level_text_and_section()
    {
        var catalog = RequirementCatalog.Parse(Sample);

        Assert.That(catalog.All.Select(r => r.Id), Is.EqualTo(new[] { "FRAME-1", "FRAME-12", "CONN-6" }));
        var frame1 = catalog.Find("FRAME-1")!;
        Assert.That(frame1.Level, Is.EqualTo(RequirementLevel.Must));
        Assert.That(frame1.Text, Is.EqualTo("A frame is a 6-byte frame header followed by the payload."));
        Assert.That(frame1.Section, Is.EqualTo("3. Frame layer"));
        Assert.That(catalog.Find("CONN-6")!.Level, Is.EqualTo(RequirementLevel.May));
        Assert.That(catalog.Find("CONN-6")!.Section, Is.EqualTo("7. Connection"));
    }

    [Test]
    public void A_wrapped_paragraph_is_joined_into_one_requirement()
    {
        var requirement = RequirementCatalog.Parse(Sample).Find("FRAME-12")!;

        Assert.That(requirement.Level, Is.EqualTo(RequirementLevel.Should));
        Assert.That(requirement.Text, Is.EqualTo("A sender SHOULD hand each frame's header and payload to the transport in one write."));
    }

    [Test]
    public void Unknown_ids_and_code_blocks_are_not_requirements()
    {
        var catalog = RequirementCatalog.Parse(Sample);

        Assert.That(catalog.Find("FRAME-99"), Is.Null);
        Assert.That(catalog.Find("FRAME-77"), Is.Null);
        Assert.That(catalog.Contains("FRAME-1"), Is.True);
    }

    [Test]
    public void A_duplicate_id_is_an_error_naming_both_places()
    {
        var text = "# A\n\n**RPC-1** (MUST) one.\n\n**RPC-1** (SHOULD) two.\n";

        var error = Assert.Throws<FormatException>(() => RequirementCatalog.Parse(text, "dup.md"));
        Assert.That(error!.Message, Does.Contain("RPC-1").And.Contain("dup.md:3").And.Contain("dup.md:5"));
    }

    [Test]
    public void Loads_from_a_directory_of_markdown_files()
    {
        var directory = Directory.CreateTempSubdirectory("zrpc-spec-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "protocol.md"), Sample);
            File.WriteAllText(Path.Combine(directory.FullName, "notes.txt"), "**RPC-1** (MUST) ignored: not markdown");

            var catalog = RequirementCatalog.LoadDirectory(directory.FullName);

            Assert.That(catalog.All, Has.Count.EqualTo(3));
            Assert.That(catalog.Find("FRAME-1")!.Source, Does.EndWith("protocol.md"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public void The_embedded_spec_parses_into_well_formed_unique_ids()
    {
        if (RequirementCatalog.EmbeddedDocuments().Count == 0)
        {
            Assert.Ignore("spec/*.md not written yet");
        }

        var catalog = RequirementCatalog.LoadEmbedded();

        Assert.That(catalog.All, Is.Not.Empty);
        Assert.That(catalog.All.Select(r => r.Id), Is.Unique);
        Assert.That(catalog.All.Select(r => r.Id), Has.All.Match(@"^[A-Z]+-[0-9]+$"));
        Assert.That(catalog.All.Select(r => r.Section), Has.None.Empty);
    }
}
