namespace Vmap.Tests.Gate;

/// <summary>
/// The shape of the device projects and solution files, which cannot be built on this machine:
/// checked on the real repository, and shown to catch a broken example in a temporary copy.
/// </summary>
public sealed class StructureTests
{
    private static readonly string s_root = RepoRoot.Find();

    /// <summary>Each .nfproj with a host twin compiles the same files as the twin.</summary>
    [Fact]
    public void TwinsCompileTheSameFiles() => AssertNone(RepoStructure.TwinsCompileTheSameFiles(s_root));

    /// <summary>Every .nfproj, packages.config and .nuspec is well-formed XML.</summary>
    [Fact]
    public void ProjectXmlIsWellFormed() => AssertNone(RepoStructure.XmlIsWellFormed(s_root));

    /// <summary>packages.config and the HintPaths agree on packages and versions.</summary>
    [Fact]
    public void PackagesMatchHintPaths() => AssertNone(RepoStructure.PackagesMatchHintPaths(s_root));

    /// <summary>Every package targets netnano1.0.</summary>
    [Fact]
    public void PackagesTargetNetNano() => AssertNone(RepoStructure.PackagesTargetNetNano(s_root));

    /// <summary>Every .nfproj imports the project system guarded by Exists conditions.</summary>
    [Fact]
    public void ImportsAreGuarded() => AssertNone(RepoStructure.ImportsAreGuarded(s_root));

    /// <summary>Every .nfproj compiles Properties\AssemblyInfo.cs.</summary>
    [Fact]
    public void AssemblyInfoIsCompiled() => AssertNone(RepoStructure.AssemblyInfoIsCompiled(s_root));

    /// <summary>Firmware.sln lists every project.</summary>
    [Fact]
    public void SolutionListsEveryProject() => AssertNone(RepoStructure.SolutionListsEveryProject(s_root));

    /// <summary>Firmware.Host.slnf lists every host project and no device project.</summary>
    [Fact]
    public void HostFilterListsEveryHostProject() => AssertNone(RepoStructure.HostFilterListsEveryHostProject(s_root));

    /// <summary>Every Reference names a listed assembly, through a HintPath into its package at the listed version and file.</summary>
    [Fact]
    public void ReferencesMatchTheApiListing() => AssertNone(RepoStructure.ReferencesMatchListing(s_root, SubsetGate.Api));

    /// <summary>Each .nfproj references what its referenced projects and assemblies need (Suite, App and NFUnitTest carry Vmap's packages).</summary>
    [Fact]
    public void ReferencesCoverWhatReferencedProjectsAndAssembliesNeed() => AssertNone(RepoStructure.ReferencesCoverDependencies(s_root, SubsetGate.Api));

    /// <summary>Vmap.nuspec depends on exactly the packages of Vmap and Vmap.Hal, at their exact versions.</summary>
    [Fact]
    public void NuspecDependsOnThePackagesItsAssembliesUse() => AssertNone(RepoStructure.NuspecDependenciesMatchPackages(s_root));

    /// <summary>The sound example repository passes every check (so the breakages below are what fails).</summary>
    [Fact]
    public void SoundExamplePasses()
    {
        using MiniRepo repo = MiniRepo.Create();
        AssertNone(RepoStructure.All(repo.Root));
    }

    /// <summary>The twin emulation honours bin/obj exclusion and <c>Compile Remove</c>.</summary>
    [Fact]
    public void TwinGlobbingHonoursCompileRemove()
    {
        using MiniRepo repo = MiniRepo.Create();
        repo.Write("Dev/Generated/Gen.cs", "class Gen { }");
        repo.Write("Dev/Dev.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><Compile Remove=\"Generated\\**\" /></ItemGroup></Project>");

        AssertNone(RepoStructure.All(repo.Root));
    }

