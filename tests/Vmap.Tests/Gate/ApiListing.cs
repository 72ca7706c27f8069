namespace Vmap.Tests.Gate;

/// <summary>One type or member line of an API listing (grammar in <c>nanoframework-api/README.md</c>).</summary>
/// <param name="Kind">type, ctor, method, property, field or event.</param>
/// <param name="Type">The full name of the type (of the declaring type for a member), e.g. <c>System.Text.StringBuilder</c>.</param>
/// <param name="Key">The member in allow-list spelling (<see cref="SymbolKeys"/>): <c>System.Int32.ToString(string)</c>, <c>System.String.this[int]</c>, <c>System.Int32.MaxValue</c>; the type name for a type line.</param>
/// <param name="NameKey">The key without signature (<c>System.Int32.ToString</c>); the type name for a type line.</param>
/// <param name="Annotations">The trailing bracketed annotations, e.g. <c>[Conditional("DEBUG")]</c>.</param>
/// <param name="Assembly">The assembly the listing describes.</param>
/// <param name="LineNumber">The 1-based line in the listing file.</param>
public sealed record ApiEntry(string Kind, string Type, string Key, string NameKey, IReadOnlyList<string> Annotations, ApiAssembly Assembly, int LineNumber)
{
    /// <summary>True when a <c>[Conditional(...)]</c> annotation is on the line: calls vanish unless the symbol is defined.</summary>
    public bool IsConditional => Annotations.Any(a => a.StartsWith("[Conditional(", StringComparison.Ordinal));

    /// <summary>True for a generic type or a member of one.</summary>
    public bool IsGeneric => Type.Contains('<');
}

/// <summary>One listing file: an assembly, the package it ships in, and its public surface.</summary>
public sealed class ApiAssembly
{
    internal ApiAssembly(string fileName) => FileName = fileName;

    /// <summary>The listing's file name (<c>mscorlib.txt</c>).</summary>
    public string FileName { get; }

    /// <summary>The assembly name (<c># assembly:</c>), e.g. <c>nanoFramework.System.Text</c>.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>The package id (<c># package:</c>), e.g. <c>nanoFramework.System.Text</c>.</summary>
    public string PackageId { get; internal set; } = "";

    /// <summary>The package version, e.g. <c>1.3.42</c>.</summary>
    public string PackageVersion { get; internal set; } = "";

    /// <summary>The file the package ships the assembly as (from <c># generated from the compiled reference assembly X</c>), e.g. <c>mscorlib.dll</c>.</summary>
    public string AssemblyFile { get; internal set; } = "";

    /// <summary>The assemblies this one references (<c># references:</c>), names only.</summary>
    public IReadOnlyList<string> References { get; internal set; } = Array.Empty<string>();

    /// <summary>Every type and member line.</summary>
    public List<ApiEntry> Entries { get; } = new();

    /// <summary>"nanoFramework.System.Text 1.3.42".</summary>
    public string Package => PackageId + " " + PackageVersion;
}

/// <summary>
/// The public API of the nanoFramework assemblies, read from the listing files committed in
/// <c>tests/Vmap.Tests/Gate/nanoframework-api/</c> (a copy of <c>../shared/nanoframework-api</c>).
/// </summary>
public sealed class ApiListing
{
    /// <summary>The folder of the committed copy, relative to the repository root.</summary>
    public const string RepoFolder = "tests/Vmap.Tests/Gate/nanoframework-api";

    private readonly Dictionary<string, List<ApiEntry>> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ApiEntry>> _byNameKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApiEntry> _types = new(StringComparer.Ordinal);

    private ApiListing(IReadOnlyList<ApiAssembly> assemblies)
    {
        Assemblies = assemblies;
        foreach (ApiEntry entry in assemblies.SelectMany(a => a.Entries))
        {
            if (entry.Kind == "type") _types[entry.Type] = entry;
            else
            {
                Add(_byKey, entry.Key, entry);
                Add(_byNameKey, entry.NameKey, entry);
            }
        }
    }

    /// <summary>Every assembly listed.</summary>
    public IReadOnlyList<ApiAssembly> Assemblies { get; }

