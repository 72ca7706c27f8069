using System.Globalization;

namespace Vmap.Sim.Boards;

/// <summary>
/// One board's profile (boards/&lt;name&gt;.board): <c>key = value</c> lines, <c>#</c> comments.
/// The same files feed the host tools and the firmware build. Every key is required once;
/// an unknown key, a duplicate, a non-number or a value out of range is rejected with the
/// file, line and key.
/// </summary>
public sealed record BoardProfile
{
    public required string Name { get; init; }
    public required string Note { get; init; }

    /// <summary>
    /// The firmware <c>nanoff --target</c> flashes for this board, <c>virtual</c> for the nanoCLR
    /// virtual device (the interpreter on a PC), or <c>none</c> for a profile that is simulated
    /// only (the firmware build refuses it).
    /// </summary>
    public required string NanoffTarget { get; init; }

    /// <summary>True when no nanoFramework device runs this profile (<c>nanoff_target = none</c>).</summary>
    public bool SimulatedOnly => NanoffTarget == "none";
    public required int Cores { get; init; }
    public required int PageSize { get; init; }
    public required ulong SpanStart { get; init; }
    public required ulong SpanSize { get; init; }
    public required int MaxAreas { get; init; }
    public required int GuardPages { get; init; }
    public required int LazyMaxPages { get; init; }
    public required int PurgeChunk { get; init; }
    public required int SizeClassLimit { get; init; }
    public required double FlushFixedMicros { get; init; }
    public required double FlushPerPageMicros { get; init; }
    public required int CsBudgetMicros { get; init; }

    /// <summary>The cost model's fixed part: modeled board time of a critical section that did no work unit, in µs.</summary>
    public required double CsFixedMicros { get; init; }

    /// <summary>The cost model's part per work unit, in µs (see <see cref="Vmap.Sim.Model.CostModel"/>).</summary>
    public required double CsUnitMicros { get; init; }

    /// <summary>The board's cost model (fixed + units x per unit).</summary>
    public Vmap.Sim.Model.CostModel Cost => new(CsFixedMicros, CsUnitMicros);

    /// <summary>The path the profile was read from.</summary>
    public string Path { get; init; } = "";

    /// <summary>The allocator configuration this profile describes.</summary>
    public VmapConfig ToConfig() => new()
    {
        PageSize = PageSize,
        SpanStart = SpanStart,
        SpanSize = SpanSize,
        MaxAreas = MaxAreas,
        GuardPages = GuardPages,
        LazyMaxPages = LazyMaxPages,
        PurgeChunk = PurgeChunk,
        SizeClassLimit = SizeClassLimit,
        CsBudgetMicros = CsBudgetMicros,
        Cores = Cores,
    };

    /// <summary>The keys in file order, as written by the tools.</summary>
    public static readonly string[] Keys =
    [
        "name", "note", "nanoff_target", "cores", "page_size", "span_start", "span_size", "max_areas", "guard_pages",
        "lazy_max_pages", "purge_chunk", "size_class_limit", "flush_fixed_us", "flush_per_page_us", "cs_budget_us",
        "cs_fixed_us", "cs_unit_us",
    ];

