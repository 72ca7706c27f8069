using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;
using Vmap.Sim.Model;
using Vmap.Suite;

namespace Vmap.Sim.Report;

/// <summary>What a verdict is judged on: modeled board time (the default) or measured time.</summary>
public enum Basis
{
    /// <summary>Each section's work units through the board's cost model: deterministic.</summary>
    BoardModel,

    /// <summary>Each section's measured time: the host's on the simulated board (varies with load), the board's clock in a capture.</summary>
    HostTime,
}

/// <summary>
/// How a suite run is judged: the budget, the board's cost model, the basis asked for, and what
/// the measured times are (<paramref name="MeasuredLabel"/>: "host" for the simulated board,
/// "measured" for a board's capture).
/// </summary>
public sealed record Judge(int BudgetMicros, CostModel Cost, Basis Asked, string MeasuredLabel)
{
    /// <summary>The basis used for <paramref name="run"/>: the board model needs units, so a log without them is judged on measured time.</summary>
    public Basis For(SuiteRun run) => Asked == Basis.BoardModel && !run.HasUnits ? Basis.HostTime : Asked;

    /// <summary>The name the JSON and the text give a basis.</summary>
    public static string Name(Basis b) => b == Basis.BoardModel ? "board-model" : "host-time";
}

/// <summary>
/// Renders a suite run the same way for <c>run</c> and <c>report</c>: a results table (one row
/// per scenario, the longest section in modeled board time and as measured), a bar chart of
/// every critical section by measured duration, and the verdict against the budget on the
/// judge's basis.
/// </summary>
public static class ResultsView
{
    public static readonly string[] BucketLabels = Enumerable.Range(0, CsMeter.Buckets)
        .Select(k => k == 0 ? "< 1 us" : k == CsMeter.Buckets - 1 ? $">= {1 << (k - 1)} us" : $"{1 << (k - 1)}-{1 << k} us").ToArray();

    /// <summary>
    /// Sections of <paramref name="s"/> over <paramref name="budgetMicros"/> in measured time.
    /// The board counted them exactly against the budget its log names, and none can be over a
    /// budget its longest section kept; otherwise only the histogram is left, whose buckets
    /// that start above the budget give a lower bound (<paramref name="exact"/> false).
    /// </summary>
    public static int OverBudget(ScenarioResult s, int budgetMicros, int logBudgetMicros, out bool exact)
    {
        exact = true;
        if (s.CsMaxNanos <= budgetMicros * 1000L) return 0;
        if (budgetMicros == logBudgetMicros) return s.CsOverBudget;
        exact = false;
        int n = 0;
        for (int k = 1; k < s.Histogram.Length; k++)
        {
            if ((1L << (k - 1)) > budgetMicros) n += s.Histogram[k];
        }
        return n;
    }

    /// <summary>The longest section of <paramref name="s"/> in µs on <paramref name="basis"/>.</summary>
    public static double Longest(ScenarioResult s, Judge judge, Basis basis) =>
        basis == Basis.BoardModel ? judge.Cost.MaxMicros(s) : s.CsMaxNanos / 1000.0;

    /// <summary>True when every section stayed within the budget on the judge's basis and every check passed.</summary>
    public static bool Passed(SuiteRun run, Judge judge)
    {
        Basis basis = judge.For(run);
        return run.Scenarios.All(s => s.Problem == null && Within(s, judge, basis));
    }

    private static bool Within(ScenarioResult s, Judge judge, Basis basis) => basis == Basis.BoardModel
        ? s.CsMaxUnits <= judge.Cost.UnitLimit(judge.BudgetMicros)
        : s.CsMaxNanos <= judge.BudgetMicros * 1000L;

