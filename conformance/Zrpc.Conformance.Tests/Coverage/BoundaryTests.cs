using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using NUnit.Framework;
using Zrpc.Conformance.Reporting;

namespace Zrpc.Conformance.Tests.Coverage;

/// <summary>
/// The boundaries between the projects, checked on what the build produced and on the project
/// files: the kit's verdict code does not lean on the reference's wire code, the reference library
/// knows nothing of the kit, the bench or the mutants, the bench ships in nothing, the mutants ship
/// in nothing a user installs, and the project graph is the one docs/architecture.md draws.
/// </summary>
public sealed class BoundaryTests
{
    /// <summary>The reference's wire code: frames, messages, the RPC layer and its test service.</summary>
    static readonly string[] WireNamespaces = ["Zrpc.Frames", "Zrpc.Messages", "Zrpc.Rpc", "Zrpc.TestService"];

    /// <summary>
    /// The kit's code that connects to a target: it may start the reference server in process and
    /// annotate captured frames with the reference's decoder, since neither decides a verdict.
    /// </summary>
    const string AdaptersNamespace = "Zrpc.Conformance.Adapters";

    /// <summary>
    /// Uses of wire code outside the adapters ("owner -> used type"), each with the reason it is not
    /// a verdict's dependency. A use not listed here fails, and so does an entry that is no longer
    /// used, so the list only shrinks.
    /// </summary>
    static readonly Dictionary<string, string> AllowedOutsideAdapters = new()
    {
        // A scripted call's Octets body is the Conformance Test Service's byte pattern, which the
        // in-process package hands to the user's client as the bytes to send; it produces input
        // and decides nothing (the fake server, which judges, builds the pattern itself).
        ["Zrpc.Conformance.NUnit.ClientCall -> Zrpc.TestService.PatternStream"] = "generates the pattern a scripted call sends",
    };

    static string Root() => RepositoryCoverageSources.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("the tests must run inside the repository (Conformance.sln not found above the test assembly)");

