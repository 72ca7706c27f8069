using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Vmap.Tests.Gate;

/// <summary>
/// Structure checks of the device projects and solution files (they cannot be built here, see
/// NANOFRAMEWORK.md). Each check returns one readable line per problem, empty when all is well.
/// </summary>
public static class RepoStructure
{
    /// <summary>The project-system files every .nfproj imports, each guarded by an Exists condition.</summary>
    public static readonly IReadOnlyList<string> RequiredImports = new[]
    {
        "NFProjectSystem.Default.props", "NFProjectSystem.props", "NFProjectSystem.CSharp.targets",
    };

    private static readonly Regex s_packageHint = new(@"^(?:\.\.[\\/])+packages[\\/](?<dir>[^\\/]+)[\\/]", RegexOptions.Compiled);
    private static readonly Regex s_libHint = new(@"^(?:\.\.[\\/])+packages[\\/](?<dir>[^\\/]+)[\\/]lib[\\/](?<file>[^\\/]+)$", RegexOptions.Compiled);
    private static readonly Regex s_slnProject = new(@"^Project\(""\{[^}]+\}""\)\s*=\s*""[^""]*"",\s*""(?<path>[^""]+)""", RegexOptions.Compiled | RegexOptions.Multiline);

    /// <summary>Every check, in order.</summary>
    public static IEnumerable<string> All(string root) =>
        TwinsCompileTheSameFiles(root).Concat(XmlIsWellFormed(root)).Concat(PackagesMatchHintPaths(root))
            .Concat(PackagesTargetNetNano(root)).Concat(ImportsAreGuarded(root)).Concat(AssemblyInfoIsCompiled(root))
            .Concat(SolutionListsEveryProject(root)).Concat(HostFilterListsEveryHostProject(root))
            .Concat(ReferencesMatchListing(root, SubsetGate.Api)).Concat(ReferencesCoverDependencies(root, SubsetGate.Api))
            .Concat(NuspecDependenciesMatchPackages(root));

    /// <summary>
    /// Each <c>Reference</c> names an assembly of the API listing, and its HintPath points into
    /// that assembly's package at the listed version (<c>packages\&lt;id&gt;.&lt;version&gt;\lib\</c>) and names
    /// the file the package ships (the listing's header).
    /// </summary>
    public static IEnumerable<string> ReferencesMatchListing(string root, ApiListing api)
    {
        foreach (NfProject project in LoadProjects(root))
        {
            string name = Rel(root, project.FullPath);
            foreach (AssemblyReference reference in project.References)
            {
                ApiAssembly? listed = api.Assembly(reference.Assembly);
                if (listed == null)
                {
                    yield return name + ": Reference " + reference.Assembly + " has no API listing in " + ApiListing.RepoFolder;
                    continue;
                }
                Match hint = s_libHint.Match(reference.HintPath);
                string expectedDir = listed.PackageId + "." + listed.PackageVersion;
                if (!hint.Success)
                    yield return name + ": Reference " + reference.Assembly + " has no HintPath into packages\\" + expectedDir + "\\lib\\";
                else if (hint.Groups["dir"].Value != expectedDir)
                    yield return name + ": Reference " + reference.Assembly + " points into packages\\" + hint.Groups["dir"].Value + "\\, but the assembly ships in " + listed.Package;
                else if (hint.Groups["file"].Value != listed.AssemblyFile)
                    yield return name + ": Reference " + reference.Assembly + ": HintPath names " + hint.Groups["file"].Value + ", the package ships " + listed.AssemblyFile;
            }
        }
    }

    /// <summary>
    /// A device project references every assembly that the device projects it references
    /// reference, and every assembly its assemblies reference (by the listing's headers):
    /// nanoFramework deploys each assembly of an application, and each .nfproj lists its own.
    /// </summary>
    public static IEnumerable<string> ReferencesCoverDependencies(string root, ApiListing api)
    {
        foreach (NfProject project in LoadProjects(root))
        {
            var own = project.References.Select(r => r.Assembly).ToHashSet(StringComparer.Ordinal);
            var needed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (NfProject referenced in SubsetGate.ReferencedProjects(project))
            {
                foreach (AssemblyReference r in referenced.References) needed.TryAdd(r.Assembly, "which " + Rel(root, referenced.FullPath) + " references");
            }
            var pending = new Queue<string>(own.Concat(needed.Keys));
            while (pending.Count > 0)
            {
                string assembly = pending.Dequeue();
                foreach (string dependency in api.Assembly(assembly)?.References ?? Array.Empty<string>())
                {
                    if (needed.TryAdd(dependency, "which assembly " + assembly + " references")) pending.Enqueue(dependency);
                }
            }
            foreach ((string assembly, string why) in needed.Where(n => !own.Contains(n.Key)).OrderBy(n => n.Key, StringComparer.Ordinal))
            {
                string package = api.Assembly(assembly)?.Package ?? "(no API listing)";
                yield return Rel(root, project.FullPath) + " does not reference " + assembly + " (package " + package + "), " + why;
            }
        }
    }

