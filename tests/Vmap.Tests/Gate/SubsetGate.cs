using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Vmap.Tests.Gate;

/// <summary>One source file handed to the gate.</summary>
/// <param name="Path">The name violations are reported under.</param>
/// <param name="Text">The C# source.</param>
public sealed record SourceFile(string Path, string Text);

/// <summary>How a project's sources are checked.</summary>
public enum GateMode
{
    /// <summary>Compiled against the host framework: construct rules plus every bound symbol against the allow-list.</summary>
    Semantic,

    /// <summary>For projects that use board-only libraries: construct rules plus names looked up in the allow-list.</summary>
    Syntactic,
}

/// <summary>
/// What the project being checked brings: the assemblies its <c>.nfproj</c> references (each
/// project lists its own, nanoFramework's rule) and whether calls to <c>[Conditional]</c> members
/// are refused (firmware and HAL sources: their output must survive a Release build).
/// </summary>
/// <param name="Project">The project's name in messages (its path relative to the root).</param>
/// <param name="References">The referenced assembly names; null when every listed assembly counts as referenced.</param>
/// <param name="RefuseConditional">True to refuse calls to members the API listing marks <c>[Conditional(...)]</c>.</param>
/// <param name="Api">The nanoFramework API listing.</param>
public sealed record GateContext(string Project, IReadOnlyCollection<string>? References, bool RefuseConditional, ApiListing Api)
{
    /// <summary>The top folders whose device sources may not call <c>[Conditional]</c> members.</summary>
    public static readonly IReadOnlyList<string> ConditionalFreeFolders = new[] { "firmware/", "hal/" };

    /// <summary>For snippets: every assembly referenced, Conditional members refused.</summary>
    public static GateContext Everything(ApiListing api) => new("(snippet)", null, true, api);

    /// <summary>The context of a real project: its own references, and the Conditional rule under firmware/ and hal/.</summary>
    public static GateContext For(string root, NfProject project, ApiListing api)
    {
        string name = RepoRoot.Relative(root, project.FullPath);
        bool refuse = ConditionalFreeFolders.Any(f => name.StartsWith(f, StringComparison.Ordinal));
        return new GateContext(name, project.References.Select(r => r.Assembly).ToList(), refuse, api);
    }

    /// <summary>Why the use of <paramref name="what"/> (allowed by <paramref name="entry"/>) fails the project's references, or null.</summary>
    public string? MissingReference(string what, AllowEntry entry)
    {
        if (References == null || References.Contains(entry.Assembly, StringComparer.Ordinal)) return null;
        return what + " is in assembly " + entry.Assembly + ": " + Project + " does not reference it (missing package " + entry.Package + ")";
    }

    /// <summary>Why a call to <paramref name="member"/> is refused as <c>[Conditional]</c>, or null.</summary>
    /// <param name="member">The member as reported.</param>
    /// <param name="keys">Its exact keys in the listing (tried first).</param>
    /// <param name="nameKey">Its key without signature (every overload, when no exact key is listed).</param>
    public string? ConditionalCall(string member, IEnumerable<string> keys, string nameKey)
    {
        if (!RefuseConditional) return null;
        var found = keys.SelectMany(Api.FindMember).ToList();
        if (found.Count == 0) found = Api.FindMembersNamed(nameKey).ToList();
        ApiEntry? conditional = found.FirstOrDefault(e => e.IsConditional);
        if (conditional == null) return null;
        string attribute = conditional.Annotations.First(a => a.StartsWith("[Conditional(", StringComparison.Ordinal));
        return member + " is " + attribute + " in " + conditional.Assembly.Name
            + ": the call vanishes from Release builds, so firmware output must not go through it (use System.Console.WriteLine)";
    }
}

/// <summary>
/// The nanoFramework subset gate: checks that device sources (every file a <c>.nfproj</c>
/// compiles) stay inside what .NET nanoFramework 1.x can build and run.
/// </summary>
public static class SubsetGate
{
    /// <summary>Projects checked syntactically whatever their packages (paths relative to the root).</summary>
    public static readonly IReadOnlyList<string> SyntacticProjects = new[]
    {
        "hal/Vmap.Hal.Esp32/Vmap.Hal.Esp32.nfproj",
        "tests/NFUnitTest/NFUnitTest.nfproj",
    };

    /// <summary>Packages that exist only for boards; a project whose packages.config names one is checked syntactically.</summary>
    public static readonly IReadOnlyList<string> BoardOnlyPackages = new[]
    {
        "nanoFramework.Hardware.Esp32",
        "nanoFramework.TestFramework",
    };