    /// <summary>Parses a profile; never throws for bad content (the error names file, line and key).</summary>
    public static BoardProfile Parse(string text, string path)
    {
        var values = new Dictionary<string, (string Value, int Line)>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int line = i + 1;
            string raw = lines[i].TrimEnd('\r');
            int hash = raw.IndexOf('#');
            string content = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (content.Length == 0) continue;
            int eq = content.IndexOf('=');
            if (eq <= 0) throw new ProfileException(path, line, null, "expected 'key = value'");
            string key = content[..eq].Trim();
            string value = content[(eq + 1)..].Trim();
            if (Array.IndexOf(Keys, key) < 0) throw new ProfileException(path, line, key, "unknown key (known: " + string.Join(", ", Keys) + ")");
            if (values.ContainsKey(key)) throw new ProfileException(path, line, key, $"duplicate key (first on line {values[key].Line})");
            if (value.Length == 0) throw new ProfileException(path, line, key, "no value");
            values[key] = (value, line);
        }
        foreach (string key in Keys)
        {
            if (!values.ContainsKey(key)) throw new ProfileException(path, lines.Length, key, "missing key");
        }
        var p = new Reader(values, path);
        var profile = new BoardProfile
        {
            Name = values["name"].Value,
            Note = values["note"].Value,
            NanoffTarget = values["nanoff_target"].Value,
            Cores = p.Int("cores", 1, 32),
            PageSize = p.Int("page_size", 256, 1 << 24),
            SpanStart = p.ULong("span_start"),
            SpanSize = p.ULong("span_size"),
            MaxAreas = p.Int("max_areas", 0, VmapConfig.MaxPoolCapacity),
            GuardPages = p.Int("guard_pages", 0, 1024),
            LazyMaxPages = p.Int("lazy_max_pages", 0, int.MaxValue),
            PurgeChunk = p.Int("purge_chunk", 0, 1 << 20),
            SizeClassLimit = p.Int("size_class_limit", 1, 1024),
            FlushFixedMicros = p.Double("flush_fixed_us", 0, 1e6),
            FlushPerPageMicros = p.Double("flush_per_page_us", 0, 1e6),
            CsBudgetMicros = p.Int("cs_budget_us", 1, 10_000_000),
            CsFixedMicros = p.Double("cs_fixed_us", 0, 1e6),
            CsUnitMicros = p.Double("cs_unit_us", 0, 1e6),
            Path = path,
        };
        string? problem = profile.ToConfig().Validate();
        if (problem != null)
        {
            string setting = problem.Split(' ')[1];
            string key = ConfigKey(setting);
            throw new ProfileException(path, values.TryGetValue(key, out var v) ? v.Line : 0, key, problem);
        }
        return profile;
    }

    private static string ConfigKey(string setting) => setting switch
    {
        "PageSize" => "page_size",
        "SpanStart" => "span_start",
        "SpanSize" => "span_size",
        "GuardPages" => "guard_pages",
        "MaxAreas" => "max_areas",
        "Cores" => "cores",
        "LazyMaxPages" => "lazy_max_pages",
        "PurgeChunk" => "purge_chunk",
        "SizeClassLimit" => "size_class_limit",
        "CsBudgetMicros" => "cs_budget_us",
        _ => setting,
    };

    /// <summary>
    /// Loads a profile: a board name (<c>esp32</c>) is boards/&lt;name&gt;.board in the boards
    /// directory (<see cref="BoardsDirectory"/>); anything that names a file (it ends in
    /// <c>.board</c> or holds a directory separator) is read from that path, relative to the
    /// current directory.
    /// </summary>
    public static BoardProfile Load(string name)
    {
        if (IsPath(name))
        {
            string file = System.IO.Path.GetFullPath(name);
            if (Directory.Exists(file)) throw new ProfileException(file, 0, null, "is a directory, not a .board file");
            if (!File.Exists(file)) throw new ProfileException(file, 0, null, "no such board profile");
            return Parse(File.ReadAllText(file), file);
        }
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')))
            throw new ProfileException(name, 0, null, "a board name is letters, digits, '-' and '_' (or give the path of a .board file)");
        string dir = BoardsDirectory();
        string path = System.IO.Path.Combine(dir, name + ".board");
        if (!File.Exists(path))
        {
            string known = Directory.Exists(dir)
                ? string.Join(", ", Directory.GetFiles(dir, "*.board").Select(f => System.IO.Path.GetFileNameWithoutExtension(f)).Order())
                : "none: the directory does not exist";
            throw new ProfileException(path, 0, null, $"no such board '{name}' (known: {known})");
        }
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>True when <c>--board</c> names a file rather than a board of the boards directory.</summary>
    public static bool IsPath(string board) =>
        board.EndsWith(".board", StringComparison.OrdinalIgnoreCase) || board.Contains('/') || board.Contains(System.IO.Path.DirectorySeparatorChar);

    /// <summary>
    /// The boards directory, whatever the current directory: <c>VMAP_BOARDS</c> if set; else
    /// the repository's <c>boards/</c>, found by walking up from the runner's own directory and
    /// then from the current directory to a directory that holds both <c>boards/sim.board</c>
    /// and <c>Firmware.sln</c>. Never a copy under bin/ (the build makes none), so
    /// <c>tune --write</c> edits the source profile.
    /// </summary>
    public static string BoardsDirectory()
    {
        string? env = Environment.GetEnvironmentVariable("VMAP_BOARDS");
        if (!string.IsNullOrEmpty(env)) return System.IO.Path.GetFullPath(env);
        foreach (string from in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (string? d = System.IO.Path.GetFullPath(from); d != null; d = System.IO.Path.GetDirectoryName(d))
            {
                string candidate = System.IO.Path.Combine(d, "boards");
                if (File.Exists(System.IO.Path.Combine(candidate, "sim.board")) && File.Exists(System.IO.Path.Combine(d, "Firmware.sln"))) return candidate;
            }
        }
        throw new ProfileException("boards", 0, null,
            "cannot find the repository's boards/ directory (one beside Firmware.sln) above the runner or the current directory; set VMAP_BOARDS to it or give --board the path of a .board file");
    }

    private sealed class Reader(Dictionary<string, (string Value, int Line)> values, string path)
    {
        public int Int(string key, int min, int max)
        {
            var (text, line) = values[key];
            if (!Numbers.TryParseULong(text, out ulong v) || v > int.MaxValue)
                throw new ProfileException(path, line, key, $"'{text}' is not a whole number (decimal or 0x hexadecimal)");
            if ((long)v < min || (long)v > max) throw new ProfileException(path, line, key, $"{v} is out of range {min}..{max}");
            return (int)v;
        }

        public ulong ULong(string key)
        {
            var (text, line) = values[key];
            if (!Numbers.TryParseULong(text, out ulong v))
                throw new ProfileException(path, line, key, $"'{text}' is not a whole number (decimal or 0x hexadecimal)");
            return v;
        }

        public double Double(string key, double min, double max)
        {
            var (text, line) = values[key];
            if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v))
                throw new ProfileException(path, line, key, $"'{text}' is not a number");
            if (v < min || v > max) throw new ProfileException(path, line, key, $"{v} is out of range {min}..{max}");
            return v;
        }
    }
}

/// <summary>A profile was rejected: <see cref="Exception.Message"/> is <c>file:line: key: what</c>.</summary>
public sealed class ProfileException(string path, int line, string? key, string what)
    : Exception($"{path}:{line}: {(key != null ? key + ": " : "")}{what}")
{
    public string File { get; } = path;
    public int Line { get; } = line;
    public string? Key { get; } = key;
}
