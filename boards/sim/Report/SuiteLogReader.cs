using System.Globalization;
using Vmap.Suite;

namespace Vmap.Sim.Report;

/// <summary>The BEGIN line of a results log: the board and its settings, as printed.</summary>
public sealed record SuiteHeader(string Board, IReadOnlyDictionary<string, string> Fields)
{
    public int CsBudgetMicros => int.Parse(Fields["cs_budget_us"], CultureInfo.InvariantCulture);
    public int Ops => int.Parse(Fields["ops"], CultureInfo.InvariantCulture);
    public long SpanSize => long.Parse(Fields["span_size"], CultureInfo.InvariantCulture);
    public int PageSize => int.Parse(Fields["page_size"], CultureInfo.InvariantCulture);
}

/// <summary>A parsed results block: header, one result per scenario, and the end line's verdict.</summary>
public sealed record SuiteRun(SuiteHeader Header, IReadOnlyList<ScenarioResult> Scenarios, string Verdict, IReadOnlyList<string> Notes)
{
    /// <summary>What the reader passed over to get this block (earlier blocks, blocks cut short by a restart), one line each.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The calibration samples (VMAP CAL lines) of the block; empty in a log without them.</summary>
    public IReadOnlyList<CalSample> Samples { get; init; } = [];

    /// <summary>True when every scenario line counted work units (a log of a firmware with units).</summary>
    public bool HasUnits => Scenarios.Count > 0 && Scenarios.All(s => s.HasUnits);
}

/// <summary>One calibration sample: a section of <paramref name="Units"/> work units that took <paramref name="Micros"/> on the board's clock.</summary>
public sealed record CalSample(string Kind, int N, int Units, double Micros);

/// <summary>A results log was rejected: <c>file:line: what</c>.</summary>
public sealed class LogException(string path, int line, string what) : Exception($"{path}:{line}: {what}");

/// <summary>
/// Reads the results a board printed (<see cref="SuiteLog"/> format) out of a serial capture:
/// lines that do not start with <c>VMAP </c> are ignored wherever they are (boot messages,
/// debugger chatter); the last complete BEGIN..END block is the result. A capture may hold a
/// restart: a block cut short by a new BEGIN (its lines may be cut too) is discarded, and so is a
/// block left open at the end once a complete one came before it; each discarded or earlier block
/// becomes a warning naming its lines (<see cref="SuiteRun.Warnings"/>). With no complete block,
/// a block cut short or a malformed VMAP line is an error naming the line. Never throws anything else.
/// </summary>
public static class SuiteLogReader
{
    private static readonly string[] HeaderKeys =
    [
        "board", "cores", "page_size", "span_start", "span_size", "max_areas", "guard_pages", "lazy_max_pages", "purge_chunk",
        "size_class_limit", "zones", "cs_budget_us", "flush_fixed_us", "flush_per_page_us", "ops", "mem_total", "mem_free", "mem_largest",
    ];

    private static readonly string[] ScenarioKeys =
    [
        "name", "ops", "allocs", "frees", "failures", "purges", "flushes", "elapsed_us", "ops_per_s", "cs_count", "cs_max_ns",
        "cs_over_budget", "max_lazy_pages", "hist", "check",
    ];

    /// <summary>The fields that came with work units: all or none (an older firmware's log has none).</summary>
    private static readonly string[] UnitKeys = ["cs_max_ns_units", "cs_max_units", "cs_max_units_ns", "cs_units", "flushed_pages", "units_hist"];

    private static readonly string[] CalKeys = ["kind", "n", "units", "ns", "us"];

