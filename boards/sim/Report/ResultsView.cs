using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;
using Vmap.Suite;

namespace Vmap.Sim.Report;

/// <summary>
/// Renders a suite run the same way for <c>run</c> and <c>report</c>: a results table (one row
/// per scenario), a bar chart of every critical section by duration, and the verdict against
/// the budget.
/// </summary>
public static class ResultsView
{
    public static readonly string[] BucketLabels = Enumerable.Range(0, CsMeter.Buckets)
        .Select(k => k == 0 ? "< 1 us" : k == CsMeter.Buckets - 1 ? $">= {1 << (k - 1)} us" : $"{1 << (k - 1)}-{1 << k} us").ToArray();

    /// <summary>
    /// Sections of <paramref name="s"/> over <paramref name="budgetMicros"/>. The board counted
    /// them exactly against the budget its log names, and none can be over a budget its longest
    /// section kept; otherwise only the histogram is left, whose buckets that start above the
    /// budget give a lower bound (<paramref name="exact"/> false).
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

    /// <summary>True when every section stayed within the budget and every check passed.</summary>
    public static bool Passed(SuiteRun run, int budgetMicros) =>
        run.Scenarios.All(s => s.Problem == null && s.CsMaxNanos <= budgetMicros * 1000L);

    public static void Render(IAnsiConsole console, SuiteRun run, int budgetMicros)
    {
        var h = run.Header.Fields;
        console.MarkupLine($"[bold]board {Markup.Escape(run.Header.Board)}[/]: {h["cores"]} cores, page {h["page_size"]} B, span {h["span_size"]} B at {h["span_start"]}, " +
            $"lazy_max_pages {h["lazy_max_pages"]}, purge_chunk {h["purge_chunk"]}, zones {(h["zones"] == "1" ? "on" : "off")}, flush {h["flush_fixed_us"]} us + {h["flush_per_page_us"]} us/page");

        string[] headers = ["scenario", "ops", "ops/s", "failures", "purges", "flushes", "sections", "longest", "over budget", "invariants"];
        var rows = new List<string[]>();
        int logBudget = run.Header.CsBudgetMicros;
        int overCount = 0;
        bool overExact = true;
        foreach (ScenarioResult s in run.Scenarios)
        {
            bool over = s.CsMaxNanos > budgetMicros * 1000L;
            int overHere = OverBudget(s, budgetMicros, logBudget, out bool exact);
            overCount += overHere;
            overExact &= exact;
            string overText = (exact ? "" : ">= ") + overHere.ToString("N0");
            rows.Add([
                Markup.Escape(s.Name), s.Ops.ToString("N0"), s.OpsPerSecond.ToString("N0"), s.Failures.ToString("N0"),
                s.Purges.ToString("N0"), s.Flushes.ToString("N0"), s.CsCount.ToString("N0"),
                (over ? "[red]" : "[green]") + Micros(s.CsMaxNanos) + "[/]",
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
        }

        var hist = new long[CsMeter.Buckets];
        foreach (ScenarioResult s in run.Scenarios)
            for (int i = 0; i < hist.Length; i++) hist[i] += s.Histogram[i];
        Histogram(console, hist, budgetMicros);

        long worst = run.Scenarios.Count == 0 ? 0 : run.Scenarios.Max(s => s.CsMaxNanos);
        bool pass = Passed(run, budgetMicros);
        var reasons = new List<string>();
        if (worst > budgetMicros * 1000L)
        {
            string count = overCount == 0 ? "" : $" ({(overExact ? "" : "at least ")}{overCount:N0} section{(overCount == 1 ? "" : "s")} over it)";
            reasons.Add($"the longest critical section took {Micros(worst)}, over the {budgetMicros} us budget{count}");
        }
        if (run.Scenarios.Any(s => s.Problem != null)) reasons.Add("an invariant check failed");
        string verdict = pass
            ? $"[green]PASS[/]: the longest critical section took {Micros(worst)}, within the {budgetMicros} us budget"
            : "[red]FAIL[/]: " + string.Join("; ", reasons);
        console.MarkupLine("verdict: " + verdict);
        foreach (string note in run.Notes) console.MarkupLine("[red]note[/]: " + Markup.Escape(note));
    }

    /// <summary>The machine-readable form written by <c>run --json</c>.</summary>
    public static string Json(SuiteRun run, int budgetMicros) => JsonSerializer.Serialize(new
    {
        board = run.Header.Board,
        settings = Settings(run.Header.Fields),
        budget_us = budgetMicros,
        verdict = Passed(run, budgetMicros) ? "PASS" : "FAIL",
        scenarios = run.Scenarios.Select(s => new
        {
            name = s.Name, ops = s.Ops, allocs = s.Allocs, frees = s.Frees, failures = s.Failures, purges = s.Purges, flushes = s.Flushes,
            elapsed_us = s.ElapsedMicros, ops_per_s = s.OpsPerSecond, cs_count = s.CsCount, cs_max_ns = s.CsMaxNanos,
            cs_over_budget = s.CsOverBudget, max_lazy_pages = s.MaxLazyPages, histogram = s.Histogram, check = s.Problem == null ? "ok" : "FAIL",
        }),
    }, new JsonSerializerOptions { WriteIndented = true });

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

    private static string Micros(long nanos) => nanos < 10_000 ? $"{nanos / 1000.0:F2} us" : $"{nanos / 1000.0:F0} us";
}
