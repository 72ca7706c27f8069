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
        var cmd = new Command("tune", "Sweep lazy_max_pages and purge_chunk for a board and pick the best setting within the budget (progress on stderr; Ctrl-C stops, writes nothing, exit 130)");
        foreach (Option o in new Option[] { board, budget, ops, lazyMax, chunk, svg, write }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            BoardProfile profile = Cli.LoadBoard(r.GetValue(board)!);
            int budgetUs = r.GetValue(budget) ?? profile.CsBudgetMicros;
            if (budgetUs < 1) throw new UsageException("option --budget-us: must be at least 1");
            int n = r.GetValue(ops);
            if (n < 1) throw new UsageException("option --ops: must be at least 1");
            int spanPages = (int)(profile.SpanSize / (ulong)profile.PageSize);
            int[] lazies = SpanOptions.IntOption(r, lazyMax) is int lm ? [lm] : Tuner.LazyValues(spanPages);
            int[] chunks = SpanOptions.IntOption(r, chunk) is int pc ? [pc] : Tuner.Chunks;
            VmapConfig fixedAxes = profile.ToConfig();
            fixedAxes.LazyMaxPages = lazies[0];
            fixedAxes.PurgeChunk = chunks[0];
            if (fixedAxes.Validate() is string problem) throw new UsageException(problem);
            // Output paths are checked before the sweep, not after it.
            string svgPath = OutputFile.Check(r.GetValue(svg) ?? $"tune-{profile.Name}.svg", "--svg");
            if (r.GetValue(write)) OutputFile.Check(profile.Path, "--write");
            IAnsiConsole console = Cli.Console(output);

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
                            points.Add(Tuner.Measure(profile, lazy, c, n, 1));
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
                TextChart.Write(console, "throughput (ops/s) of the settings within the budget, by lazy_max_pages / purge_chunk", bars, $"{bars.Max(b => b.Value):N0} ops/s", Color.Green, Color.Yellow);
            console.WriteLine();
            console.MarkupLine(Markup.Escape(why));

            File.WriteAllText(svgPath, Tuner.Svg(points, best, budgetUs, profile.Name, spanPages));
            console.MarkupLine($"chart: {Markup.Escape(svgPath)}");

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
            return 0;
        });
        return cmd;
    }
}