    public static SuiteRun Parse(string text, string path)
    {
        string[] lines = text.Split('\n');
        SuiteRun? last = null;
        int lastBegin = 0, lastEnd = 0;
        SuiteHeader? header = null;
        int beginLine = 0;
        LogException? broken = null; // the first bad line of the open block
        var warnings = new List<string>();
        var scenarios = new List<ScenarioResult>();
        var notes = new List<string>();
        var samples = new List<CalSample>();
        for (int i = 0; i < lines.Length; i++)
        {
            int n = i + 1;
            string line = lines[i].TrimEnd('\r');
            int at = line.IndexOf("VMAP ", StringComparison.Ordinal);
            if (at < 0) continue;
            line = line[at..]; // a capture may prefix lines with time stamps
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string kind = words.Length > 1 ? words[1] : "";
            switch (kind)
            {
                case "BEGIN":
                    if (header != null || broken != null)
                        warnings.Add($"{path}: lines {beginLine}-{n - 1}: a results block cut short (the board restarted?) was discarded{Reason(broken)}");
                    broken = null;
                    beginLine = n;
                    header = null;
                    Dictionary<string, string> fields;
                    try
                    {
                        fields = Header(words, path, n);
                    }
                    catch (LogException e)
                    {
                        broken = e;
                        break;
                    }
                    header = new SuiteHeader(fields["board"], fields);
                    scenarios = [];
                    notes = [];
                    samples = [];
                    break;
                case "SCENARIO":
                    if (broken != null) break;
                    if (header == null) throw new LogException(path, n, "a scenario line outside a results block (no VMAP BEGIN before it)");
                    try
                    {
                        scenarios.Add(Scenario(Fields(words, 2, ScenarioKeys, path, n, UnitKeys), path, n));
                    }
                    catch (LogException e)
                    {
                        broken = e; // an error only if the block is not cut short by a restart
                    }
                    break;
                case "CAL":
                    if (broken != null) break;
                    if (header == null) throw new LogException(path, n, "a calibration line outside a results block (no VMAP BEGIN before it)");
                    try
                    {
                        samples.Add(Cal(Fields(words, 2, ["units"], path, n, CalKeys), path, n));
                    }
                    catch (LogException e)
                    {
                        broken = e;
                    }
                    break;
                case "NOTE":
                    notes.Add(After(line, "VMAP NOTE"));
                    break;
                case "END":
                    if (broken != null) throw broken;
                    if (header == null) throw new LogException(path, n, "an end line without a results block");
                    var end = Fields(words, 2, ["scenarios", "over_budget", "verdict"], path, n);
                    if (!int.TryParse(end["scenarios"], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count != scenarios.Count)
                        throw new LogException(path, n, $"the end line counts {end["scenarios"]} scenarios, the block has {scenarios.Count}");
                    if (end["verdict"] is not ("PASS" or "FAIL")) throw new LogException(path, n, $"verdict '{end["verdict"]}' is neither PASS nor FAIL");
                    if (last != null) warnings.Add($"{path}: an earlier results block (lines {lastBegin}-{lastEnd}) was ignored; the last one (from line {beginLine}) is reported");
                    last = new SuiteRun(header, scenarios, end["verdict"], notes) { Samples = samples };
                    (lastBegin, lastEnd) = (beginLine, n);
                    header = null;
                    break;
                case "ERROR":
                    throw new LogException(path, n, "the firmware reported: " + Clip(After(line, "VMAP ERROR")));
                default:
                    throw new LogException(path, n, $"unknown VMAP line '{Clip(kind)}' (expected BEGIN, SCENARIO, CAL, NOTE, END or ERROR)");
            }
        }
        if (header != null || broken != null)
        {
            if (last == null) throw broken ?? new LogException(path, lines.Length, $"the results block that begins on line {beginLine} is cut short: no VMAP END line");
            warnings.Add($"{path}: lines {beginLine}-{lines.Length}: a results block cut short at the end of the log was discarded{Reason(broken)}; the last complete one (lines {lastBegin}-{lastEnd}) is reported");
        }
        if (last == null) throw new LogException(path, lines.Length, "no results block (no VMAP BEGIN ... VMAP END lines) in the log");
        return last with { Warnings = warnings };
    }

    private static string Reason(LogException? broken) => broken == null ? "" : $" ({broken.Message})";

    private static Dictionary<string, string> Header(string[] words, string path, int n)
    {
        var fields = Fields(words, 2, HeaderKeys, path, n);
        foreach (string key in HeaderKeys.Where(k => k is not "board" and not "span_start" and not "flush_fixed_us" and not "flush_per_page_us"))
        {
            if (!long.TryParse(fields[key], NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new LogException(path, n, $"{key}: '{fields[key]}' is not a whole number");
        }
        return fields;
    }

    private static Dictionary<string, string> Fields(string[] words, int from, string[] keys, string path, int line, string[]? optional = null)
    {
        optional ??= [];
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = from; i < words.Length; i++)
        {
            int eq = words[i].IndexOf('=');
            if (eq <= 0) throw new LogException(path, line, $"'{Clip(words[i])}' is not key=value");
            string key = words[i][..eq];
            if (!keys.Contains(key) && !optional.Contains(key)) throw new LogException(path, line, $"unknown field '{Clip(key)}'");
            if (!d.TryAdd(key, words[i][(eq + 1)..])) throw new LogException(path, line, $"field '{key}' appears twice");
        }
        foreach (string key in keys)
        {
            if (!d.ContainsKey(key)) throw new LogException(path, line, $"field '{key}' is missing (the line may be cut short)");
        }
        return d;
    }

    private static ScenarioResult Scenario(Dictionary<string, string> f, string path, int line)
    {
        long Num(string key) => long.TryParse(f[key], NumberStyles.None, CultureInfo.InvariantCulture, out long v)
            ? v : throw new LogException(path, line, $"{key}: '{Clip(f[key])}' is not a whole number");
        int Int(string key) => Num(key) <= int.MaxValue ? (int)Num(key) : throw new LogException(path, line, $"{key}: {f[key]} is too large");
        string[] hist = f["hist"].Split(',');
        if (hist.Length != CsMeter.Buckets) throw new LogException(path, line, $"hist has {hist.Length} buckets, expected {CsMeter.Buckets}");
        var r = new ScenarioResult
        {
            Name = f["name"], Ops = Int("ops"), Allocs = Int("allocs"), Frees = Int("frees"), Failures = Int("failures"),
            Purges = Int("purges"), Flushes = Int("flushes"), ElapsedMicros = Num("elapsed_us"), CsCount = Int("cs_count"),
            CsMaxNanos = Num("cs_max_ns"), CsOverBudget = Int("cs_over_budget"), MaxLazyPages = Int("max_lazy_pages"),
            Problem = f["check"] switch
            {
                "ok" => null,
                "FAIL" => "the invariant check failed on the board",
                _ => throw new LogException(path, line, $"check: '{Clip(f["check"])}' is neither ok nor FAIL"),
            },
        };
        r.CsMaxMicros = r.CsMaxNanos / 1000;
        r.HasUnits = f.ContainsKey(UnitKeys[0]);
        foreach (string key in UnitKeys)
        {
            if (f.ContainsKey(key) != r.HasUnits) throw new LogException(path, line, $"field '{key}' is {(r.HasUnits ? "missing" : "there without cs_max_ns_units")} (the unit fields come all together)");
        }
        if (r.HasUnits)
        {
            r.CsMaxNanosUnits = Int("cs_max_ns_units");
            r.CsMaxUnits = Int("cs_max_units");
            r.CsMaxUnitsNanos = Num("cs_max_units_ns");
            r.CsTotalUnits = Num("cs_units");
            r.FlushedPages = Num("flushed_pages");
            string[] units = f["units_hist"].Split(',');
            if (units.Length != CsMeter.UnitBuckets) throw new LogException(path, line, $"units_hist has {units.Length} buckets, expected {CsMeter.UnitBuckets}");
            for (int i = 0; i < units.Length; i++)
            {
                if (!int.TryParse(units[i], NumberStyles.None, CultureInfo.InvariantCulture, out r.UnitHistogram[i]))
                    throw new LogException(path, line, $"units_hist: bucket {i} '{Clip(units[i])}' is not a whole number");
            }
        }
        for (int i = 0; i < hist.Length; i++)
        {
            if (!int.TryParse(hist[i], NumberStyles.None, CultureInfo.InvariantCulture, out r.Histogram[i]))
                throw new LogException(path, line, $"hist: bucket {i} '{Clip(hist[i])}' is not a whole number");
        }
        if (Num("ops_per_s") != r.OpsPerSecond) throw new LogException(path, line, $"ops_per_s {f["ops_per_s"]} does not match ops and elapsed_us ({r.OpsPerSecond})");
        return r;
    }

    private static CalSample Cal(Dictionary<string, string> f, string path, int line)
    {
        if (!int.TryParse(f["units"], NumberStyles.None, CultureInfo.InvariantCulture, out int units))
            throw new LogException(path, line, $"units: '{Clip(f["units"])}' is not a whole number");
        int n = 0;
        if (f.TryGetValue("n", out string? nText) && !int.TryParse(nText, NumberStyles.None, CultureInfo.InvariantCulture, out n))
            throw new LogException(path, line, $"n: '{Clip(nText)}' is not a whole number");
        double micros;
        if (f.TryGetValue("ns", out string? ns))
        {
            if (!long.TryParse(ns, NumberStyles.None, CultureInfo.InvariantCulture, out long v)) throw new LogException(path, line, $"ns: '{Clip(ns)}' is not a whole number");
            micros = v / 1000.0;
        }
        else if (f.TryGetValue("us", out string? us))
        {
            if (!double.TryParse(us, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out micros)) throw new LogException(path, line, $"us: '{Clip(us)}' is not a number");
        }
        else throw new LogException(path, line, "a calibration line needs ns= or us=");
        return new CalSample(f.TryGetValue("kind", out string? kind) ? kind : "", n, units, micros);
    }

    private static string After(string line, string prefix) => line.Length > prefix.Length ? line[prefix.Length..].Trim() : "";

    private static string Clip(string s) => new(s.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
