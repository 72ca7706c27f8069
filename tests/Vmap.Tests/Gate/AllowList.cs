namespace Vmap.Tests.Gate;

/// <summary>
/// The BCL surface device code may use, read from <c>nanoframework-allowlist.txt</c> (the file
/// documents its format). Keys are built by <see cref="SymbolKeys"/>.
/// </summary>
public sealed class AllowList
{
    /// <summary>The allow-list file name, copied next to the test assembly.</summary>
    public const string FileName = "nanoframework-allowlist.txt";

    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly List<string> _prefixes = new();

    private AllowList(IEnumerable<string> entries)
    {
        foreach (string entry in entries)
        {
            if (entry.EndsWith('*')) _prefixes.Add(entry[..^1]);
            else _exact.Add(entry);
        }
    }

    /// <summary>Parses allow-list text: one entry per line, '#' comments, blank lines ignored.</summary>
    public static AllowList Parse(string text) => new(text.Split('\n').Select(StripComment).Where(e => e.Length > 0));

    /// <summary>Loads the allow-list shipped next to the test assembly.</summary>
    public static AllowList Load() => Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Gate", FileName)));

    /// <summary>True when the type with this full name may be named.</summary>
    public bool AllowsType(string fullName) => _exact.Contains(fullName) || MatchesPrefix(fullName) || MatchesPrefix(fullName + ".");

    /// <summary>
    /// True when the member may be used: listed by name (every overload), by exact signature,
    /// or covered by a '*' entry.
    /// </summary>
    public bool AllowsMember(string nameKey, string signatureKey) =>
        _exact.Contains(nameKey) || _exact.Contains(signatureKey) || MatchesPrefix(signatureKey);

    /// <summary>True when some overload or form of <paramref name="member"/> of the type is allowed (name-only check).</summary>
    public bool AllowsMemberNamed(string typeFullName, string member)
    {
        string key = typeFullName + "." + member;
        return _exact.Contains(key) || MatchesPrefix(key) || HasEntriesUnder(key)
            || _exact.Any(e => e.StartsWith(key + "(", StringComparison.Ordinal));
    }

    /// <summary>True when an entry lives under <paramref name="prefix"/> (a namespace or a type with listed members).</summary>
    public bool HasEntriesUnder(string prefix)
    {
        string dotted = prefix + ".";
        return _exact.Any(e => e.StartsWith(dotted, StringComparison.Ordinal))
            || _prefixes.Any(p => p.StartsWith(dotted, StringComparison.Ordinal));
    }

    private bool MatchesPrefix(string key) => _prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));

    private static string StripComment(string line)
    {
        int hash = line.IndexOf('#');
        return (hash >= 0 ? line[..hash] : line).Trim();
    }
}
