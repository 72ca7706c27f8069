using System.CommandLine;
using Vmap.Hal.Sim;

namespace Vmap.Sim;

/// <summary>
/// <c>run</c>: a short built-in workload on the simulated board with a board's profile, then
/// the allocator's state: counters, critical sections against the budget, and the listing.
/// </summary>
public static class RunVerb
{
    public static Command Build(TextWriter output)
    {
        var board = new Option<string>("--board") { Description = "Board profile (default: sim)", DefaultValueFactory = _ => "sim" };
        var ops = new Option<int>("--ops") { Description = "Operations in the workload", DefaultValueFactory = _ => 200_000 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var cmd = new Command("run", "Run a workload on the simulated board and show the allocator's state");
        cmd.Options.Add(board);
        cmd.Options.Add(ops);
        cmd.Options.Add(seed);
        cmd.SetAction(r =>
        {
            var profile = Cli.LoadBoard(r.GetValue(board)!);
            VmapConfig config = profile.ToConfig();
            config.Cores = 1;
            var sim = SimBoard.For(config, profile.FlushFixedMicros, profile.FlushPerPageMicros);
            var a = new Allocator(sim.Board);
            if (a.Start(config) != Status.Ok) throw new UsageException(a.ConfigProblem ?? "start failed");
            var rnd = new Random(r.GetValue(seed));
            var live = new List<int>();
            int n = Math.Max(1, r.GetValue(ops));
            int maxPages = Math.Max(1, Math.Min(256, config.SpanPages / 64));
            int enomem = 0;
            for (int i = 0; i < n; i++)
            {
                if (live.Count == 0 || rnd.Next(2) == 0)
                {
                    int align = rnd.Next(10) < 3 ? 1 << rnd.Next(1, 5) : 1;
                    if (a.AllocPages(rnd.Next(1, maxPages + 1), align, i, out int p) == Status.Ok) live.Add(p);
                    else enomem++;
                }
                else
                {
                    int k = rnd.Next(live.Count);
                    a.FreePages(live[k]);
                    live[k] = live[^1];
                    live.RemoveAt(live.Count - 1);
                }
            }
            var s = new Stats();
            a.GetStats(s);
            output.WriteLine($"board {profile.Name}: {profile.Note}");
            output.WriteLine($"workload: {n} operations, {s.Allocs} allocs, {s.Frees} frees, {enomem} failed (no memory)");
            output.WriteLine($"fits: full {s.Fits[0]}, left edge {s.Fits[1]}, right edge {s.Fits[2]}, no edge {s.Fits[3]}; preload refills {s.PreloadRefills}, hits {s.PreloadHits}, misses {s.PreloadMisses}");
            output.WriteLine($"space: {s.LiveAreas} live areas ({s.LivePages} pages), {s.FreePages} free pages, largest free block {s.LargestFreeBlock} pages, {s.LazyPages} lazy pages (threshold {s.LazyMaxPages})");
            output.WriteLine($"purges {s.Purges} ({s.PurgedAreas} areas, {s.PurgedPages} pages), flushes {s.Flushes}");
            output.WriteLine($"critical sections: {s.TreeLock.Count}, longest {s.TreeLock.MaxMicros:F2} us, {s.TreeLock.OverBudget} over the {profile.CsBudgetMicros} us budget");
            string? problem = a.Validate();
            output.WriteLine(problem == null ? "invariants: all hold" : "invariants: BROKEN: " + problem);
            string[] listing = a.VmallocInfo().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            output.WriteLine($"vmallocinfo ({listing.Length} areas, first 5):");
            foreach (string line in listing.Take(5)) output.WriteLine("  " + line);
            return problem == null ? 0 : 1;
        });
        return cmd;
    }
}
