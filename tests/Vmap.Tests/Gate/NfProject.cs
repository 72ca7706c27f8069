using System.Xml.Linq;

namespace Vmap.Tests.Gate;

/// <summary>One package line of a <c>packages.config</c>.</summary>
/// <param name="Id">The package id.</param>
/// <param name="Version">The package version.</param>
/// <param name="TargetFramework">The targetFramework attribute ("" when missing).</param>
public sealed record PackageEntry(string Id, string Version, string TargetFramework);

/// <summary>One <c>Reference</c> item of a <c>.nfproj</c>.</summary>
/// <param name="Assembly">The assembly name (the <c>Include</c> up to any comma), e.g. <c>nanoFramework.System.Text</c>.</param>
/// <param name="HintPath">Its <c>HintPath</c> as written ("" when none).</param>
public sealed record AssemblyReference(string Assembly, string HintPath);

/// <summary>
/// A device project (<c>.nfproj</c>) as the gate and the structure checks need it: the files it
/// compiles, the projects and packages it references. Read with LINQ to XML, by local name.
/// </summary>
public sealed class NfProject
{
    private NfProject(string path, XDocument document)
    {
        FullPath = Path.GetFullPath(path);
        Document = document;
    }

    /// <summary>The project file's full path.</summary>
    public string FullPath { get; }

    /// <summary>The folder the project lives in.</summary>
    public string Folder => Path.GetDirectoryName(FullPath)!;

    /// <summary>The parsed project file.</summary>
    public XDocument Document { get; }

    /// <summary>The <c>Include</c> values of the <c>Compile</c> items, as written (backslashes).</summary>
    public IReadOnlyList<string> CompileIncludes => Items("Compile").ToList();

    /// <summary>Full paths of the compiled files.</summary>
    public IReadOnlyList<string> CompileFiles => CompileIncludes.Select(Resolve).ToList();

    /// <summary>Full paths of the projects named by <c>ProjectReference</c> items.</summary>
    public IReadOnlyList<string> ProjectReferences => Items("ProjectReference").Select(Resolve).ToList();

    /// <summary>The <c>Reference</c> items: the assemblies the project itself references.</summary>
    public IReadOnlyList<AssemblyReference> References =>
        Document.Descendants().Where(e => e.Name.LocalName == "Reference" && e.Attribute("Include") != null)
            .Select(e => new AssemblyReference(((string)e.Attribute("Include")!).Split(',')[0].Trim(),
                e.Elements().FirstOrDefault(c => c.Name.LocalName == "HintPath")?.Value.Trim() ?? ""))
            .ToList();

    /// <summary>Every <c>HintPath</c> of the <c>Reference</c> items, as written.</summary>
    public IReadOnlyList<string> HintPaths =>
        Document.Descendants().Where(e => e.Name.LocalName == "HintPath").Select(e => e.Value.Trim()).ToList();

    /// <summary>The <c>Import</c> elements as (Project, Condition) pairs.</summary>
    public IReadOnlyList<(string Project, string Condition)> Imports =>
        Document.Descendants().Where(e => e.Name.LocalName == "Import")
            .Select(e => ((string?)e.Attribute("Project") ?? "", (string?)e.Attribute("Condition") ?? "")).ToList();

    /// <summary>The <c>packages.config</c> next to the project (empty when there is none).</summary>
    public IReadOnlyList<PackageEntry> Packages => ReadPackagesConfig(Path.Combine(Folder, "packages.config"));

    /// <summary>Loads a project file; throws <see cref="System.Xml.XmlException"/> when it is not well-formed.</summary>
    public static NfProject Load(string path) => new(path, XDocument.Load(path));

    /// <summary>Reads the entries of a <c>packages.config</c>; empty when the file does not exist.</summary>
    public static IReadOnlyList<PackageEntry> ReadPackagesConfig(string path)
    {
        if (!File.Exists(path)) return Array.Empty<PackageEntry>();
        return XDocument.Load(path).Descendants().Where(e => e.Name.LocalName == "package")
            .Select(e => new PackageEntry((string?)e.Attribute("id") ?? "", (string?)e.Attribute("version") ?? "",
                (string?)e.Attribute("targetFramework") ?? ""))
            .ToList();
    }

    /// <summary>Turns a project-relative path written with either separator into a full path.</summary>
    public string Resolve(string include) =>
        Path.GetFullPath(Path.Combine(Folder, include.Replace('\\', Path.DirectorySeparatorChar)));

    private IEnumerable<string> Items(string itemName) =>
        Document.Descendants().Where(e => e.Name.LocalName == itemName)
            .Select(e => (string?)e.Attribute("Include")).OfType<string>();
}
