using System.Globalization;
using System.Text;
using Vmap.Sim.Boards;
using Vmap.Sim.Report;
using Vmap.Suite;

namespace Vmap.Sim.Tune;

/// <summary>
/// One point of the sweep: the suite's figures at one LazyMaxPages and PurgeChunk.
/// <see cref="MaxCsMicros"/> and <see cref="OpsPerSecond"/> are modeled board figures (the
/// board's cost model on each section's work units, plus its flush cost): deterministic, what
/// the tuner chooses on. The host's measured figures ride along for display only.
/// </summary>
public sealed record TunePoint(int LazyMaxPages, int PurgeChunk, double MaxCsMicros, double OpsPerSecond, double FlushesPer1000Frees, long MaxLazyPages)
{
    /// <summary>The most units one section did.</summary>
    public int MaxUnits { get; init; }

    /// <summary>The longest section as the host measured it, in µs (display only).</summary>
    public double HostMaxCsMicros { get; init; }

    /// <summary>Operations per second of the host's wall clock (display only).</summary>
    public double HostOpsPerSecond { get; init; }

    /// <summary>(highest - lowest) / mean of the modeled throughput over the seeds the point ran with (0 for one seed).</summary>
    public double ThroughputSpread { get; init; }

    /// <summary>The seeds the point ran with.</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>The chunk as shown to people: 0 is the unbounded single section.</summary>
    public string ChunkLabel => PurgeChunk == 0 ? "unbounded" : PurgeChunk.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The lazy_max_pages / purge_chunk trade-off of seed 000, measured on the simulated board with
/// the board's flush cost: a higher threshold batches more flushes (throughput) but holds more
/// address space lazily and purges more at once; a smaller chunk bounds the longest section but
/// takes the free-tree lock more often. The tuner picks the best throughput among the settings
/// that keep every critical section within the budget and the lazily held space within a
/// quarter of the span. Every figure it chooses on is modeled board time (see
/// <see cref="TunePoint"/>), so the same board and seed give the same choice whatever the
/// host's load.
/// </summary>
public static class Tuner
{
    /// <summary>
    /// Throughput differences below this fraction count as a tie when choosing (the modeled
    /// figures carry no noise, but a model is not exact either: within 2 % the shorter longest
    /// section is worth more).
    /// </summary>
    public const double NoiseFraction = 0.02;

    /// <summary>Chunks swept; 0 (one unbounded section, Linux 2016) is kept for comparison.</summary>
    public static readonly int[] Chunks = [0, 1, 4, 16, 64];

    /// <summary>
    /// Thresholds swept: doubling from a few pages up to a quarter of the span (a threshold is
    /// the most a board may hold lazily, so one above the quarter-of-span rule is never a
    /// candidate, whatever a short workload happened to reach), at most 8 values.
    /// </summary>
    public static int[] LazyValues(int spanPages)
    {
        int cap = Math.Max(1, spanPages / 4);
        int low = Math.Max(1, Math.Min(4, cap / 4));
        var values = new List<int>();
        for (long v = low; v < cap; v *= 2) values.Add((int)v);
        values.Add(cap);
        while (values.Count > 8)
        {
            // Keep both ends; thin the middle.
            values = values.Where((v, i) => i == 0 || i == values.Count - 1 || i % 2 == 0).ToList();
        }
        return values.Distinct().ToArray();
    }

    /// <summary>
    /// Runs the suite at one point with <paramref name="seeds"/> seeds from <paramref name="seed"/>
    /// on: the point's longest section is the longest over the seeds, its throughput their mean,
    /// and <see cref="TunePoint.ThroughputSpread"/> how far the seeds' throughputs lie apart.
    /// </summary>
    public static TunePoint Measure(BoardProfile profile, int lazy, int chunk, int ops, int seed, int seeds)
    {
        var runs = Enumerable.Range(seed, seeds).Select(s => Measure(profile, lazy, chunk, ops, s)).ToList();
        double mean = runs.Average(p => p.OpsPerSecond);
        TunePoint worst = runs.MaxBy(p => p.MaxCsMicros)!;
        return worst with
        {
            OpsPerSecond = mean,
            FlushesPer1000Frees = runs.Average(p => p.FlushesPer1000Frees),
            MaxLazyPages = runs.Max(p => p.MaxLazyPages),
            HostMaxCsMicros = runs.Max(p => p.HostMaxCsMicros),
            HostOpsPerSecond = runs.Average(p => p.HostOpsPerSecond),
            ThroughputSpread = mean > 0 ? (runs.Max(p => p.OpsPerSecond) - runs.Min(p => p.OpsPerSecond)) / mean : 0,
            Seeds = seeds,
        };
    }

