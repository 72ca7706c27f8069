using System.CommandLine;
using Spectre.Console;
using Vmap.Sim.Boards;
using Vmap.Sim.Report;
using Vmap.Sim.Tune;

namespace Vmap.Sim;

/// <summary>
/// <c>tune --board NAME</c>: sweeps LazyMaxPages and PurgeChunk on the simulated board with the
/// board's flush cost, shows the trade-off, picks a setting, and with --write puts it into the
/// board's profile (comments and order kept).
/// </summary>
public static class TuneVerb
{
    public static Command Build(TextWriter output)
    {
        var board = new Option<string>("--board") { Description = "Board profile to tune", Required = true };
        var budget = new Option<int?>("--budget-us") { Description = "Critical-section budget in microseconds (default: the profile's)" };
        var ops = new Option<int>("--ops") { Description = "Operations per scenario at each point", DefaultValueFactory = _ => 1500 };
        var svg = new Option<string?>("--svg") { Description = "Where to write the SVG chart (default: tune-<board>.svg)" };
        var lazyMax = new Option<string?>("--lazy-max-pages") { Description = "Fix lazy_max_pages at this value and sweep only the purge chunk" };
        var chunk = new Option<string?>("--purge-chunk") { Description = "Fix purge_chunk at this value (0: unbounded) and sweep only lazy_max_pages" };
        var write = new Option<bool>("--write") { Description = "Write the chosen lazy_max_pages and purge_chunk into the board's profile" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (the choice, its basis and every point) instead of the table and chart" };
        var seed = new Option<int>("--seed") { Description = "First random seed of the suite at every point", DefaultValueFactory = _ => 1 };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per point (from --seed on): the longest section is the longest of them, the throughput their mean, and their spread is shown", DefaultValueFactory = _ => 3 };
        var cmd = new Command("tune", "Sweep lazy_max_pages and purge_chunk for a board and pick the best setting within the budget, on modeled board time (progress on stderr; Ctrl-C stops, writes nothing, exit 130)");
        foreach (Option o in new Option[] { board, budget, ops, lazyMax, chunk, svg, write, json, seed, seeds }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            BoardProfile profile = Cli.LoadBoard(r.GetValue(board)!);
            int budgetUs = r.GetValue(budget) ?? profile.CsBudgetMicros;
            if (budgetUs < 1) throw new UsageException("option --budget-us: must be at least 1");
            int n = r.GetValue(ops);
            if (n < 1) throw new UsageException("option --ops: must be at least 1");
            int seedCount = r.GetValue(seeds);
            if (seedCount is < 1 or > 20) throw new UsageException($"option --seeds: {seedCount} is out of range 1..20");
            int spanPages = (int)(profile.SpanSize / (ulong)profile.PageSize);
            int[] lazies = SpanOptions.IntOption(r, lazyMax) is int lm ? [lm] : Tuner.LazyValues(spanPages);
            int[] chunks = SpanOptions.IntOption(r, chunk) is int pc ? [pc] : Tuner.Chunks;
            VmapConfig fixedAxes = profile.ToConfig();
            fixedAxes.LazyMaxPages = lazies[0];
            fixedAxes.PurgeChunk = chunks[0];
            if (fixedAxes.Validate() is string problem) throw new UsageException(problem);
            bool asJson = r.GetValue(json);
            // Output paths are checked before the sweep, not after it.
            string? svgPath = r.GetValue(svg) is string sp ? OutputFile.Check(sp, "--svg") : asJson ? null : OutputFile.Check($"tune-{profile.Name}.svg", "--svg");
            if (r.GetValue(write)) OutputFile.Check(profile.Path, "--write");
            IAnsiConsole console = Cli.Console(asJson ? TextWriter.Null : output);

            var points = new List<TunePoint>();
            int total = lazies.Length * chunks.Length;
            using var interrupt = new Interrupt();
            try
            {
                ProgressLines.Run(r.InvocationConfiguration.Error, $"tuning {profile.Name}: {total} settings", total, step =>
                {
                    foreach (int lazy in lazies)
                    {
                        foreach (int c in chunks)
                        {
                            interrupt.ThrowIfRequested();
                            points.Add(Tuner.Measure(profile, lazy, c, n, r.GetValue(seed), seedCount));
                            step($"lazy_max_pages {lazy}, purge_chunk {c} ({points.Count}/{total})");
                        }
                    }
                });
            }
            catch (OperationCanceledException)
            {
                output.WriteLine($"interrupted: {points.Count} of {total} settings measured; nothing chosen, nothing written");
                foreach (TunePoint p in points)
                    output.WriteLine($"  lazy_max_pages {p.LazyMaxPages}, purge_chunk {p.ChunkLabel}: longest section {p.MaxCsMicros:F1} us, {p.OpsPerSecond:N0} ops/s");
                return Interrupt.ExitCode;
            }

            var (best, why) = Tuner.Choose(points, budgetUs, spanPages, profile.PageSize);
            Table table = TuneTable.Build(console, points, best, budgetUs, spanPages, profile);
            console.Write(table);

            var bars = points.Where(p => p.MaxCsMicros <= budgetUs)
                .Select(p => new TextChart.Bar($"{p.LazyMaxPages}/{p.ChunkLabel}", p.OpsPerSecond, p.OpsPerSecond.ToString("N0"), ReferenceEquals(p, best), ReferenceEquals(p, best) ? "<- chosen" : null)).ToList();
            if (bars.Count > 0)
                TextChart.Write(console, "modeled board throughput (ops/s) of the settings within the budget, by lazy_max_pages / purge_chunk", bars, $"{bars.Max(b => b.Value):N0} ops/s", Color.Green, Color.Yellow);
            console.WriteLine();
            console.MarkupLine(Markup.Escape(why));

            if (svgPath != null)
            {
                File.WriteAllText(svgPath, Tuner.Svg(points, best, budgetUs, profile.Name, spanPages));
                console.MarkupLine($"chart: {Markup.Escape(svgPath)}");
            }

            if (r.GetValue(write))
            {
                if (best == null) throw new UsageException("nothing written: no setting qualified (see above)");
                string text = File.ReadAllText(profile.Path);
                string updated = ProfileWriter.Update(text, new Dictionary<string, string>
                {
                    ["lazy_max_pages"] = best.LazyMaxPages.ToString(),
                    ["purge_chunk"] = best.PurgeChunk.ToString(),
                });
                BoardProfile.Parse(updated, profile.Path); // never write a profile that would not load
                ProfileWriter.WriteAtomically(profile.Path, updated);
                console.MarkupLine($"wrote lazy_max_pages = {best.LazyMaxPages} and purge_chunk = {best.PurgeChunk} into {Markup.Escape(profile.Path)}");
            }
            if (asJson)
            {
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["board"] = profile.Name,
                    ["basis"] = "board-model",
                    ["budget_us"] = budgetUs,
                    ["cs_fixed_us"] = profile.CsFixedMicros,
                    ["cs_unit_us"] = profile.CsUnitMicros,
                    ["lazy_max_pages"] = best?.LazyMaxPages,
                    ["purge_chunk"] = best?.PurgeChunk,
                    ["max_board_us"] = best == null ? null : Math.Round(best.MaxCsMicros, 3),
                    ["board_ops_per_s"] = best == null ? null : Math.Round(best.OpsPerSecond, 1),
                    ["why"] = why,
                    ["points"] = points.Select(p => new Dictionary<string, object>
                    {
                        ["lazy_max_pages"] = p.LazyMaxPages, ["purge_chunk"] = p.PurgeChunk, ["max_units"] = p.MaxUnits,
                        ["max_board_us"] = Math.Round(p.MaxCsMicros, 3), ["board_ops_per_s"] = Math.Round(p.OpsPerSecond, 1),
                        ["max_host_us"] = Math.Round(p.HostMaxCsMicros, 3), ["host_ops_per_s"] = Math.Round(p.HostOpsPerSecond, 1),
                        ["flushes_per_1000_frees"] = Math.Round(p.FlushesPer1000Frees, 3), ["max_lazy_pages"] = p.MaxLazyPages,
                        ["seeds"] = p.Seeds, ["throughput_spread"] = Math.Round(p.ThroughputSpread, 4),
                    }).ToArray(),
                }));
            }
            return 0;
        });
        return cmd;
    }
}
