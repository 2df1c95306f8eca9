using Gherkin;
using Gherkin.CucumberMessages;
using Gherkin.CucumberMessages.Pickles;
using Io.Cucumber.Messages.Types;

namespace Zrpc.Conformance.Driver;

/// <summary>
/// Finds and parses .feature files and turns them into runnable <see cref="ScenarioCase"/>s:
/// outlines are expanded one case per example row (Gherkin's pickle compiler does the
/// substitution). Every scenario must carry an <c>@id:NAME</c> tag; ids are unique in a suite.
/// </summary>
public static class FeatureLoader
{
    public const string IdTagPrefix = "@id:";

    /// <summary>Default place of the features: the Features folder next to the runner's assembly.</summary>
    public static string DefaultFeaturesDirectory => Path.Combine(AppContext.BaseDirectory, "Features");

    /// <summary>Resource names of the built-in features start with this (see the project file).</summary>
    private const string EmbeddedPrefix = "Features/";

    /// <summary>
    /// The scenarios built into the runner's assembly, so that a single-file or installed runner
    /// needs no file beside it.
    /// </summary>
    public static IReadOnlyList<ScenarioCase> LoadEmbedded()
    {
        var assembly = typeof(FeatureLoader).Assembly;
        var cases = new List<ScenarioCase>();
        var names = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(EmbeddedPrefix, StringComparison.Ordinal) && name.EndsWith(".feature", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        var files = new List<(string Path, string RelativePath, string Text)>();
        foreach (var name in names)
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            files.Add(($"(built in) {name}", name[EmbeddedPrefix.Length..], reader.ReadToEnd()));
        }

        return LoadTexts(files);
    }

