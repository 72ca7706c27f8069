namespace Vmap.Tests.Gate;

/// <summary>One allow-list line: what may be used, and the assembly and package it comes from on the board.</summary>
/// <param name="Key">A type, a member (by name or signature) or a prefix ending in '*', spelled as <see cref="SymbolKeys"/> does.</param>
/// <param name="Assembly">The nanoFramework assembly that declares it, e.g. <c>nanoFramework.System.Text</c>.</param>
/// <param name="Package">The NuGet package that ships the assembly, e.g. <c>nanoFramework.System.Text</c>.</param>
/// <param name="BoardKeys">
/// When the host binds a call to another declaration than the board does (<c>s.Split(',')</c>), the
/// members it stands for on the board; empty when <paramref name="Key"/> itself is the board's.
/// </param>
/// <param name="LineNumber">The 1-based line in the allow-list file.</param>
public sealed record AllowEntry(string Key, string Assembly, string Package, IReadOnlyList<string> BoardKeys, int LineNumber)
{
    /// <summary>True for a '*' entry (a type and all its members, or a member-name prefix).</summary>
    public bool IsPrefix => Key.EndsWith('*');

    /// <summary>The key without its '*'.</summary>
    public string Prefix => IsPrefix ? Key[..^1] : Key;

    /// <summary>The keys to look up in the API listing: <see cref="BoardKeys"/>, or the key itself.</summary>
    public IReadOnlyList<string> ListingKeys => BoardKeys.Count > 0 ? BoardKeys : new[] { Key };
}

/// <summary>
/// The BCL and library surface device code may use, read from <c>nanoframework-allowlist.txt</c>
/// (the file documents its format). Each entry carries the assembly and package that hold it on
/// the board, checked against the API listing by <c>AllowListTests</c>. Keys are built by <see cref="SymbolKeys"/>.
/// </summary>
public sealed class AllowList
{
    /// <summary>The allow-list file name, copied next to the test assembly.</summary>
    public const string FileName = "nanoframework-allowlist.txt";

    private readonly Dictionary<string, AllowEntry> _exact = new(StringComparer.Ordinal);
    private readonly List<AllowEntry> _prefixes = new();

    private AllowList(IReadOnlyList<AllowEntry> entries)
    {
        Entries = entries;
        foreach (AllowEntry entry in entries)
        {
            if (entry.IsPrefix) _prefixes.Add(entry);
            else _exact[entry.Key] = entry;
        }
    }

    /// <summary>Every entry, in file order.</summary>
    public IReadOnlyList<AllowEntry> Entries { get; }

    /// <summary>
    /// Parses allow-list text: one entry per line, <c>key | assembly | package [| board: key; key]</c>;
    /// '#' comments and blank lines are ignored. Throws <see cref="FormatException"/> on a line without assembly and package.
    /// </summary>
    public static AllowList Parse(string text)
    {
        var entries = new List<AllowEntry>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = StripComment(lines[i]);
            if (line.Length == 0) continue;
            string[] fields = line.Split('|').Select(f => f.Trim()).ToArray();
            if (fields.Length < 3 || fields.Length > 4 || fields.Take(3).Any(f => f.Length == 0))
                throw new FormatException(FileName + " line " + (i + 1) + ": expected 'key | assembly | package [| board: key]', got: " + line);
            var board = new List<string>();
            if (fields.Length == 4)
            {
                if (!fields[3].StartsWith("board:", StringComparison.Ordinal))
                    throw new FormatException(FileName + " line " + (i + 1) + ": the fourth field must start with 'board:'");
                board.AddRange(fields[3]["board:".Length..].Split(';').Select(k => k.Trim()).Where(k => k.Length > 0));
            }
            entries.Add(new AllowEntry(fields[0], fields[1], fields[2], board, i + 1));
        }
        return new AllowList(entries);
    }

    /// <summary>Loads the allow-list shipped next to the test assembly.</summary>
    public static AllowList Load() => Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Gate", FileName)));

    /// <summary>True when the type with this full name may be named.</summary>
    public bool AllowsType(string fullName) => MatchType(fullName) != null;

    /// <summary>The entry that allows naming the type, or null.</summary>
    public AllowEntry? MatchType(string fullName) =>
        _exact.GetValueOrDefault(fullName) ?? MatchPrefix(fullName) ?? MatchPrefix(fullName + ".");

    /// <summary>
    /// True when the member may be used: listed by name (every overload), by exact signature,
    /// or covered by a '*' entry.
    /// </summary>
    public bool AllowsMember(string nameKey, string signatureKey) => MatchMember(nameKey, signatureKey) != null;

    /// <summary>The entry that allows the member, or null.</summary>
    public AllowEntry? MatchMember(string nameKey, string signatureKey) =>
        _exact.GetValueOrDefault(signatureKey) ?? _exact.GetValueOrDefault(nameKey) ?? MatchPrefix(signatureKey);

    /// <summary>True when some overload or form of <paramref name="member"/> of the type is allowed (name-only check).</summary>
    public bool AllowsMemberNamed(string typeFullName, string member) => MatchMemberNamed(typeFullName, member) != null;

    /// <summary>An entry allowing some overload or form of the member (or a nested type of that name), or null.</summary>
    public AllowEntry? MatchMemberNamed(string typeFullName, string member)
    {
        string key = typeFullName + "." + member;
        return _exact.GetValueOrDefault(key) ?? MatchPrefix(key)
            ?? _exact.Values.FirstOrDefault(e => e.Key.StartsWith(key + "(", StringComparison.Ordinal) || e.Key.StartsWith(key + ".", StringComparison.Ordinal))
            ?? _prefixes.FirstOrDefault(p => p.Prefix.StartsWith(key + ".", StringComparison.Ordinal));
    }

    /// <summary>True when an entry lives under <paramref name="prefix"/> (a namespace or a type with listed members).</summary>
    public bool HasEntriesUnder(string prefix)
    {
        string dotted = prefix + ".";
        return _exact.Keys.Any(e => e.StartsWith(dotted, StringComparison.Ordinal))
            || _prefixes.Any(p => p.Prefix.StartsWith(dotted, StringComparison.Ordinal));
    }

    private AllowEntry? MatchPrefix(string key) => _prefixes.FirstOrDefault(p => key.StartsWith(p.Prefix, StringComparison.Ordinal));

    private static string StripComment(string line)
    {
        int hash = line.IndexOf('#');
        return (hash >= 0 ? line[..hash] : line).Trim();
    }
}