    /// <summary>Loads every <c>*.txt</c> of <paramref name="folder"/>.</summary>
    public static ApiListing Load(string folder) =>
        new(Directory.EnumerateFiles(folder, "*.txt").Order(StringComparer.Ordinal)
            .Select(f => Parse(Path.GetFileName(f), File.ReadAllLines(f))).ToList());

    /// <summary>The copy shipped next to the test assembly.</summary>
    public static ApiListing LoadShipped() => Load(Path.Combine(AppContext.BaseDirectory, "Gate", "nanoframework-api"));

    /// <summary>The assembly named <paramref name="name"/>, or null.</summary>
    public ApiAssembly? Assembly(string name) => Assemblies.FirstOrDefault(a => a.Name == name);

    /// <summary>The type line for a full type name, or null.</summary>
    public ApiEntry? FindType(string fullName) => _types.GetValueOrDefault(fullName);

    /// <summary>The member lines with this exact key (signature), empty when none.</summary>
    public IReadOnlyList<ApiEntry> FindMember(string key) => _byKey.GetValueOrDefault(key) ?? (IReadOnlyList<ApiEntry>)Array.Empty<ApiEntry>();

    /// <summary>Every overload of <c>Type.Name</c>, empty when none.</summary>
    public IReadOnlyList<ApiEntry> FindMembersNamed(string nameKey) => _byNameKey.GetValueOrDefault(nameKey) ?? (IReadOnlyList<ApiEntry>)Array.Empty<ApiEntry>();

    /// <summary>The member lines of a type.</summary>
    public IEnumerable<ApiEntry> MembersOf(string typeFullName) =>
        Assemblies.SelectMany(a => a.Entries).Where(e => e.Kind != "type" && e.Type == typeFullName);

