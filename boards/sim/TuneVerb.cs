using System.CommandLine;
using Spectre.Console;
using Vmap.Sim.Boards;
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
        var svg = new Option<FileInfo?>("--svg") { Description = "Where to write the SVG chart (default: tune-<board>.svg)" };
        var write = new Option<bool>("--write") { Description = "Write the chosen lazy_max_pages and purge_chunk into the board's profile" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (the choice, its basis and every point) instead of the table and chart" };
        var seed = new Option<int>("--seed") { Description = "Random seed of the suite at every point", DefaultValueFactory = _ => 1 };
        var cmd = new Command("tune", "Sweep lazy_max_pages and purge_chunk for a board and pick the best setting within the budget");
        foreach (Option o in new Option[] { board, budget, ops, svg, write, json, seed }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            BoardProfile profile = Cli.LoadBoard(r.GetValue(board)!);
            int budgetUs = r.GetValue(budget) ?? profile.CsBudgetMicros;
            if (budgetUs < 1) throw new UsageException("option --budget-us: must be at least 1");
            int n = r.GetValue(ops);
            if (n < 1) throw new UsageException("option --ops: must be at least 1");
            int spanPages = (int)(profile.SpanSize / (ulong)profile.PageSize);
            int[] lazies = Tuner.LazyValues(spanPages);
            bool asJson = r.GetValue(json);
            IAnsiConsole console = Cli.Console(asJson ? TextWriter.Null : output);

            var points = new List<TunePoint>();
            console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"tuning {profile.Name}", maxValue: lazies.Length * Tuner.Chunks.Length);
                    foreach (int lazy in lazies)
                    {
                        foreach (int chunk in Tuner.Chunks)
                        {
                            task.Description = $"tuning {profile.Name}: lazy_max_pages {lazy}, purge_chunk {chunk}";
                            points.Add(Tuner.Measure(profile, lazy, chunk, n, r.GetValue(seed)));
                            task.Increment(1);
                        }
                    }
                });

            var (best, why) = Tuner.Choose(points, budgetUs, spanPages, profile.PageSize);
            var table = new Table().Border(TableBorder.Rounded).Title($"tune {profile.Name}: budget {budgetUs} us of modeled board time ({profile.CsFixedMicros:G4} us + {profile.CsUnitMicros:G4} us/unit), lazily held at most {Tuner.Bytes((long)spanPages / 4 * profile.PageSize)}");
            foreach (string c in new[] { "lazy_max_pages", "purge_chunk", "longest board", "ops/s board", "longest host", "flushes / 1000 frees", "lazily held", "" })
                table.AddColumn(new TableColumn(c).RightAligned());
            foreach (TunePoint p in points)
            {
                bool over = p.MaxCsMicros > budgetUs;
                bool lazyOver = p.MaxLazyPages > spanPages / 4;
                table.AddRow(p.LazyMaxPages.ToString(), p.ChunkLabel, (over ? "[red]" : "[green]") + $"{p.MaxCsMicros:F1} us[/]",
                    p.OpsPerSecond.ToString("N0"), $"{p.HostMaxCsMicros:F1} us", p.FlushesPer1000Frees.ToString("F1"), (lazyOver ? "[red]" : "") + Tuner.Bytes(p.MaxLazyPages * profile.PageSize) + (lazyOver ? "[/]" : ""),
                    ReferenceEquals(p, best) ? "[bold]<- chosen[/]" : "");
            }
            console.Write(table);

            var chart = new BarChart().Label("modeled board throughput (ops/s) of the settings within the budget, by lazy_max_pages / purge_chunk").Width(100);
            foreach (TunePoint p in points.Where(p => p.MaxCsMicros <= budgetUs))
                chart.AddItem($"{p.LazyMaxPages}/{p.ChunkLabel}", Math.Round(p.OpsPerSecond), ReferenceEquals(p, best) ? Color.Yellow : Color.Green);
            if (chart.Data.Count > 0) console.Write(chart);
            console.WriteLine();
            console.MarkupLine(Markup.Escape(why));

            string? svgPath = r.GetValue(svg)?.FullName ?? (asJson ? null : Path.GetFullPath($"tune-{profile.Name}.svg"));
            if (svgPath != null)
            {
                File.WriteAllText(svgPath, Tuner.Svg(points, best, budgetUs, profile.Name));
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
                File.WriteAllText(profile.Path, updated);
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
                    }).ToArray(),
                }));
            }
            return 0;
        });
        return cmd;
    }
}
