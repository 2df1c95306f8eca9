using System.Globalization;
using Io.Cucumber.Messages.Types;
using Reqnroll;
using Reqnroll.Formatters.RuntimeSupport;

namespace Zrpc.Conformance.Driver;

/// <summary>A parsed .feature file: its text, Gherkin AST as Cucumber messages, and its pickles.</summary>
public sealed class FeatureDocument : IFeatureLevelCucumberMessages
{
    private FeatureInfo? _featureInfo;

    public required string Path { get; init; }

    /// <summary>Path relative to the features folder, with '/' separators (e.g. "frame.feature").</summary>
    public required string RelativePath { get; init; }

    public required string Title { get; init; }

    public string Description { get; init; } = "";

    public required IReadOnlyList<string> Tags { get; init; }

    public string Language { get; init; } = "en";

    public required string Text { get; init; }

    public required GherkinDocument Document { get; init; }

    public required IReadOnlyList<Pickle> PickleList { get; init; }

    /// <summary>
    /// Names the run this copy of the feature belongs to when one process runs the same features
    /// against several targets (null for the first). Reqnroll's formatters track test cases per
    /// feature, so each run needs features of its own, told apart by their source URI.
    /// </summary>
    public string? RunLabel { get; init; }

    private string SourceUri => RunLabel is null ? RelativePath : $"{RunLabel}/{RelativePath}";

    /// <summary>
    /// Spec section: the file name without extension and without an ordering prefix, so
    /// "02-frame.feature" is section "frame".
    /// </summary>
    public string Section => System.Text.RegularExpressions.Regex.Replace(
        System.IO.Path.GetFileNameWithoutExtension(RelativePath), @"^[0-9]+[-_ .]", "");

    bool IFeatureLevelCucumberMessages.HasMessages => true;

    GherkinDocument IFeatureLevelCucumberMessages.GherkinDocument => Document;

    IEnumerable<Pickle> IFeatureLevelCucumberMessages.Pickles => PickleList;

    Source IFeatureLevelCucumberMessages.Source => new(SourceUri, Text, SourceMediaType.TEXT_X_CUCUMBER_GHERKIN_PLAIN);

    /// <summary>
    /// The FeatureInfo Reqnroll sees. One instance per document: the driver compares it by
    /// reference to decide whether a new feature starts.
    /// </summary>
    public FeatureInfo FeatureInfo => _featureInfo ??= new FeatureInfo(
        CultureInfo.GetCultureInfo(Language == "en" ? "en-US" : Language),
        System.IO.Path.GetDirectoryName(SourceUri) ?? "",
        RunLabel is null ? Title : $"{Title} ({RunLabel})",
        Description,
        ProgrammingLanguage.CSharp,
        Tags.Select(t => t.TrimStart('@')).ToArray(),
        this);
}