    /// <summary>How the device sources are parsed: the symbol nanoFramework builds define, the language version nf.proj.props sets.</summary>
    public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.CSharp10)
        .WithPreprocessorSymbols("NANOFRAMEWORK_1_0");

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_hostReferences = new(LoadHostReferences);
    private static readonly Lazy<ApiListing> s_api = new(ApiListing.LoadShipped);

    /// <summary>The API listing shipped next to the test assembly (loaded once).</summary>
    public static ApiListing Api => s_api.Value;

    /// <summary>Checks every <c>.nfproj</c> under <paramref name="root"/>.</summary>
    public static IReadOnlyList<Violation> CheckRepository(string root, AllowList allow) => CheckRepository(root, allow, Api);

    /// <summary>Checks every <c>.nfproj</c> under <paramref name="root"/>, each against its own references.</summary>
    public static IReadOnlyList<Violation> CheckRepository(string root, AllowList allow, ApiListing api) =>
        RepoRoot.FindFiles(root, "*.nfproj").SelectMany(p => CheckProject(root, NfProject.Load(p), allow, api)).Distinct().ToList();

    /// <summary>The mode a project is checked in (see <see cref="SyntacticProjects"/> and <see cref="BoardOnlyPackages"/>).</summary>
    public static GateMode ModeOf(string root, NfProject project)
    {
        string relative = RepoRoot.Relative(root, project.FullPath);
        bool boardOnly = SyntacticProjects.Contains(relative, StringComparer.OrdinalIgnoreCase)
            || project.Packages.Any(p => BoardOnlyPackages.Contains(p.Id, StringComparer.OrdinalIgnoreCase));
        return boardOnly ? GateMode.Syntactic : GateMode.Semantic;
    }

    /// <summary>
    /// Checks the files one project compiles (its <c>Compile Include</c> items), against the
    /// assemblies its own <c>Reference</c> items name, with the files of the device projects it
    /// references for binding.
    /// </summary>
    public static IReadOnlyList<Violation> CheckProject(string root, NfProject project, AllowList allow, ApiListing api)
    {
        var own = project.CompileFiles.Select(f => Read(root, f)).ToList();
        var referenced = ReferencedProjects(project).SelectMany(p => p.CompileFiles).Select(f => Read(root, f)).ToList();
        return CheckSources(own, referenced, ModeOf(root, project), allow, GateContext.For(root, project, api));
    }

    /// <summary>
    /// Checks <paramref name="own"/> as snippets: every listed assembly counts as referenced,
    /// <c>[Conditional]</c> members are refused.
    /// </summary>
    public static IReadOnlyList<Violation> CheckSources(IReadOnlyList<SourceFile> own, IReadOnlyList<SourceFile> referenced, GateMode mode, AllowList allow) =>
        CheckSources(own, referenced, mode, allow, GateContext.Everything(Api));

    /// <summary>
    /// Checks <paramref name="own"/>; <paramref name="referenced"/> (sources of referenced device
    /// projects) are compiled alongside for binding but not reported on.
    /// </summary>
    public static IReadOnlyList<Violation> CheckSources(IReadOnlyList<SourceFile> own, IReadOnlyList<SourceFile> referenced, GateMode mode, AllowList allow, GateContext context)
    {
        var ownTrees = own.Select(Parse).ToList();
        var allTrees = ownTrees.Concat(referenced.Select(Parse)).ToList();
        var violations = new List<Violation>();
        if (mode == GateMode.Semantic)
        {
            CSharpCompilation compilation = Compile(allTrees);
            violations.AddRange(CompileErrors(compilation, ownTrees));
            foreach (SyntaxTree tree in ownTrees)
            {
                var rules = new SemanticRules(compilation.GetSemanticModel(tree), allow, context);
                violations.AddRange(Walk(tree, node => ConstructRules.Check(node, withoutTypes: false).Concat(rules.Check(node))));
            }
        }
        else
        {
            var rules = new NameRules(allTrees, allow, context);
            violations.AddRange(ownTrees.SelectMany(t => ParseErrors(t)));
            foreach (SyntaxTree tree in ownTrees)
            {
                violations.AddRange(Walk(tree, node => ConstructRules.Check(node, withoutTypes: true).Concat(rules.Check(node))));
            }
        }
        return violations.Distinct().OrderBy(v => v.Path, StringComparer.Ordinal).ThenBy(v => v.Line).ToList();
    }

    /// <summary>The device projects <paramref name="project"/> references, directly or not.</summary>
    public static IReadOnlyList<NfProject> ReferencedProjects(NfProject project)
    {
        var seen = new Dictionary<string, NfProject>(StringComparer.Ordinal);
        var pending = new Stack<string>(project.ProjectReferences);
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            if (seen.ContainsKey(path) || path == project.FullPath || !path.EndsWith(".nfproj", StringComparison.OrdinalIgnoreCase)) continue;
            NfProject referenced = NfProject.Load(path);
            seen.Add(path, referenced);
            foreach (string next in referenced.ProjectReferences) pending.Push(next);
        }
        return seen.Values.ToList();
    }

    private static SourceFile Read(string root, string fullPath) => new(RepoRoot.Relative(root, fullPath), File.ReadAllText(fullPath));

    private static SyntaxTree Parse(SourceFile file) => CSharpSyntaxTree.ParseText(file.Text, ParseOptions, file.Path);

    private static CSharpCompilation Compile(IEnumerable<SyntaxTree> trees) => CSharpCompilation.Create(
        "DeviceSources", trees, s_hostReferences.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Disable));

    private static IEnumerable<Violation> Walk(SyntaxTree tree, Func<SyntaxNode, IEnumerable<string>> check) =>
        tree.GetRoot().DescendantNodesAndSelf().SelectMany(node => check(node).Select(construct => At(tree, node.GetLocation(), construct)));

    private static IEnumerable<Violation> CompileErrors(Compilation compilation, IReadOnlyList<SyntaxTree> ownTrees) =>
        compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree != null && ownTrees.Contains(d.Location.SourceTree))
            .Select(d => At(d.Location.SourceTree!, d.Location, "does not compile: " + d.Id + " " + d.GetMessage()));

    private static IEnumerable<Violation> ParseErrors(SyntaxTree tree) =>
        tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => At(tree, d.Location, "does not parse: " + d.Id + " " + d.GetMessage()));

    private static Violation At(SyntaxTree tree, Location location, string construct) =>
        new(tree.FilePath, location.GetLineSpan().StartLinePosition.Line + 1, construct);

    /// <summary>The host framework's assemblies (the directory of System.Private.CoreLib), as compilation references.</summary>
    private static ImmutableArray<MetadataReference> LoadHostReferences()
    {
        string frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string trusted = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "";
        return trusted.Split(Path.PathSeparator)
            .Where(p => p.Length > 0 && string.Equals(Path.GetDirectoryName(p), frameworkDir, StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }
}