    /// <summary>
    /// A .nuspec next to a .nfproj depends on every package (not development-only) of that project and
    /// of the device projects it references (the package bundles them), each at exactly the version of
    /// packages.config (<c>[x.y.z]</c>), and on nothing else.
    /// </summary>
    public static IEnumerable<string> NuspecDependenciesMatchPackages(string root)
    {
        foreach (string nuspec in RepoRoot.FindFiles(root, "*.nuspec"))
        {
            string? nfproj = Directory.EnumerateFiles(Path.GetDirectoryName(nuspec)!, "*.nfproj").FirstOrDefault();
            XDocument? doc = null;
            try { doc = XDocument.Load(nuspec); }
            catch (XmlException) { } // reported by XmlIsWellFormed
            if (nfproj == null || doc == null) continue;
            NfProject project = NfProject.Load(nfproj);
            var packages = new[] { project }.Concat(SubsetGate.ReferencedProjects(project))
                .SelectMany(p => XDocumentPackages(Path.Combine(p.Folder, "packages.config")))
                .GroupBy(p => p.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Version, StringComparer.Ordinal);
            var dependencies = doc.Descendants().Where(e => e.Name.LocalName == "dependency")
                .ToDictionary(e => (string?)e.Attribute("id") ?? "", e => (string?)e.Attribute("version") ?? "", StringComparer.Ordinal);
            string name = Rel(root, nuspec);
            foreach ((string id, string version) in packages.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (!dependencies.TryGetValue(id, out string? declared)) yield return name + " does not depend on " + id + " [" + version + "]";
                else if (declared != "[" + version + "]") yield return name + " depends on " + id + " " + declared + ", packages.config has [" + version + "]";
            }
            foreach (string id in dependencies.Keys.Where(d => !packages.ContainsKey(d)).Order(StringComparer.Ordinal))
                yield return name + " depends on " + id + ", which no packages.config of the packaged projects lists";
        }
    }

    /// <summary>The packages.config entries that are not development-only (those stay out of a .nuspec).</summary>
    private static IEnumerable<(string Id, string Version)> XDocumentPackages(string packagesConfig)
    {
        if (!File.Exists(packagesConfig)) yield break;
        XDocument doc;
        try { doc = XDocument.Load(packagesConfig); }
        catch (XmlException) { yield break; } // reported by XmlIsWellFormed
        foreach (XElement package in doc.Descendants().Where(e => e.Name.LocalName == "package"))
        {
            if (((string?)package.Attribute("developmentDependency"))?.Equals("true", StringComparison.OrdinalIgnoreCase) == true) continue;
            yield return ((string?)package.Attribute("id") ?? "", (string?)package.Attribute("version") ?? "");
        }
    }

    /// <summary>A .nfproj and its host twin (a .csproj in the same folder) compile exactly the same .cs files.</summary>
    public static IEnumerable<string> TwinsCompileTheSameFiles(string root)
    {
        foreach (string nfproj in RepoRoot.FindFiles(root, "*.nfproj"))
        {
            string? twin = Directory.EnumerateFiles(Path.GetDirectoryName(nfproj)!, "*.csproj").FirstOrDefault();
            if (twin == null) continue;
            var device = NfProject.Load(nfproj).CompileFiles.Select(f => RepoRoot.Relative(root, f)).ToHashSet(StringComparer.Ordinal);
            var host = SdkCompileItems(twin).Select(f => RepoRoot.Relative(root, f)).ToHashSet(StringComparer.Ordinal);
            foreach (string file in device.Except(host).Order(StringComparer.Ordinal))
                yield return Rel(root, nfproj) + " compiles " + file + " but its host twin " + Rel(root, twin) + " does not";
            foreach (string file in host.Except(device).Order(StringComparer.Ordinal))
                yield return Rel(root, twin) + " compiles " + file + " but the device project " + Rel(root, nfproj) + " does not";
        }
    }