    /// <summary>Parses one listing file.</summary>
    public static ApiAssembly Parse(string fileName, IReadOnlyList<string> lines)
    {
        var assembly = new ApiAssembly(fileName);
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                ReadHeader(assembly, line);
                continue;
            }
            assembly.Entries.Add(ParseLine(line, assembly, i + 1));
        }
        if (assembly.Name.Length == 0 || assembly.PackageId.Length == 0 || assembly.AssemblyFile.Length == 0)
            throw new FormatException(fileName + ": the header does not name the assembly, its package and its file");
        return assembly;
    }

    private static void ReadHeader(ApiAssembly assembly, string line)
    {
        const string Generated = "# generated from the compiled reference assembly ";
        if (line.StartsWith("# assembly: ", StringComparison.Ordinal)) assembly.Name = line["# assembly: ".Length..].Trim();
        else if (line.StartsWith("# package: ", StringComparison.Ordinal))
        {
            string[] parts = line["# package: ".Length..].Trim().Split(' ');
            assembly.PackageId = parts[0];
            assembly.PackageVersion = parts.Length > 1 ? parts[1] : "";
        }
        else if (line.StartsWith(Generated, StringComparison.Ordinal)) assembly.AssemblyFile = line[Generated.Length..].Split(' ')[0];
        else if (line.StartsWith("# references: ", StringComparison.Ordinal))
        {
            string list = line["# references: ".Length..].Trim();
            assembly.References = list == "(none)" ? Array.Empty<string>()
                : list.Split(", ").Select(r => r.Split(' ')[0]).ToList();
        }
    }

    /// <summary>Parses one type or member line.</summary>
    public static ApiEntry ParseLine(string line, ApiAssembly assembly, int lineNumber)
    {
        (string body, List<string> annotations) = SplitAnnotations(line);
        string[] fields = body.Split(' ');
        string kind = fields[0];
        if (kind == "type")
        {
            int k = Array.FindIndex(fields, f => f is "class" or "struct" or "interface" or "enum" or "delegate");
            if (k < 0 || k + 1 >= fields.Length) throw new FormatException("line " + lineNumber + ": no type kind: " + line);
            string name = fields[k + 1];
            return new ApiEntry(kind, name, name, name, annotations, assembly, lineNumber);
        }
        string type = fields[1];
        string member;
        string signature = "";
        switch (kind)
        {
            case "ctor":
            case "method":
            {
                int open = body.IndexOf('(');
                int nameStart = body.LastIndexOf(' ', open) + 1;
                member = body[nameStart..open];
                signature = "(" + ParameterTypes(body[(open + 1)..body.LastIndexOf(')')]) + ")";
                break;
            }
            case "property" when body.Contains(" this[", StringComparison.Ordinal):
            {
                int open = body.IndexOf(" this[", StringComparison.Ordinal) + " this[".Length;
                member = "this";
                signature = "[" + ParameterTypes(body[open..body.LastIndexOf(']')]) + "]";
                break;
            }
            case "property":
            {
                string head = body[..body.IndexOf(" {", StringComparison.Ordinal)];
                member = head[(head.LastIndexOf(' ') + 1)..];
                break;
            }
            case "field":
            case "event":
            {
                int eq = body.IndexOf(" = ", StringComparison.Ordinal);
                string head = eq >= 0 ? body[..eq] : body;
                member = head[(head.LastIndexOf(' ') + 1)..];
                break;
            }
            default:
                throw new FormatException("line " + lineNumber + ": unknown kind " + kind);
        }
        string nameKey = type + "." + member;
        return new ApiEntry(kind, type, nameKey + signature, nameKey, annotations, assembly, lineNumber);
    }

    /// <summary>The trailing <c>[...]</c> groups that follow a space, and the line without them.</summary>
    private static (string Body, List<string> Annotations) SplitAnnotations(string line)
    {
        var annotations = new List<string>();
        string body = line.TrimEnd();
        while (body.EndsWith(']'))
        {
            int open = MatchingOpen(body);
            if (open <= 0 || body[open - 1] != ' ') break;
            annotations.Insert(0, body[open..]);
            body = body[..(open - 1)].TrimEnd();
        }
        return (body, annotations);
    }

    /// <summary>The index of the '[' matching the final ']', skipping quoted text.</summary>
    private static int MatchingOpen(string text)
    {
        int depth = 0;
        bool quoted = false;
        for (int i = text.Length - 1; i >= 0; i--)
        {
            char c = text[i];
            if (c == '"' && (i == 0 || text[i - 1] != '\\')) quoted = !quoted;
            if (quoted) continue;
            if (c == ']') depth++;
            else if (c == '[' && --depth == 0) return i;
        }
        return -1;
    }

    /// <summary><c>this ref int x = 0, params char[] s</c> to <c>ref int, params char[]</c>.</summary>
    private static string ParameterTypes(string parameters)
    {
        var types = new List<string>();
        foreach (string parameter in SplitParameters(parameters))
        {
            string p = parameter.Trim();
            int eq = p.IndexOf(" = ", StringComparison.Ordinal);
            if (eq >= 0) p = p[..eq];
            if (p.StartsWith("this ", StringComparison.Ordinal)) p = p["this ".Length..];
            int space = p.LastIndexOf(' ');
            types.Add(space < 0 ? p : p[..space]);
        }
        return string.Join(", ", types);
    }

    /// <summary>Splits on the commas outside quotes, brackets and angle brackets.</summary>
    private static IEnumerable<string> SplitParameters(string parameters)
    {
        if (parameters.Trim().Length == 0) yield break;
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < parameters.Length; i++)
        {
            char c = parameters[i];
            if (c == '"' && (i == 0 || parameters[i - 1] != '\\')) quoted = !quoted;
            if (quoted) continue;
            if (c is '<' or '[' or '(') depth++;
            else if (c is '>' or ']' or ')') depth--;
            else if (c == ',' && depth == 0)
            {
                yield return parameters[start..i];
                start = i + 1;
            }
        }
        yield return parameters[start..];
    }

    private static void Add(Dictionary<string, List<ApiEntry>> map, string key, ApiEntry entry)
    {
        if (!map.TryGetValue(key, out List<ApiEntry>? list)) map[key] = list = new List<ApiEntry>();
        list.Add(entry);
    }
}
