using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Vmap.Tests.Gate;

/// <summary>
/// The allow-list against the real nanoFramework API: every entry names a member that exists, in
/// the assembly and package the entry says; the committed copy of the listing is the shared one.
/// </summary>
public sealed class AllowListTests
{
    private static readonly AllowList s_allow = AllowList.Load();
    private static readonly ApiListing s_api = ApiListing.LoadShipped();

    private readonly ITestOutputHelper _output;

    /// <summary>Creates the tests with xunit's output (for the skip message).</summary>
    public AllowListTests(ITestOutputHelper output) => _output = output;

    /// <summary>Each listing file parses, and its type and member counts match its header.</summary>
    [Fact]
    public void ListingParsesWithTheCountsItsHeaderStates()
    {
        string folder = Path.Combine(RepoRoot.Find(), ApiListing.RepoFolder);
        var problems = new List<string>();
        foreach (string file in Directory.EnumerateFiles(folder, "*.txt").Order(StringComparer.Ordinal))
        {
            string[] lines = File.ReadAllLines(file);
            ApiAssembly assembly = ApiListing.Parse(Path.GetFileName(file), lines);
            Match counts = Regex.Match(lines.First(l => l.StartsWith("# counts: ", StringComparison.Ordinal)), @"(\d+) types, (\d+) members");
            int types = assembly.Entries.Count(e => e.Kind == "type");
            int members = assembly.Entries.Count - types;
            if (types != int.Parse(counts.Groups[1].Value) || members != int.Parse(counts.Groups[2].Value))
                problems.Add(assembly.FileName + ": parsed " + types + " types and " + members + " members, the header says " + counts.Value);
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Equal(9, s_api.Assemblies.Count);
    }

    /// <summary>The parser reads what the README's grammar says for each kind of line.</summary>
    [Fact]
    public void ListingLinesBecomeAllowListKeys()
    {
        Assert.Contains(s_api.FindMember("System.Threading.Interlocked.CompareExchange(ref int, int, int)"), e => e.Assembly.Name == "mscorlib");
        Assert.Contains(s_api.FindMember("System.String.Split(params char[])"), e => e.Assembly.Name == "mscorlib");
        Assert.Contains(s_api.FindMember("System.Text.StringBuilder.StringBuilder(int)"), e => e.Assembly.Name == "nanoFramework.System.Text");
        Assert.Contains(s_api.FindMember("System.Collections.Hashtable.this[object]"), e => e.Assembly.PackageId == "nanoFramework.System.Collections");
        Assert.Contains(s_api.FindMember("System.Int32.MaxValue"), e => e.Kind == "field");
        Assert.Contains(s_api.FindMember("System.Diagnostics.Debug.WriteLine(string)"), e => e.IsConditional);
        Assert.Contains(s_api.FindMember("System.Console.WriteLine(string)"), e => !e.IsConditional && e.Assembly.Name == "mscorlib");
        Assert.Empty(s_api.FindMember("System.Collections.Hashtable.ContainsKey(object)"));
        Assert.DoesNotContain(s_api.FindMembersNamed("System.Text.StringBuilder.Append"), e => e.Assembly.Name == "mscorlib");
        Assert.True(s_api.FindType("System.Action<T>")!.IsGeneric);
        Assert.Equal("nanoFramework.System.Text.dll", s_api.Assembly("nanoFramework.System.Text")!.AssemblyFile);
        Assert.Equal(new[] { "mscorlib", "nanoFramework.Runtime.Events" }, s_api.Assembly("nanoFramework.Hardware.Esp32")!.References);
    }

    /// <summary>Every allow-list entry exists in the listing, in the assembly and package it names; none is generic.</summary>
    [Fact]
    public void EveryAllowListEntryMatchesTheApiListing()
    {
        var problems = s_allow.Entries.SelectMany(CheckEntry).ToList();

        Assert.True(problems.Count == 0, "Allow-list entries that do not match the nanoFramework API listing:\n" + string.Join("\n", problems));
    }

    /// <summary>The members the issue names: StringBuilder and Hashtable outside mscorlib, no ContainsKey, Console allowed, Debug conditional.</summary>
    [Fact]
    public void AllowListPlacesTheKnownMembersInTheirPackages()
    {
        Assert.Equal("nanoFramework.System.Text", s_allow.MatchMember("System.Text.StringBuilder.Append", "System.Text.StringBuilder.Append(string)")!.Package);
        Assert.Equal("nanoFramework.System.Collections", s_allow.MatchType("System.Collections.Hashtable")!.Assembly);
        Assert.Null(s_allow.MatchMember("System.Collections.Hashtable.ContainsKey", "System.Collections.Hashtable.ContainsKey(object)"));
        foreach (string console in new[] { "System.Console.Write(string)", "System.Console.WriteLine()", "System.Console.WriteLine(string)" })
        {
            AllowEntry entry = s_allow.MatchMember(console[..console.IndexOf('(')], console)!;
            Assert.Equal("mscorlib", entry.Assembly);
            Assert.Equal("nanoFramework.CoreLibrary", entry.Package);
        }
        Assert.DoesNotContain(s_allow.Entries, e => e.Key.StartsWith("System.Action<", StringComparison.Ordinal) || e.Key.StartsWith("System.Func<", StringComparison.Ordinal));
    }

    /// <summary>A malformed line (no assembly and package) is refused when the allow-list is read.</summary>
    [Fact]
    public void EntryWithoutAssemblyAndPackageIsRefused()
    {
        Assert.Throws<FormatException>(() => AllowList.Parse("System.Console.WriteLine(string)\n"));
        Assert.Throws<FormatException>(() => AllowList.Parse("System.Console | mscorlib | nanoFramework.CoreLibrary | System.Console\n"));
    }

    /// <summary>
    /// The committed copy of the listing equals <c>../shared/nanoframework-api</c> file for file,
    /// when that folder exists (a fresh clone has only the copy: then this passes with a message).
    /// </summary>
    [Fact]
    public void CommittedListingEqualsTheSharedOne()
    {
        string root = RepoRoot.Find();
        string shared = Path.GetFullPath(Path.Combine(root, "..", "shared", "nanoframework-api"));
        if (!Directory.Exists(shared))
        {
            _output.WriteLine("not compared: " + shared + " does not exist (only the committed copy is available)");
            return;
        }
        string copy = Path.Combine(root, ApiListing.RepoFolder);
        var sharedFiles = Directory.EnumerateFiles(shared).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList();
        var copyFiles = Directory.EnumerateFiles(copy).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(sharedFiles, copyFiles);
        foreach (string name in sharedFiles)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(shared, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(copy, name))),
                ApiListing.RepoFolder + "/" + name + " differs from " + Path.Combine(shared, name) + ": copy the shared listing again");
        }
    }

    private static IEnumerable<string> CheckEntry(AllowEntry entry)
    {
        string where = AllowList.FileName + " line " + entry.LineNumber + " (" + entry.Key + "): ";
        ApiAssembly? assembly = s_api.Assembly(entry.Assembly);
        if (assembly == null)
        {
            yield return where + "no listing for assembly " + entry.Assembly;
            yield break;
        }
        if (assembly.PackageId != entry.Package)
            yield return where + "assembly " + entry.Assembly + " ships in package " + assembly.PackageId + ", not " + entry.Package;
        foreach (string key in entry.ListingKeys)
        {
            var found = Lookup(key).ToList();
            if (found.Count == 0) yield return where + key + " is not in the nanoFramework API listing";
            else if (!found.Any(e => e.Assembly.Name == entry.Assembly))
                yield return where + key + " is in " + string.Join(", ", found.Select(e => e.Assembly.Name).Distinct()) + ", not " + entry.Assembly;
            if (found.Any(e => e.IsGeneric)) yield return where + key + " is generic";
        }
    }

    /// <summary>The listing lines an allow-list key stands for (a type, an exact member, every overload, or a prefix).</summary>
    private static IEnumerable<ApiEntry> Lookup(string key)
    {
        if (key.EndsWith(".*", StringComparison.Ordinal))
        {
            ApiEntry? type = s_api.FindType(key[..^2]);
            return type == null ? Array.Empty<ApiEntry>() : new[] { type };
        }
        if (key.EndsWith('*'))
            return s_api.Assemblies.SelectMany(a => a.Entries).Where(e => e.Kind != "type" && e.Key.StartsWith(key[..^1], StringComparison.Ordinal));
        if (s_api.FindType(key) is { } named) return new[] { named };
        return key.Contains('(') || key.Contains('[') ? s_api.FindMember(key) : s_api.FindMembersNamed(key);
    }
}