    [Test]
    public void The_kits_verdict_code_uses_no_wire_code_of_the_reference_outside_its_adapters()
    {
        // The runner and the in-process package: both decide verdicts.
        var uses = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (string name in new[] { "zrpc-conformance.dll", "Zrpc.Conformance.NUnit.dll" })
        {
            string assembly = Path.Combine(AppContext.BaseDirectory, name);
            Assert.That(File.Exists(assembly), Is.True, $"the kit's assembly is not beside the tests: {assembly}");
            foreach (var (owner, used) in WireUses(assembly))
            {
                TestContext.Out.WriteLine($"{owner} -> {string.Join(", ", used)}");
                uses[owner] = used;
            }
        }

        // The scan must see something: the adapters do use the reference's RPC and frame code.
        Assert.That(uses.Keys.Any(owner => owner.StartsWith(AdaptersNamespace + ".", StringComparison.Ordinal)), Is.True,
            "the scan found no wire use even in the adapters; it no longer reads the assembly correctly");

        var outside = uses
            .Where(u => !u.Key.StartsWith(AdaptersNamespace + ".", StringComparison.Ordinal))
            .SelectMany(u => u.Value.Select(used => $"{u.Key} -> {used}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.That(outside, Is.EquivalentTo(AllowedOutsideAdapters.Keys),
            "kit code outside Adapters/ that uses the reference's frame, message or RPC code (owner -> used type); "
            + "a verdict must come from the spec, probed through an adapter");
    }

    [Test]
    public void The_reference_library_references_no_kit_bench_mutants_or_tool()
    {
        string root = Root();
        var references = ProjectReferences(Path.Combine(root, "reference", "Zrpc", "Zrpc.csproj"));
        // The spec's requirement catalogue is the only project the library may build on.
        Assert.That(references.Where(r => r != "Zrpc.Spec"), Is.Empty,
            "reference/Zrpc must stand alone: it references");
    }

    [Test]
    public void No_project_outside_perf_references_the_bench()
    {
        string root = Root();
        string perf = Path.Combine(root, "perf") + Path.DirectorySeparatorChar;
        var projects = Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.That(projects.Any(p => Path.GetFileName(p) == "Zrpc.Bench.csproj"), Is.True, "perf/Zrpc.Bench not found");

        var offenders = projects
            .Where(p => !p.StartsWith(perf, StringComparison.Ordinal))
            .Where(p => ProjectReferencePaths(p).Any(r => r.StartsWith(perf, StringComparison.Ordinal)))
            .Select(p => Path.GetRelativePath(root, p))
            .ToList();
        Assert.That(offenders, Is.Empty, "projects outside perf/ that reference the bench (it must ship in nothing, and the reference's tests must not need it)");
    }

    /// <summary>What a user installs: the zrpc tool, the runner and the in-process package, by project and by built assembly.</summary>
    static readonly (string Project, string Assembly)[] Shipped =
    [
        ("reference/Zrpc.Cli/Zrpc.Cli.csproj", "Zrpc.Cli.dll"),
        ("conformance/Zrpc.Conformance/Zrpc.Conformance.csproj", "zrpc-conformance.dll"),
        ("conformance/Zrpc.Conformance.NUnit/Zrpc.Conformance.NUnit.csproj", "Zrpc.Conformance.NUnit.dll"),
    ];

    /// <summary>The self-test's projects: the mutants and their host.</summary>
    static readonly string[] SelfTestProjects = ["Zrpc.SelfTest", "Zrpc.SelfTest.Host"];

    [Test]
    public void Nothing_shipped_references_the_mutants_by_project()
    {
        string root = Root();
        foreach (var (project, _) in Shipped)
        {
            string csproj = Path.Combine(root, project);
            var reached = ReachableProjects(csproj).Select(Path.GetFileNameWithoutExtension).ToList();
            Assert.That(reached, Does.Contain("Zrpc"), $"{project}: the walk must reach the library every shipped project builds on");
            Assert.That(reached.Intersect(SelfTestProjects), Is.Empty, $"{project} reaches the self-test's projects (directly or through another project)");
            Assert.That(File.ReadAllText(csproj), Does.Not.Contain("SelfTest").And.Not.Contain("Mutants"),
                $"{project} names the mutants (a reference, or a file bundled into its package)");
        }
    }

    [Test]
    public void Nothing_shipped_references_the_mutants_by_built_assembly()
    {
        foreach (var (_, name) in Shipped)
        {
            string assembly = Path.Combine(AppContext.BaseDirectory, name);
            Assert.That(File.Exists(assembly), Is.True, $"the shipped assembly is not beside the tests: {assembly}");
            var references = AssemblyReferences(assembly);
            Assert.That(references, Does.Contain("Zrpc"), $"{name}: the scan must see the library it is built on");
            Assert.That(references.Where(r => r.Contains("SelfTest", StringComparison.OrdinalIgnoreCase) || r.Contains("Mutants", StringComparison.OrdinalIgnoreCase)
                                              || r.Equals("zrpc-selftest", StringComparison.OrdinalIgnoreCase)),
                Is.Empty, $"{name} references the self-test's assemblies");
        }
    }

    [Test]
    public void The_self_test_assembly_is_what_the_scan_would_catch()
    {
        // The mutants' own assembly references the runner: the same scan sees a reference when there is one.
        var references = AssemblyReferences(Path.Combine(AppContext.BaseDirectory, "Zrpc.SelfTest.dll"));
        Assert.That(references, Does.Contain("zrpc-conformance").And.Contain("Zrpc"));
    }

    [Test]
    public void The_project_graph_is_the_one_docs_architecture_draws()
    {
        string root = Root();
        var actual = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var csproj in ProjectFiles(root).Where(p => !p.Contains($"{Path.DirectorySeparatorChar}examples{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            actual[GraphName(csproj)] = new SortedSet<string>(AssemblyProjectReferences(csproj).Select(GraphName), StringComparer.Ordinal);
        }

        var documented = DocumentedGraph(File.ReadAllText(Path.Combine(root, "docs", "architecture.md")));
        Assert.That(documented.Keys, Is.EquivalentTo(actual.Keys), "projects in docs/architecture.md's graph vs. the repository's");
        foreach (var (project, references) in actual)
        {
            Assert.That(documented[project], Is.EquivalentTo(references), $"{project}'s references in docs/architecture.md's graph");
        }
    }

    /// <summary>The "A -> B, C" lines of the graph's code block; text in parentheses is commentary, "(nothing)" no reference.</summary>
    static Dictionary<string, SortedSet<string>> DocumentedGraph(string markdown)
    {
        int section = markdown.IndexOf("## The project graph", StringComparison.Ordinal);
        Assert.That(section, Is.GreaterThanOrEqualTo(0), "docs/architecture.md has no section 'The project graph'");
        int open = markdown.IndexOf("```", section, StringComparison.Ordinal);
        int close = markdown.IndexOf("```", open + 3, StringComparison.Ordinal);
        var graph = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var line in markdown[(open + 3)..close].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split("->", 2, StringSplitOptions.TrimEntries);
            Assert.That(parts, Has.Length.EqualTo(2), $"not a graph line: {line}");
            var targets = System.Text.RegularExpressions.Regex.Replace(parts[1], @"\([^)]*\)", "");
            graph[parts[0]] = new SortedSet<string>(targets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
        }

        return graph;
    }

    /// <summary>A project as the graph names it: its assembly name when it sets one, else its file name.</summary>
    static string GraphName(string csproj)
        => XDocument.Load(csproj).Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault(v => v.Length > 0)
           ?? Path.GetFileNameWithoutExtension(csproj);

    static IEnumerable<string> ProjectFiles(string root) =>
        Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>Project references whose assembly is referenced (not the build-order-only ones, ReferenceOutputAssembly="false").</summary>
    static IEnumerable<string> AssemblyProjectReferences(string csproj) =>
        XDocument.Load(csproj).Descendants("ProjectReference")
            .Where(e => !string.Equals((string?)e.Attribute("ReferenceOutputAssembly"), "false", StringComparison.OrdinalIgnoreCase))
            .Select(e => (string?)e.Attribute("Include"))
            .OfType<string>()
            .Select(include => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(csproj)!, include.Replace('\\', Path.DirectorySeparatorChar))));