    public static void Render(IAnsiConsole console, SuiteRun run, Judge judge)
    {
        var h = run.Header.Fields;
        Basis basis = judge.For(run);
        int budgetMicros = judge.BudgetMicros;
        console.MarkupLine($"[bold]board {Markup.Escape(run.Header.Board)}[/]: {h["cores"]} cores, page {h["page_size"]} B, span {h["span_size"]} B at {h["span_start"]}, " +
            $"lazy_max_pages {h["lazy_max_pages"]}, purge_chunk {h["purge_chunk"]}, zones {(h["zones"] == "1" ? "on" : "off")}, flush {h["flush_fixed_us"]} us + {h["flush_per_page_us"]} us/page");
        console.MarkupLine($"cost model: a section takes {judge.Cost.FixedMicros:G4} us + {judge.Cost.UnitMicros:G4} us per work unit on the board; " +
            $"judged on {(basis == Basis.BoardModel ? "modeled board time" : judge.MeasuredLabel + " time")}");
        if (judge.Asked == Basis.BoardModel && basis != Basis.BoardModel)
            console.MarkupLine("[yellow]note[/]: the log has no work units (an older firmware): judged on its measured time instead");

        string measured = judge.MeasuredLabel;
        string[] headers = ["scenario", "ops", "ops/s", "failures", "purges", "flushes", "sections", "units", "longest (board)", "longest (" + measured + ")", "over budget", "invariants"];
        var rows = new List<string[]>();
        int logBudget = run.Header.CsBudgetMicros;
        int overCount = 0;
        bool overExact = true;
        foreach (ScenarioResult s in run.Scenarios)
        {
            bool exact;
            int overHere = basis == Basis.BoardModel
                ? judge.Cost.SectionsOver(s, budgetMicros, out exact)
                : OverBudget(s, budgetMicros, logBudget, out exact);
            overCount += overHere;
            overExact &= exact;
            string overText = (exact ? "" : ">= ") + overHere.ToString("N0");
            bool boardOver = s.HasUnits && !Within(s, judge, Basis.BoardModel);
            bool hostOver = !Within(s, judge, Basis.HostTime);
            string board = s.HasUnits ? Colour(MicrosText(judge.Cost.MaxMicros(s)), boardOver, basis == Basis.BoardModel) : "-";
            string host = Colour(MicrosText(s.CsMaxNanos / 1000.0), hostOver, basis == Basis.HostTime);
            rows.Add([
                Markup.Escape(s.Name), s.Ops.ToString("N0"), s.OpsPerSecond.ToString("N0"), s.Failures.ToString("N0"),
                s.Purges.ToString("N0"), s.Flushes.ToString("N0"), s.CsCount.ToString("N0"),
                s.HasUnits ? s.CsMaxUnits.ToString("N0") : "-", board, host,
                overHere == 0 ? overText : $"[red]{overText}[/]",
                s.Problem == null ? "[green]ok[/]" : "[red]FAIL[/]"]);
        }
        // One table when it fits the width; else two narrower ones, so that no cell is ever
        // wrapped or cut (a number split over two lines reads as two numbers).
        Table all = Table(console, "latency suite", headers, rows, [.. Enumerable.Range(0, headers.Length)]);
        if (((IRenderable)all).Measure(RenderOptions.Create(console, console.Profile.Capabilities), int.MaxValue).Max <= console.Profile.Width)
        {
            console.Write(all);
        }
        else
        {
            console.Write(Table(console, "latency suite: work", headers, rows, [0, 1, 2, 3, 4, 5]));
            console.Write(Table(console, "latency suite: critical sections", headers, rows, [0, 6, 7, 8, 9]));
            console.Write(Table(console, "latency suite: checks", headers, rows, [0, 10, 11]));
        }

        var hist = new long[CsMeter.Buckets];
        foreach (ScenarioResult s in run.Scenarios)
            for (int i = 0; i < hist.Length; i++) hist[i] += s.Histogram[i];
        Histogram(console, hist, budgetMicros);

        double worst = run.Scenarios.Count == 0 ? 0 : run.Scenarios.Max(s => Longest(s, judge, basis));
        string what = basis == Basis.BoardModel ? "the longest critical section models at" : "the longest critical section took";
        bool pass = Passed(run, judge);
        var reasons = new List<string>();
        if (run.Scenarios.Any(s => !Within(s, judge, basis)))
        {
            string count = overCount == 0 ? "" : $" ({(overExact ? "" : "at least ")}{overCount:N0} section{(overCount == 1 ? "" : "s")} over it)";
            reasons.Add($"{what} {MicrosText(worst)}, over the {budgetMicros} us budget{count}");
        }
        if (run.Scenarios.Any(s => s.Problem != null)) reasons.Add("an invariant check failed");
        string verdict = pass
            ? $"[green]PASS[/]: {what} {MicrosText(worst)}, within the {budgetMicros} us budget"
            : "[red]FAIL[/]: " + string.Join("; ", reasons);
        console.MarkupLine("verdict: " + verdict);
        foreach (string note in run.Notes) console.MarkupLine("[red]note[/]: " + Markup.Escape(note));
    }