    /// <summary>Loads every *.feature file below <paramref name="directory"/> (sorted by path).</summary>
    public static IReadOnlyList<ScenarioCase> LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var files = Directory.EnumerateFiles(directory, "*.feature", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => (path, relative: Path.GetRelativePath(directory, path).Replace('\\', '/')));
        return LoadFiles(files);
    }

    /// <summary>Loads the given files; ids must be unique across all of them.</summary>
    public static IReadOnlyList<ScenarioCase> LoadFiles(IEnumerable<(string Path, string RelativePath)> files)
        => LoadTexts(files.Select(file => (file.Path, file.RelativePath, File.ReadAllText(file.Path))));

    private static IReadOnlyList<ScenarioCase> LoadTexts(IEnumerable<(string Path, string RelativePath, string Text)> files)
    {
        var cases = new List<ScenarioCase>();
        var seen = new Dictionary<string, ScenarioCase>(StringComparer.Ordinal);
        foreach (var (path, relative, text) in files)
        {
            foreach (var scenario in ParseFeature(path, relative, text))
            {
                if (seen.TryGetValue(scenario.Id, out var first))
                {
                    throw new FeatureLoadException(relative, scenario.Line,
                        $"scenario id '{scenario.Id}' is already used by {first.Feature.RelativePath}:{first.Line}; ids must be unique");
                }

                seen.Add(scenario.Id, scenario);
                cases.Add(scenario);
            }
        }

        return cases;
    }

    /// <summary>
    /// The same scenarios as new objects of a run of their own (<see cref="FeatureDocument.RunLabel"/>),
    /// for the second and later targets of one process.
    /// </summary>
    public static IReadOnlyList<ScenarioCase> ForRun(IReadOnlyList<ScenarioCase> scenarios, string runLabel)
    {
        var copies = new Dictionary<string, ScenarioCase>(StringComparer.Ordinal);
        foreach (var feature in scenarios.Select(s => s.Feature).Distinct())
        {
            foreach (var copy in ParseFeature(feature.Path, feature.RelativePath, feature.Text, runLabel))
            {
                copies[copy.Id] = copy;
            }
        }

        return scenarios.Select(s => copies[s.Id]).ToList();
    }

    /// <summary>Parses one feature's text. <paramref name="relativePath"/> names it in errors and reports.</summary>
    public static IReadOnlyList<ScenarioCase> ParseFeature(string path, string relativePath, string text, string? runLabel = null)
    {
        Gherkin.Ast.GherkinDocument ast;
        try
        {
            ast = new Parser().Parse(new StringReader(text));
        }
        catch (CompositeParserException e)
        {
            var firstError = e.Errors.FirstOrDefault();
            throw new FeatureLoadException(relativePath, (int?)firstError?.Location?.Line ?? 1, e.Message, e);
        }
        catch (ParserException e)
        {
            throw new FeatureLoadException(relativePath, (int?)e.Location?.Line ?? 1, e.Message, e);
        }

        if (ast.Feature is null)
        {
            return [];
        }

        var ids = new ProcessWideIds();
        var uri = runLabel is null ? relativePath : $"{runLabel}/{relativePath}";
        var document = new AstMessagesConverter(ids).ConvertGherkinDocumentToEventArgs(ast, uri);
        var pickles = new PickleCompiler(ids).Compile(document).ToList();
        var feature = new FeatureDocument
        {
            Path = path,
            RelativePath = relativePath,
            Title = document.Feature.Name,
            Description = document.Feature.Description?.Trim() ?? "",
            Tags = document.Feature.Tags.Select(t => t.Name).ToList(),
            Language = document.Feature.Language ?? "en",
            Text = text,
            Document = document,
            PickleList = pickles,
            RunLabel = runLabel,
        };

        var index = new AstIndex(document.Feature);
        var cases = new List<ScenarioCase>();
        for (var pickleIndex = 0; pickleIndex < pickles.Count; pickleIndex++)
        {
            cases.Add(ToCase(feature, index, pickles[pickleIndex], pickleIndex));
        }

        return cases;
    }

    private static ScenarioCase ToCase(FeatureDocument feature, AstIndex index, Pickle pickle, int pickleIndex)
    {
        var scenario = index.Scenarios[pickle.AstNodeIds[0]];
        var line = (int)scenario.Location.Line;
        var idTags = scenario.Tags.Where(t => t.Name.StartsWith(IdTagPrefix, StringComparison.Ordinal)).ToList();
        if (idTags.Count == 0)
        {
            throw new FeatureLoadException(feature.RelativePath, line,
                $"scenario '{scenario.Name}' has no {IdTagPrefix}NAME tag; every scenario needs a stable id (e.g. @id:frame-oversize-length)");
        }

        if (idTags.Count > 1)
        {
            throw new FeatureLoadException(feature.RelativePath, line, $"scenario '{scenario.Name}' has more than one {IdTagPrefix} tag");
        }

        var scenarioId = idTags[0].Name[IdTagPrefix.Length..];
        if (scenarioId.Length == 0 || scenarioId.Any(c => char.IsWhiteSpace(c) || c == '/'))
        {
            throw new FeatureLoadException(feature.RelativePath, line, $"scenario id '{scenarioId}' must be non-empty, without spaces or '/'");
        }

        var id = scenarioId;
        int? exampleRow = null;
        var arguments = new List<KeyValuePair<string, string>>();
        var ownTags = scenario.Tags.Select(t => t.Name).ToList();
        if (pickle.AstNodeIds.Count > 1)
        {
            var (examples, row, position) = index.ExampleRows[pickle.AstNodeIds[1]];
            exampleRow = position;
            var header = examples.TableHeader.Cells.Select(c => c.Value).ToList();
            for (var i = 0; i < header.Count && i < row.Cells.Count; i++)
            {
                arguments.Add(new(header[i], row.Cells[i].Value));
            }

            // An "id" column names the row stably even when rows are reordered or inserted.
            var idColumn = arguments.FirstOrDefault(a => string.Equals(a.Key, "id", StringComparison.OrdinalIgnoreCase));
            id = idColumn.Key is not null && !string.IsNullOrWhiteSpace(idColumn.Value)
                ? $"{scenarioId}/{idColumn.Value.Trim()}"
                : $"{scenarioId}/{position}";
            line = (int)row.Location.Line;
            ownTags.AddRange(examples.Tags.Select(t => t.Name));
        }

        var rule = index.RuleOf.GetValueOrDefault(scenario.Id);
        var steps = pickle.Steps.Select(step => ToStep(index, step)).ToList();
        return new ScenarioCase
        {
            Id = id,
            ScenarioId = scenarioId,
            ExampleRow = exampleRow,
            Title = pickle.Name,
            Description = scenario.Description?.Trim() ?? "",
            Feature = feature,
            RuleTitle = rule?.Name,
            RuleDescription = rule?.Description?.Trim(),
            RuleTags = rule?.Tags.Select(t => t.Name).ToList() ?? [],
            Line = line,
            Tags = pickle.Tags.Select(t => t.Name).Distinct(StringComparer.Ordinal).ToList(),
            OwnTags = ownTags.Distinct(StringComparer.Ordinal).ToList(),
            Steps = steps,
            Arguments = arguments,
            PickleIndex = pickleIndex,
            Pickle = pickle,
        };
    }

    private static ScenarioStep ToStep(AstIndex index, PickleStep step)
    {
        var ast = index.Steps[step.AstNodeIds[0]];
        var kind = step.Type switch
        {
            PickleStepType.CONTEXT => StepKind.Given,
            PickleStepType.ACTION => StepKind.When,
            PickleStepType.OUTCOME => StepKind.Then,
            _ => StepKind.And,
        };
        var table = step.Argument?.DataTable?.Rows
            .Select(r => (IReadOnlyList<string>)r.Cells.Select(c => c.Value).ToList())
            .ToList();
        return new ScenarioStep(ast.Keyword, kind, step.Text, step.Argument?.DocString?.Content, table, (int)ast.Location.Line);
    }

    /// <summary>Lookup of AST nodes by the ids that pickles refer to.</summary>
    private sealed class AstIndex
    {
        public Dictionary<string, Scenario> Scenarios { get; } = new();
        public Dictionary<string, Step> Steps { get; } = new();
        public Dictionary<string, Rule> RuleOf { get; } = new();
        public Dictionary<string, (Examples Examples, TableRow Row, int Position)> ExampleRows { get; } = new();

        public AstIndex(Feature feature)
        {
            foreach (var child in feature.Children)
            {
                Add(child.Background, child.Scenario, null);
                if (child.Rule is { } rule)
                {
                    foreach (var ruleChild in rule.Children)
                    {
                        Add(ruleChild.Background, ruleChild.Scenario, rule);
                    }
                }
            }
        }

        private void Add(Background? background, Scenario? scenario, Rule? rule)
        {
            if (background is not null)
            {
                foreach (var step in background.Steps) Steps[step.Id] = step;
            }

            if (scenario is null)
            {
                return;
            }

            Scenarios[scenario.Id] = scenario;
            if (rule is not null) RuleOf[scenario.Id] = rule;
            foreach (var step in scenario.Steps) Steps[step.Id] = step;
            var position = 0;
            foreach (var examples in scenario.Examples)
            {
                foreach (var row in examples.TableBody)
                {
                    ExampleRows[row.Id] = (examples, row, ++position);
                }
            }
        }
    }

    /// <summary>
    /// Ids of Gherkin messages unique in the process, not per file: Cucumber tooling (the HTML
    /// report among them) indexes pickles and AST nodes by id across every feature and run.
    /// </summary>
    private sealed class ProcessWideIds : IIdGenerator
    {
        private static long _next;

        public string GetNewId() => Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