    /// <summary>Each kind of breakage is reported with a line naming it.</summary>
    [Theory]
    [InlineData("file only the twin compiles", "Dev/Dev.csproj compiles Dev/Extra.cs but the device project Dev/Dev.nfproj does not")]
    [InlineData("file only the device project compiles", "Dev/Dev.nfproj compiles Dev/Sub/Missing.cs but its host twin Dev/Dev.csproj does not")]
    [InlineData("malformed packages.config", "Dev/packages.config is not well-formed XML")]
    [InlineData("malformed nuspec", "Dev/Dev.nuspec is not well-formed XML")]
    [InlineData("version mismatch", "package nanoFramework.CoreLibrary is 1.17.10 in packages.config but its HintPath points into packages\\nanoFramework.CoreLibrary.1.17.11\\")]
    [InlineData("package without HintPath", "package nanoFramework.System.Threading 1.1.52 has no HintPath")]
    [InlineData("HintPath without package", "HintPath into packages\\nanoFramework.System.Text.1.3.1\\ has no packages.config entry")]
    [InlineData("HintPath without package", "Dev/Dev.nfproj: Reference System.Text has no API listing")]
    [InlineData("wrong dll name", "Dev/Dev.nfproj: Reference nanoFramework.System.Text: HintPath names System.Text.dll, the package ships nanoFramework.System.Text.dll")]
    [InlineData("dependency of an assembly not referenced", "Dev/Dev.nfproj does not reference nanoFramework.Runtime.Events (package nanoFramework.Runtime.Events 1.11.32), which assembly nanoFramework.Hardware.Esp32 references")]
    [InlineData("dependency of a project not referenced", "App/App.nfproj does not reference nanoFramework.System.Text (package nanoFramework.System.Text 1.3.42), which Dev/Dev.nfproj references")]
    [InlineData("nuspec dependency missing", "Dev/Dev.nuspec does not depend on nanoFramework.CoreLibrary [1.17.11]")]
    [InlineData("nuspec dependency range", "Dev/Dev.nuspec depends on nanoFramework.CoreLibrary 1.17.11, packages.config has [1.17.11]")]
    [InlineData("wrong targetFramework", "has targetFramework=\"net48\", expected \"netnano1.0\"")]
    [InlineData("unguarded import", "does not import NFProjectSystem.props guarded by an Exists condition")]
    [InlineData("missing import", "does not import NFProjectSystem.CSharp.targets guarded by an Exists condition")]
    [InlineData("AssemblyInfo not compiled", "Dev/Dev.nfproj does not compile Properties\\AssemblyInfo.cs")]
    [InlineData("project missing from sln", "Firmware.sln does not list Dev/Dev.nfproj")]
    [InlineData("stale project in sln", "Firmware.sln lists Gone/Gone.csproj, which does not exist")]
    [InlineData("device project in slnf", "Firmware.Host.slnf lists the device project Dev/Dev.nfproj")]
    [InlineData("host project missing from slnf", "Firmware.Host.slnf does not list Tool/Tool.csproj")]
    public void BrokenExampleIsReported(string breakage, string expected)
    {
        using MiniRepo repo = MiniRepo.Create();
        repo.Break(breakage);

        var problems = RepoStructure.All(repo.Root).ToList();

        Assert.True(problems.Any(p => p.Contains(expected, StringComparison.Ordinal)),
            breakage + ": expected a problem containing '" + expected + "', got:\n" + string.Join("\n", problems));
    }

    private static void AssertNone(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        Assert.True(list.Count == 0, string.Join("\n", list));
    }

    /// <summary>A minimal repository with one device project and its host twin, laid out like the real one.</summary>
    private sealed class MiniRepo : IDisposable
    {
        private const string NfProj = """
            <?xml version="1.0" encoding="utf-8"?>
            <Project ToolsVersion="15.0" DefaultTargets="Build" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">
              <PropertyGroup Label="Globals">
                <NanoFrameworkProjectSystemPath>$(MSBuildExtensionsPath)\nanoFramework\v1.0\</NanoFrameworkProjectSystemPath>
              </PropertyGroup>
              <Import Project="$(NanoFrameworkProjectSystemPath)NFProjectSystem.Default.props" Condition="Exists('$(NanoFrameworkProjectSystemPath)NFProjectSystem.Default.props')" />
              <Import Project="$(NanoFrameworkProjectSystemPath)NFProjectSystem.props" Condition="Exists('$(NanoFrameworkProjectSystemPath)NFProjectSystem.props')" />
              <ItemGroup>
                <Compile Include="A.cs" />
                <Compile Include="Properties\AssemblyInfo.cs" />
              </ItemGroup>
              <ItemGroup>
                <Reference Include="mscorlib">
                  <HintPath>..\packages\nanoFramework.CoreLibrary.1.17.11\lib\mscorlib.dll</HintPath>
                </Reference>
              </ItemGroup>
              <Import Project="$(NanoFrameworkProjectSystemPath)NFProjectSystem.CSharp.targets" Condition="Exists('$(NanoFrameworkProjectSystemPath)NFProjectSystem.CSharp.targets')" />
            </Project>
            """;