    /// <summary>Runs the suite at one point.</summary>
    public static TunePoint Measure(BoardProfile profile, int lazy, int chunk, int ops, int seed)
    {
        VmapConfig config = SimSuite.Config(profile, null);
        config.LazyMaxPages = lazy;
        config.PurgeChunk = chunk;
        SuiteRun run = SimSuite.Run(profile, config, LatencySuite.All(), ops, seed).Run;
        return FromRun(profile, lazy, chunk, run);
    }

    /// <summary>
    /// The point's figures from a suite run: the longest section and the throughput in modeled
    /// board time (operations over the modeled time of every section and every flush), the
    /// flush rate, the lazily held pages; the host's measured figures for display.
    /// </summary>
    public static TunePoint FromRun(BoardProfile profile, int lazy, int chunk, SuiteRun run)
    {
        Model.CostModel cost = profile.Cost;
        double boardSeconds = run.Scenarios.Sum(s => cost.BusyMicros(s, profile.FlushFixedMicros, profile.FlushPerPageMicros)) / 1e6;
        double hostSeconds = run.Scenarios.Sum(s => s.ElapsedMicros) / 1e6;
        long ops = run.Scenarios.Sum(s => (long)s.Ops);
        long frees = run.Scenarios.Sum(s => (long)s.Frees);
        return new TunePoint(lazy, chunk,
            run.Scenarios.Max(s => cost.MaxMicros(s)),
            boardSeconds > 0 ? ops / boardSeconds : 0,
            frees > 0 ? run.Scenarios.Sum(s => (long)s.Flushes) * 1000.0 / frees : 0,
            run.Scenarios.Max(s => (long)s.MaxLazyPages))
        {
            MaxUnits = run.Scenarios.Max(s => s.CsMaxUnits),
            HostMaxCsMicros = run.Scenarios.Max(s => s.CsMaxNanos) / 1000.0,
            HostOpsPerSecond = hostSeconds > 0 ? ops / hostSeconds : 0,
        };
    }