    /// <summary>The machine-readable form written by <c>run --json</c> and printed by <c>report --json</c>.</summary>
    public static string Json(SuiteRun run, Judge judge)
    {
        Basis basis = judge.For(run);
        return JsonSerializer.Serialize(new
        {
            board = run.Header.Board,
            settings = Settings(run.Header.Fields),
            budget_us = judge.BudgetMicros,
            cs_fixed_us = judge.Cost.FixedMicros,
            cs_unit_us = judge.Cost.UnitMicros,
            verdict = Passed(run, judge) ? "PASS" : "FAIL",
            verdict_basis = Judge.Name(basis),
            scenarios = run.Scenarios.Select(s => new
            {
                name = s.Name, ops = s.Ops, allocs = s.Allocs, frees = s.Frees, failures = s.Failures, purges = s.Purges, flushes = s.Flushes,
                elapsed_us = s.ElapsedMicros, ops_per_s = s.OpsPerSecond, cs_count = s.CsCount, cs_max_ns = s.CsMaxNanos,
                cs_over_budget = s.CsOverBudget, max_lazy_pages = s.MaxLazyPages, histogram = s.Histogram, check = s.Problem == null ? "ok" : "FAIL",
                cs_max_units = s.HasUnits ? s.CsMaxUnits : (int?)null,
                cs_max_board_us = s.HasUnits ? Math.Round(judge.Cost.MaxMicros(s), 3) : (double?)null,
                cs_max_host_us = Math.Round(s.CsMaxNanos / 1000.0, 3),
                cs_max_ns_units = s.HasUnits ? s.CsMaxNanosUnits : (int?)null,
                cs_units = s.HasUnits ? s.CsTotalUnits : (long?)null,
                cs_over_budget_board = s.HasUnits ? judge.Cost.SectionsOver(s, judge.BudgetMicros, out _) : (int?)null,
                units_histogram = s.HasUnits ? s.UnitHistogram : null,
            }),
        }, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The header's settings for JSON: numbers (decimal, or 0x hexadecimal like span_start) as JSON numbers, the rest as strings.</summary>
    private static Dictionary<string, object> Settings(IReadOnlyDictionary<string, string> fields) => fields.ToDictionary(
        f => f.Key,
        f => f.Key == "board" ? (object)f.Value
            : Numbers.TryParseULong(f.Value, out ulong whole) ? whole
            : double.TryParse(f.Value, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double real) ? real
            : f.Value);

    /// <summary>A table of the <paramref name="columns"/> of <paramref name="rows"/>: ASCII borders unless the console has Unicode, no cell ever wrapped.</summary>
    private static Table Table(IAnsiConsole console, string title, string[] headers, List<string[]> rows, int[] columns)
    {
        var table = new Table().Border(console.Profile.Capabilities.Unicode ? TableBorder.Rounded : TableBorder.Ascii).Title(title);
        foreach (int c in columns)
        {
            var column = new TableColumn(headers[c]).NoWrap();
            table.AddColumn(c == 0 ? column.LeftAligned() : column.RightAligned());
        }
        foreach (string[] row in rows) table.AddRow(columns.Select(c => row[c]).ToArray());
        return table;
    }

    /// <summary>
    /// Critical sections by duration: one line per bucket with its count and a bar whose length is
    /// proportional to the count (linear; the scale is printed). The sub-microsecond bucket often
    /// holds nearly all sections, so the tail's bars may be empty: its counts are printed beside them.
    /// </summary>
    private static void Histogram(IAnsiConsole console, long[] hist, int budgetMicros)
    {
        int last = Math.Max(Array.FindLastIndex(hist, v => v > 0), 0);
        var bars = Enumerable.Range(0, last + 1)
            .Select(i => new TextChart.Bar(BucketLabels[i], hist[i], hist[i].ToString("N0"), i > 0 && (1 << (i - 1)) >= budgetMicros))
            .ToList();
        TextChart.Write(console, "critical sections by duration", bars, $"{hist.Max():N0} sections", Color.Green, Color.Red);
    }


    private static string Colour(string text, bool over, bool judged) => judged ? (over ? "[red]" : "[green]") + text + "[/]" : text;

    private static string MicrosText(double micros) => micros < 10 ? $"{micros:F2} us" : $"{micros:F0} us";
}