    /// <summary>Every project <paramref name="csproj"/> reaches through project references, itself excluded.</summary>
    static HashSet<string> ReachableProjects(string csproj)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>(ProjectReferencePaths(csproj));
        while (todo.TryPop(out var next))
        {
            if (!seen.Add(next) || !File.Exists(next)) continue;
            foreach (var further in ProjectReferencePaths(next)) todo.Push(further);
        }

        return seen;
    }

    /// <summary>The names of the assemblies a built assembly references (its metadata, not a load).</summary>
    static List<string> AssemblyReferences(string assembly)
    {
        using var stream = File.OpenRead(assembly);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        return md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).ToList();
    }

    static IEnumerable<string> ProjectReferencePaths(string csproj) =>
        XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(e => (string?)e.Attribute("Include"))
            .OfType<string>()
            .Select(include => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(csproj)!, include.Replace('\\', Path.DirectorySeparatorChar))));

    static List<string> ProjectReferences(string csproj) =>
        ProjectReferencePaths(csproj).Select(Path.GetFileNameWithoutExtension).OfType<string>().ToList();

    /// <summary>
    /// For each top-level type of the assembly (nested and compiler-generated types count for the
    /// type that holds them), the reference's wire types its signatures and method bodies use.
    /// </summary>
    static Dictionary<string, SortedSet<string>> WireUses(string assembly)
    {
        using var stream = File.OpenRead(assembly);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var result = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);

        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            var top = type;
            while (top.GetDeclaringType() is { IsNil: false } outer) top = md.GetTypeDefinition(outer);
            string owner = $"{md.GetString(top.Namespace)}.{md.GetString(top.Name)}";
            var provider = new WireTypeCollector(md);

            provider.Visit(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations()) provider.Visit(md.GetInterfaceImplementation(i).Interface);
            foreach (var f in type.GetFields()) md.GetFieldDefinition(f).DecodeSignature(provider, null);
            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                method.DecodeSignature(provider, null);
                if (method.RelativeVirtualAddress == 0) continue;
                var body = pe.GetMethodBody(method.RelativeVirtualAddress);
                if (!body.LocalSignature.IsNil)
                {
                    md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null);
                }

                foreach (var token in Tokens(body.GetILReader())) provider.Visit(MetadataTokens.EntityHandle(token));
            }

            if (provider.Found.Count > 0)
            {
                if (!result.TryGetValue(owner, out var set)) result[owner] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.UnionWith(provider.Found);
            }
        }

        return result;
    }

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .DistinctBy(o => o.Value)
        .ToDictionary(o => o.Value);

    /// <summary>The metadata tokens a method body's instructions carry.</summary>
    static IEnumerable<int> Tokens(BlobReader il)
    {
        var tokens = new List<int>();
        var seen = new List<string>();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE) value = unchecked((short)(0xFE00 | il.ReadByte()));
            if (!OpCodesByValue.TryGetValue(value, out var op))
            {
                throw new InvalidDataException($"unknown IL opcode 0x{value:X} at offset {il.Offset - 1} after {string.Join(" ", seen.TakeLast(6))}");
            }

            seen.Add(op.Name ?? "?");
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.Offset += 1; break;
                case OperandType.InlineVar: il.Offset += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
                case OperandType.InlineSwitch:
                    int targets = il.ReadInt32(); // read apart from the += below, which would take Offset before the count
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType or OperandType.InlineSig:
                    tokens.Add(il.ReadInt32());
                    break;
                default: il.Offset += 4; break;
            }
        }

        return tokens;
    }

    /// <summary>Decodes signatures and follows tokens, noting every type of the reference's wire namespaces met on the way.</summary>
    sealed class WireTypeCollector(MetadataReader md) : ISignatureTypeProvider<string, object?>
    {
        public SortedSet<string> Found { get; } = new(StringComparer.Ordinal);

        public void Visit(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeReference: GetTypeFromReference(md, (TypeReferenceHandle)handle, 0); break;
                case HandleKind.TypeSpecification: GetTypeFromSpecification(md, null, (TypeSpecificationHandle)handle, 0); break;
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    Visit(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(this, null);
                    else member.DecodeFieldSignature(this, null);
                    break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Visit(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
                case HandleKind.StandaloneSignature:
                    var sig = md.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (sig.GetKind() == StandaloneSignatureKind.Method) sig.DecodeMethodSignature(this, null);
                    else sig.DecodeLocalSignature(this, null);
                    break;
            }
        }

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeReference(handle);
            var scope = type;
            while (scope.ResolutionScope.Kind == HandleKind.TypeReference) scope = reader.GetTypeReference((TypeReferenceHandle)scope.ResolutionScope);
            string ns = reader.GetString(scope.Namespace);
            string name = $"{ns}.{reader.GetString(type.Name)}";
            if (scope.ResolutionScope.Kind == HandleKind.AssemblyReference
                && reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)scope.ResolutionScope).Name) == "Zrpc"
                && WireNamespaces.Any(w => ns == w || ns.StartsWith(w + ".", StringComparison.Ordinal)))
            {
                Found.Add(name);
            }

            return name;
        }

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeDefinition(handle).Name);
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPinnedType(string elementType) => elementType;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => $"{genericType}<{string.Join(",", typeArguments)}>";
        public string GetGenericMethodParameter(object? genericContext, int index) => $"!!{index}";
        public string GetGenericTypeParameter(object? genericContext, int index) => $"!{index}";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
    }
}