    /// <summary>
    /// Picks the point with the best throughput among those within the budget and holding at
    /// most a quarter of the span lazily (throughputs within 2 % of the best are a tie, and the
    /// shorter longest section wins it), and explains the choice in one paragraph. Null when no
    /// point qualifies.
    /// </summary>
    public static (TunePoint? Best, string Why) Choose(IReadOnlyList<TunePoint> points, int budgetMicros, int spanPages, int pageSize)
    {
        // The quarter-of-span rule holds the threshold itself to it (what a board may hold),
        // not only the peak a short workload reached.
        long lazyCap = spanPages / 4;
        bool TooLazy(TunePoint p) => p.LazyMaxPages > lazyCap || p.MaxLazyPages > lazyCap;
        var eligible = points.Where(p => p.MaxCsMicros <= budgetMicros && !TooLazy(p)).ToList();
        int overBudget = points.Count(p => p.MaxCsMicros > budgetMicros);
        int tooLazy = points.Count(p => p.MaxCsMicros <= budgetMicros && TooLazy(p));
        if (eligible.Count == 0)
        {
            TunePoint fastest = points.MinBy(p => p.MaxCsMicros)!;
            return (null, $"No setting keeps every critical section within {budgetMicros} us and the lazily held space within a quarter of the span " +
                $"({Bytes(lazyCap * pageSize)}): {overBudget} of {points.Count} settings went over the budget and {tooLazy} held too much. " +
                $"The shortest longest section was {fastest.MaxCsMicros:F1} us (lazy_max_pages {fastest.LazyMaxPages}, purge_chunk {fastest.ChunkLabel}); " +
                "raise the budget or lower the flush cost, and keep the profile as it is.");
        }
        // Throughputs within NoiseFraction of the best are a tie on a shared machine: among them
        // the shortest longest section wins (usually a bounded chunk).
        double top = eligible.Max(p => p.OpsPerSecond);
        // On a tie in the longest section too, a bounded chunk wins over the unbounded purge: equal
        // here, it stays bounded when a workload purges a larger backlog.
        TunePoint best = eligible.Where(p => p.OpsPerSecond >= top * (1 - NoiseFraction)).OrderBy(p => p.MaxCsMicros).ThenBy(p => p.PurgeChunk == 0).ThenByDescending(p => p.OpsPerSecond)
            .ThenBy(p => p.LazyMaxPages).ThenBy(p => p.PurgeChunk).First();
        TunePoint? unbounded = points.Where(p => p.PurgeChunk == 0 && p.LazyMaxPages == best.LazyMaxPages).FirstOrDefault();
        var why = new StringBuilder();
        why.Append($"lazy_max_pages {best.LazyMaxPages} with purge_chunk {best.ChunkLabel} gives the best modeled board throughput ({best.OpsPerSecond:N0} ops/s; within {NoiseFraction:P0} counts as a tie, won by the shorter longest section) ");
        why.Append($"of the {eligible.Count} settings (of {points.Count}) that keep every critical section within {budgetMicros} us ");
        why.Append($"and hold at most a quarter of the span lazily ({Bytes(lazyCap * pageSize)}): its longest section models at {best.MaxCsMicros:F1} us on the board ({best.MaxUnits} units), ");
        why.Append($"it flushes {best.FlushesPer1000Frees:F1} times per 1 000 frees and holds up to {Bytes(best.MaxLazyPages * pageSize)} lazily. ");
        if (best.Seeds > 1)
            why.Append($"Each setting ran with {best.Seeds} seeds (longest section: the longest of them; throughput: their mean); the chosen one's throughput varied by {best.ThroughputSpread:P1} between seeds, at most {eligible.Max(p => p.ThroughputSpread):P1} among the eligible. ");
        if (overBudget > 0) why.Append($"{overBudget} settings went over the budget");
        if (unbounded != null && unbounded.MaxCsMicros > budgetMicros) why.Append($" (one unbounded purge section took {unbounded.MaxCsMicros:F1} us at this threshold)");
        if (overBudget > 0) why.Append(". ");
        if (tooLazy > 0) why.Append($"{tooLazy} more were fast enough but held too much address space lazily. ");
        why.Append("Higher thresholds batch more flushes but hold more space and purge more at once; smaller chunks bound the sections at the price of more lock round trips.");
        return (best, why.ToString());
    }

    /// <summary>
    /// The chart's four panels: longest section (with the budget), throughput, flushes per
    /// 1 000 frees and lazily held pages (with the quarter-of-span cap when the span is known).
    /// </summary>
    public static TunePanel[] Panels(int budgetMicros, int spanPages = 0) =>
    [
        new("longest critical section (modeled board time)", "µs", p => p.MaxCsMicros, budgetMicros, $"budget {budgetMicros:N0} µs"),
        new("throughput (modeled board)", "ops/s", p => p.OpsPerSecond),
        new("flushes per 1 000 frees", "flushes / 1 000 frees", p => p.FlushesPer1000Frees),
        new("lazily held pages (max)", "pages", p => p.MaxLazyPages,
            spanPages >= 4 ? spanPages / 4 : null, spanPages >= 4 ? $"cap: span/4 = {spanPages / 4:N0} pages" : null),
    ];

    /// <summary>The SVG of the sweep (<see cref="TuneChart"/>) with the four <see cref="Panels"/>; <paramref name="spanPages"/> 0 leaves out the quarter-of-span lines.</summary>
    public static string Svg(IReadOnlyList<TunePoint> points, TunePoint? best, int budgetMicros, string board, int spanPages = 0) =>
        TuneChart.Svg(points, best, Panels(budgetMicros, spanPages), board, spanPages);

    public static string Bytes(long bytes) => bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):F1} MiB" : $"{bytes / 1024.0:F0} KiB";
}