        private const string PackagesConfig = """
            <?xml version="1.0" encoding="utf-8"?>
            <packages>
              <package id="nanoFramework.CoreLibrary" version="1.17.11" targetFramework="netnano1.0" />
            </packages>
            """;

        private const string Sln = """
            Microsoft Visual Studio Solution File, Format Version 12.00
            Project("{2150E333-8FDC-42A3-9474-1A3956D46DE8}") = "Dev", "Dev", "{518FE311-949E-5072-A3D3-59B0DFE8F9EC}"
            EndProject
            Project("{9A19103F-16F7-4668-BE54-9A1E7A4F7556}") = "Dev", "Dev\Dev.csproj", "{201E352B-E8CC-5CA5-86D7-D618B034B5DA}"
            EndProject
            Project("{11A8DD76-328B-46DF-9F39-F559912D0360}") = "Dev.nf", "Dev\Dev.nfproj", "{FE2D478E-ECCC-5114-8D23-173BCC78C3B4}"
            EndProject
            """;

        private const string Slnf = """{ "solution": { "path": "Firmware.sln", "projects": [ "Dev\\Dev.csproj" ] } }""";

        private MiniRepo(string root) => Root = root;

        /// <summary>The repository's root folder.</summary>
        public string Root { get; }

        /// <summary>Writes the sound example into a new temporary folder.</summary>
        public static MiniRepo Create()
        {
            var repo = new MiniRepo(Directory.CreateTempSubdirectory("vmap-structure-").FullName);
            repo.Write("Firmware.sln", Sln);
            repo.Write("Firmware.Host.slnf", Slnf);
            repo.Write("Dev/Dev.nfproj", NfProj);
            repo.Write("Dev/Dev.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />");
            repo.Write("Dev/packages.config", PackagesConfig);
            repo.Write("Dev/Dev.nuspec", "<?xml version=\"1.0\"?><package><metadata><id>Dev</id><dependencies><dependency id=\"nanoFramework.CoreLibrary\" version=\"[1.17.11]\" /></dependencies></metadata></package>");
            repo.Write("Dev/A.cs", "class A { }");
            repo.Write("Dev/Properties/AssemblyInfo.cs", "");
            repo.Write("Dev/bin/Debug/Built.cs", "class Built { }");
            repo.Write("Dev/obj/Generated.cs", "class Generated { }");
            return repo;
        }

        /// <summary>Deletes the temporary folder.</summary>
        public void Dispose() => Directory.Delete(Root, recursive: true);

