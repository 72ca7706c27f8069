using System.Diagnostics;
using Vmap.Hal.Sim;

namespace Vmap.Sim.Bench;

/// <summary>
/// <c>bench contention</c>: the fix_size and random_size cases of Linux lib/test_vmalloc.c
/// (alloc then free one page; alloc then free 1 to 100 pages) on 1, 2, 4 and 8 threads, one
/// logical core each, with zones off (every operation under the free-tree lock) and on (with
/// zone purges, VmapConfig.ZonePurges: the simulated board's flush costs nothing), in one
/// run. Per-operation time is each thread's elapsed time over its operations, averaged over the
/// threads; each figure is the best of several repetitions.
/// </summary>
public static class ContentionBench
{
    public static readonly int[] ThreadCounts = [1, 2, 4, 8];

    public sealed record Result(int[] Threads, double[] GlobalNsPerOp, double[] ZonesNsPerOp);

    public static Result Run(VmapConfig baseConfig, int iterations, int runs)
    {
        var global = new double[ThreadCounts.Length];
        var zones = new double[ThreadCounts.Length];
        Array.Fill(global, double.MaxValue);
        Array.Fill(zones, double.MaxValue);
        for (int r = 0; r <= runs; r++)
        {
            for (int i = 0; i < ThreadCounts.Length; i++)
            {
                // Interleaved so both modes see the same machine conditions; run 0 warms up.
                double g = RunOnce(baseConfig, ThreadCounts[i], false, iterations);
                double z = RunOnce(baseConfig, ThreadCounts[i], true, iterations);
                if (r == 0) continue;
                global[i] = Math.Min(global[i], g);
                zones[i] = Math.Min(zones[i], z);
            }
        }
        return new Result(ThreadCounts, global, zones);
    }

    private static double RunOnce(VmapConfig baseConfig, int threads, bool zonesOn, int iterations)
    {
        VmapConfig config = baseConfig.Clone();
        config.Cores = threads;
        config.Zones = zonesOn;
        config.ZonePurges = zonesOn; // the sim board's flush is free: zones purge side by side
        config.LazyMaxPages = VmapConfig.DefaultLazyMaxPages;
        var sim = SimBoard.For(config);
        var a = new Allocator(sim.Board);
        if (a.Start(config) != Status.Ok) throw new UsageException(a.ConfigProblem ?? "start failed");
        var perOp = new double[threads];
        using var ready = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int core = t;
            workers[t] = new Thread(() =>
            {
                sim.Cores.Bind(core);
                var rnd = new Random(core + 1);
                var sizes = new int[iterations];
                for (int i = 0; i < iterations; i++) sizes[i] = rnd.Next(1, 101);
                ready.SignalAndWait();
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < iterations; i++)
                {
                    // fix_size
                    if (a.AllocPages(1, 1, core, out int p) == Status.Ok) a.FreePages(p);
                    // random_size
                    if (a.AllocPages(sizes[i], 1, core, out p) == Status.Ok) a.FreePages(p);
                }
                long t1 = Stopwatch.GetTimestamp();
                perOp[core] = Measure.Nanos(t0, t1) / (4.0 * iterations);
            });
            workers[t].Start();
        }
        ready.SignalAndWait();
        foreach (Thread w in workers) w.Join();
        string? problem = a.Validate();
        if (problem != null) throw new InvalidOperationException("invariant broken after the contention benchmark: " + problem);
        return perOp.Average();
    }
}