    /// <summary>
    /// The .cs files an SDK-style project compiles: every .cs under its folder except bin/, obj/
    /// and hidden folders (the SDK's default globbing), minus <c>Compile Remove</c>, plus <c>Compile Include</c>.
    /// </summary>
    public static IReadOnlyList<string> SdkCompileItems(string csproj)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(csproj))!;
        XDocument doc = XDocument.Load(csproj);
        var compile = doc.Descendants().Where(e => e.Name.LocalName == "Compile").ToList();
        bool defaults = !doc.Descendants().Any(e => e.Name.LocalName == "EnableDefaultCompileItems" && e.Value.Trim().Equals("false", StringComparison.OrdinalIgnoreCase));
        var all = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).ToList();
        var items = new HashSet<string>(defaults ? all.Where(IsDefaultItem) : Array.Empty<string>(), StringComparer.Ordinal);
        foreach (XElement item in compile)
        {
            if (item.Attribute("Include") is { } include) items.UnionWith(Expand(folder, all, include.Value));
            if (item.Attribute("Remove") is { } remove) items.ExceptWith(Expand(folder, all, remove.Value));
        }
        return items.Select(f => Path.GetFullPath(Path.Combine(folder, f))).ToList();
    }

    /// <summary>Every .nfproj, packages.config and .nuspec parses as XML.</summary>
    public static IEnumerable<string> XmlIsWellFormed(string root)
    {
        var files = RepoRoot.FindFiles(root, "*.nfproj").Concat(RepoRoot.FindFiles(root, "packages.config")).Concat(RepoRoot.FindFiles(root, "*.nuspec"));
        foreach (string file in files)
        {
            string? error = null;
            try { XDocument.Load(file); }
            catch (XmlException e) { error = e.Message; }
            if (error != null) yield return Rel(root, file) + " is not well-formed XML: " + error;
        }
    }

    /// <summary>Each packages.config entry has a HintPath into ..\packages\&lt;id&gt;.&lt;version&gt;\ in its .nfproj, and each such HintPath has an entry.</summary>
    public static IEnumerable<string> PackagesMatchHintPaths(string root)
    {
        foreach (NfProject project in LoadProjects(root))
        {
            string name = Rel(root, project.FullPath);
            var hintDirs = project.HintPaths.Select(h => s_packageHint.Match(h)).Where(m => m.Success)
                .Select(m => m.Groups["dir"].Value).Distinct(StringComparer.Ordinal).ToList();
            var packages = SafePackages(project);
            foreach (PackageEntry package in packages)
            {
                string expected = package.Id + "." + package.Version;
                if (hintDirs.Contains(expected, StringComparer.Ordinal)) continue;
                string? other = hintDirs.FirstOrDefault(d => IsDirOfPackage(d, package.Id));
                yield return other == null
                    ? name + ": package " + package.Id + " " + package.Version + " has no HintPath into packages\\" + expected + "\\"
                    : name + ": package " + package.Id + " is " + package.Version + " in packages.config but its HintPath points into packages\\" + other + "\\";
            }
            foreach (string dir in hintDirs.Where(d => !packages.Any(p => IsDirOfPackage(d, p.Id))))
                yield return name + ": HintPath into packages\\" + dir + "\\ has no packages.config entry";
        }
    }

    /// <summary>Every packages.config entry targets netnano1.0.</summary>
    public static IEnumerable<string> PackagesTargetNetNano(string root) =>
        RepoRoot.FindFiles(root, "packages.config").SelectMany(file => SafeRead(file)
            .Where(p => p.TargetFramework != "netnano1.0")
            .Select(p => Rel(root, file) + ": package " + p.Id + " has targetFramework=\"" + p.TargetFramework + "\", expected \"netnano1.0\""));

    /// <summary>Each .nfproj imports the three NFProjectSystem files, each guarded by Exists(...).</summary>
    public static IEnumerable<string> ImportsAreGuarded(string root)
    {
        foreach (NfProject project in LoadProjects(root))
        {
            foreach (string required in RequiredImports)
            {
                bool guarded = project.Imports.Any(i => i.Project.EndsWith(required, StringComparison.Ordinal)
                    && i.Condition.Contains("Exists(", StringComparison.Ordinal) && i.Condition.Contains(required, StringComparison.Ordinal));
                if (!guarded) yield return Rel(root, project.FullPath) + " does not import " + required + " guarded by an Exists condition";
            }
        }
    }

    /// <summary>Each .nfproj compiles Properties\AssemblyInfo.cs.</summary>
    public static IEnumerable<string> AssemblyInfoIsCompiled(string root) =>
        LoadProjects(root).Where(p => !p.CompileIncludes.Any(c => c.Replace('/', '\\') == @"Properties\AssemblyInfo.cs"))
            .Select(p => Rel(root, p.FullPath) + " does not compile Properties\\AssemblyInfo.cs");

    /// <summary>Firmware.sln lists every .csproj and .nfproj of the repository, and nothing that does not exist.</summary>
    public static IEnumerable<string> SolutionListsEveryProject(string root)
    {
        string sln = Path.Combine(root, "Firmware.sln");
        var listed = s_slnProject.Matches(File.ReadAllText(sln)).Select(m => m.Groups["path"].Value.Replace('\\', '/'))
            .Where(p => p.EndsWith("proj", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var projects = AllProjects(root, "*.csproj").Concat(AllProjects(root, "*.nfproj")).ToHashSet(StringComparer.Ordinal);
        foreach (string missing in projects.Except(listed).Order(StringComparer.Ordinal)) yield return "Firmware.sln does not list " + missing;
        foreach (string stale in listed.Except(projects).Order(StringComparer.Ordinal)) yield return "Firmware.sln lists " + stale + ", which does not exist";
    }

    /// <summary>Firmware.Host.slnf lists every .csproj and no .nfproj (the host cannot build device projects).</summary>
    public static IEnumerable<string> HostFilterListsEveryHostProject(string root)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "Firmware.Host.slnf")));
        var listed = json.RootElement.GetProperty("solution").GetProperty("projects").EnumerateArray()
            .Select(p => (p.GetString() ?? "").Replace('\\', '/')).ToHashSet(StringComparer.Ordinal);
        foreach (string nf in listed.Where(p => p.EndsWith(".nfproj", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal))
            yield return "Firmware.Host.slnf lists the device project " + nf;
        foreach (string missing in AllProjects(root, "*.csproj").Except(listed).Order(StringComparer.Ordinal))
            yield return "Firmware.Host.slnf does not list " + missing;
    }

    private static IEnumerable<string> AllProjects(string root, string pattern) => RepoRoot.FindFiles(root, pattern).Select(p => Rel(root, p));

    private static IEnumerable<NfProject> LoadProjects(string root)
    {
        foreach (string path in RepoRoot.FindFiles(root, "*.nfproj"))
        {
            NfProject? project = null;
            try { project = NfProject.Load(path); }
            catch (XmlException) { } // reported by XmlIsWellFormed
            if (project != null) yield return project;
        }
    }

    private static IReadOnlyList<PackageEntry> SafePackages(NfProject project) => SafeRead(Path.Combine(project.Folder, "packages.config"));

    private static IReadOnlyList<PackageEntry> SafeRead(string packagesConfig)
    {
        try { return NfProject.ReadPackagesConfig(packagesConfig); }
        catch (XmlException) { return Array.Empty<PackageEntry>(); } // reported by XmlIsWellFormed
    }

    private static bool IsDirOfPackage(string dir, string id) =>
        dir.Length > id.Length + 1 && dir.StartsWith(id + ".", StringComparison.Ordinal) && char.IsDigit(dir[id.Length + 1]);

    private static bool IsDefaultItem(string relative)
    {
        string[] folders = relative.Split('/')[..^1];
        return !(folders.Length > 0 && (folders[0] is "bin" or "obj")) && !folders.Any(f => f.StartsWith('.'));
    }

    private static IEnumerable<string> Expand(string folder, IReadOnlyList<string> files, string patterns) =>
        patterns.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(pattern => Matches(folder, files, pattern.Replace('\\', '/')));

    private static IEnumerable<string> Matches(string folder, IReadOnlyList<string> files, string pattern)
    {
        if (!pattern.Contains('*') && !pattern.Contains('?'))
            return new[] { Path.GetRelativePath(folder, Path.GetFullPath(Path.Combine(folder, pattern))).Replace('\\', '/') };
        var regex = new Regex("^" + Regex.Escape(pattern).Replace(@"\*\*/", "(.*/)?").Replace(@"\*\*", ".*").Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]") + "$");
        return files.Where(f => regex.IsMatch(f));
    }

    private static string Rel(string root, string path) => RepoRoot.Relative(root, path);
}