        /// <summary>Writes a file (path relative to the root, '/' separators).</summary>
        public void Write(string relativePath, string text)
        {
            string path = Path.Combine(Root, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        /// <summary>Applies one named breakage.</summary>
        public void Break(string breakage)
        {
            switch (breakage)
            {
                case "file only the twin compiles": Write("Dev/Extra.cs", "class Extra { }"); break;
                case "file only the device project compiles": Replace("Dev/Dev.nfproj", "<Compile Include=\"A.cs\" />", "<Compile Include=\"A.cs\" /><Compile Include=\"Sub\\Missing.cs\" />"); break;
                case "malformed packages.config": Replace("Dev/packages.config", "</packages>", "</package>"); break;
                case "malformed nuspec": Replace("Dev/Dev.nuspec", "</metadata>", ""); break;
                case "version mismatch": Replace("Dev/packages.config", "version=\"1.17.11\"", "version=\"1.17.10\""); break;
                case "package without HintPath": Replace("Dev/packages.config", "</packages>", "<package id=\"nanoFramework.System.Threading\" version=\"1.1.52\" targetFramework=\"netnano1.0\" /></packages>"); break;
                case "HintPath without package": Replace("Dev/Dev.nfproj", "</Reference>", "</Reference><Reference Include=\"System.Text\"><HintPath>..\\packages\\nanoFramework.System.Text.1.3.1\\lib\\System.Text.dll</HintPath></Reference>"); break;
                case "wrong dll name": AddPackage("nanoFramework.System.Text", "1.3.42", "nanoFramework.System.Text", "System.Text.dll"); break;
                case "dependency of an assembly not referenced": AddPackage("nanoFramework.Hardware.Esp32", "1.6.34", "nanoFramework.Hardware.Esp32", "nanoFramework.Hardware.Esp32.dll"); break;
                case "dependency of a project not referenced":
                    AddPackage("nanoFramework.System.Text", "1.3.42", "nanoFramework.System.Text", "nanoFramework.System.Text.dll");
                    Write("App/App.nfproj", NfProj.Replace("<Compile Include=\"A.cs\" />", "", StringComparison.Ordinal)
                        .Replace("<ItemGroup>\n    <Reference", "<ItemGroup><ProjectReference Include=\"..\\Dev\\Dev.nfproj\" /></ItemGroup>\n  <ItemGroup>\n    <Reference", StringComparison.Ordinal));
                    break;
                case "nuspec dependency missing": Replace("Dev/Dev.nuspec", "<dependency id=\"nanoFramework.CoreLibrary\" version=\"[1.17.11]\" />", ""); break;
                case "nuspec dependency range": Replace("Dev/Dev.nuspec", "version=\"[1.17.11]\"", "version=\"1.17.11\""); break;
                case "wrong targetFramework": Replace("Dev/packages.config", "netnano1.0", "net48"); break;
                case "unguarded import": Replace("Dev/Dev.nfproj", " Condition=\"Exists('$(NanoFrameworkProjectSystemPath)NFProjectSystem.props')\"", ""); break;
                case "missing import": Replace("Dev/Dev.nfproj", "NFProjectSystem.CSharp.targets", "Other.targets"); break;
                case "AssemblyInfo not compiled": Replace("Dev/Dev.nfproj", "<Compile Include=\"Properties\\AssemblyInfo.cs\" />", ""); Write("Dev/Dev.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><Compile Remove=\"Properties/**\" /></ItemGroup></Project>"); break;
                case "project missing from sln": Replace("Firmware.sln", "Dev\\Dev.nfproj", "Dev\\Dev.nfproj.old"); break;
                case "stale project in sln": Replace("Firmware.sln", "EndProject", "EndProject\nProject(\"{9A19103F-16F7-4668-BE54-9A1E7A4F7556}\") = \"Gone\", \"Gone\\Gone.csproj\", \"{00000000-0000-0000-0000-000000000001}\"\nEndProject"); break;
                case "device project in slnf": Replace("Firmware.Host.slnf", "\"Dev\\\\Dev.csproj\"", "\"Dev\\\\Dev.csproj\", \"Dev\\\\Dev.nfproj\""); break;
                case "host project missing from slnf": Write("Tool/Tool.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />"); break;
                default: throw new ArgumentException("unknown breakage " + breakage, nameof(breakage));
            }
        }

        /// <summary>Adds a package to Dev: its packages.config entry, its nuspec dependency and a Reference naming <paramref name="dll"/>.</summary>
        private void AddPackage(string id, string version, string assembly, string dll)
        {
            Replace("Dev/packages.config", "</packages>", "<package id=\"" + id + "\" version=\"" + version + "\" targetFramework=\"netnano1.0\" /></packages>");
            Replace("Dev/Dev.nuspec", "</dependencies>", "<dependency id=\"" + id + "\" version=\"[" + version + "]\" /></dependencies>");
            Replace("Dev/Dev.nfproj", "</Reference>", "</Reference><Reference Include=\"" + assembly + "\"><HintPath>..\\packages\\" + id + "." + version + "\\lib\\" + dll + "</HintPath></Reference>");
        }

        private void Replace(string relativePath, string old, string replacement)
        {
            string path = Path.Combine(Root, relativePath);
            string text = File.ReadAllText(path);
            Assert.Contains(old, text, StringComparison.Ordinal);
            File.WriteAllText(path, text.Replace(old, replacement, StringComparison.Ordinal));
        }
    }
}
