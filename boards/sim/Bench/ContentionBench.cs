using System.Diagnostics;
using System.Runtime;
using Vmap.Hal.Sim;

namespace Vmap.Sim.Bench;

/// <summary>
/// <c>bench contention</c>: the fix_size and random_size cases of Linux lib/test_vmalloc.c
/// (alloc then free one page; alloc then free 1 to 100 pages) on 1, 2, 4 and 8 threads, one
/// logical core each, with zones off (every operation under the free-tree lock) and on (with
/// zone purges, PurgeMode.Zones: the simulated board's flush costs nothing), in one
/// run. Per-operation time is each thread's elapsed time over its operations, averaged over the
/// threads; each figure is the best of several repetitions, after warm-up rounds until the JIT
/// has settled.
/// </summary>
public static class ContentionBench
{
    public static readonly int[] ThreadCounts = [1, 2, 4, 8];

    /// <summary>
    /// Warm-up rounds at most. In three runs of the default bench the JIT compiled its last
    /// method in round 9 (about 715 methods after the first round, 1034-1040 after the ninth),
    /// so the warm-up ended after 11. One quiet round is not enough: another run compiled
    /// nothing in its round 7, at 967 methods, short of that last wave. In a process that
    /// compiles other code meanwhile (the test host) the JIT never looks settled, so the cap
    /// bounds the wait.
    /// </summary>
    public const int MaxWarmupRounds = 16;

    /// <summary>How the threads of one timing share allocators.</summary>
    public enum Mode
    {
        /// <summary>One allocator, zones off: every operation under the free-tree lock.</summary>
        Global,

        /// <summary>One allocator, a zone per thread.</summary>
        Zones,

        /// <summary>
        /// An allocator per thread (one core, one zone, its own simulated board): nothing is
        /// shared, so what the threads still lose against one thread is the host's, not the
        /// allocator's. The floor the zones' scaling is judged against.
        /// </summary>
        Separate,
    }

    /// <summary>Per-operation times by thread count; <see cref="SeparateNsPerOp"/> only when the floor was asked for.</summary>
    public sealed record Result(int[] Threads, double[] GlobalNsPerOp, double[] ZonesNsPerOp, double[]? SeparateNsPerOp, int WarmupRounds);

    public static Result Run(VmapConfig baseConfig, int iterations, int runs, bool floor = false)
    {
        // Warm up until whole rounds compile no method. Until then the JIT's tiering thread
        // is still compiling hot methods on one of the cores (a run of the default bench went
        // from 737 to 989 compiled methods over its first four measured rounds): that slows the
        // runs that need every core, on this 2-core host those of 2 threads and more, and the
        // best of the repetitions would set a settled 1-thread run against unsettled ones.
        // Two quiet rounds in a row: the tiering thread waits for a pause in first compiles
        // (100 ms by default) before it optimises, and a short round can fit in that pause.
        Mode[] modes = floor ? [Mode.Global, Mode.Zones, Mode.Separate] : [Mode.Global, Mode.Zones];
        int warmups = 0;
        int quiet = 0;
        while (quiet < 2 && warmups < MaxWarmupRounds)
        {
            long compiled = JitInfo.GetCompiledMethodCount();
            RunRound(baseConfig, iterations, modes, null);
            warmups++;
            quiet = JitInfo.GetCompiledMethodCount() == compiled ? quiet + 1 : 0;
        }

        var best = new double[modes.Length][];
        for (int m = 0; m < modes.Length; m++)
        {
            best[m] = new double[ThreadCounts.Length];
            Array.Fill(best[m], double.MaxValue);
        }
        for (int r = 0; r < runs; r++) RunRound(baseConfig, iterations, modes, best);
        return new Result(ThreadCounts, best[0], best[1], floor ? best[2] : null, warmups);
    }

    /// <summary>
    /// One repetition at every thread count, the modes interleaved so they see the same machine
    /// conditions; keeps each mode's best time in <paramref name="best"/> when given.
    /// </summary>
    private static void RunRound(VmapConfig baseConfig, int iterations, Mode[] modes, double[][]? best)
    {
        for (int i = 0; i < ThreadCounts.Length; i++)
        {
            for (int m = 0; m < modes.Length; m++)
            {
                double ns = RunOnce(baseConfig, ThreadCounts[i], modes[m], iterations);
                if (best != null) best[m][i] = Math.Min(best[m][i], ns);
            }
        }
    }

    private static double RunOnce(VmapConfig baseConfig, int threads, Mode mode, int iterations)
    {
        int boards = mode == Mode.Separate ? threads : 1;
        var sims = new SimBoard[boards];
        var allocators = new Allocator[boards];
        // A cache line of spacer between the boards, so that allocators built back to back
        // share no line either: "separate" must mean nothing shared.
        var spacers = new int[boards + 1][];
        for (int b = 0; b < boards; b++)
        {
            spacers[b] = new int[16];
            VmapConfig config = baseConfig.Clone();
            config.Cores = mode == Mode.Separate ? 1 : threads;
            config.Zones = mode != Mode.Global;
            config.PurgeMode = config.Zones ? PurgeMode.Zones : PurgeMode.Global; // the sim board's flush is free: zones purge side by side
            config.LazyMaxPages = VmapConfig.DefaultLazyMaxPages;
            sims[b] = SimBoard.For(config);
            allocators[b] = new Allocator(sims[b].Board);
            if (allocators[b].Start(config) != Status.Ok) throw new UsageException(allocators[b].ConfigProblem ?? "start failed");
        }
        spacers[boards] = new int[16];
        var perOp = new double[threads];
        using var ready = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int thread = t;
            int board = mode == Mode.Separate ? t : 0;
            int core = mode == Mode.Separate ? 0 : t;
            workers[t] = new Thread(() =>
            {
                Allocator a = allocators[board];
                sims[board].Cores.Bind(core);
                var rnd = new Random(thread + 1);
                var sizes = new int[iterations];
                for (int i = 0; i < iterations; i++) sizes[i] = rnd.Next(1, 101);
                ready.SignalAndWait();
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < iterations; i++)
                {
                    // fix_size
                    if (a.AllocPages(1, 1, thread, out int p) == Status.Ok) a.FreePages(p);
                    // random_size
                    if (a.AllocPages(sizes[i], 1, thread, out p) == Status.Ok) a.FreePages(p);
                }
                long t1 = Stopwatch.GetTimestamp();
                perOp[thread] = Measure.Nanos(t0, t1) / (4.0 * iterations);
            });
            workers[t].Start();
        }
        ready.SignalAndWait();
        foreach (Thread w in workers) w.Join();
        GC.KeepAlive(spacers);
        foreach (Allocator a in allocators)
        {
            string? problem = a.Validate();
            if (problem != null) throw new InvalidOperationException("invariant broken after the contention benchmark: " + problem);
        }
        return perOp.Average();
    }
}
