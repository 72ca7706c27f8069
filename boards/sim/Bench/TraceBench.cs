using System.Diagnostics;
using Vmap.Hal;
using Vmap.Hal.Sim;
using Vmap.Sim.Trace;

namespace Vmap.Sim.Bench;

/// <summary>
/// <c>bench trace</c>: replays a parsed trace on the simulated board and times only the
/// operations (a warm-up run, then the best of several). Also measures the managed bytes the
/// timed part allocates, which must be 0.
/// <para>
/// With a breakdown, the same trace also runs on boards that leave out the board's own costs:
/// a clock that always reads 0 (critical sections are still metered, but the two clock reads
/// per section cost nothing), an MMU that keeps no shadow page table, and both. The differences
/// show what timing every critical section and checking every map, unmap and flush cost per
/// operation, and the last figure is the allocator's own work.
/// </para>
/// </summary>
public static class TraceBench
{
    public sealed record Result(int Ops, double NsPerOp, int Allocs, int Frees, int Enomem, long AllocatedBytes, int Purges, double MaxCsMicros);

    /// <summary>Which of the simulated board's parts a run replaces with free stand-ins.</summary>
    [Flags]
    public enum Without
    {
        Nothing = 0,
        Clock = 1,
        Mmu = 2,
    }

    /// <summary>Best ns per operation for each variant of the board, measured interleaved in one run.</summary>
    public sealed record Breakdown(double Full, double NoClock, double NoMmu, double Bare);

    public static Result Run(Trace.Trace trace, VmapConfig config, int runs) => Run(trace, config, runs, Without.Nothing);

    /// <summary>
    /// Runs the trace on the four boards in turn, <paramref name="runs"/> times each after a
    /// warm-up of each, interleaved so all four see the same machine conditions.
    /// </summary>
    public static Breakdown RunBreakdown(Trace.Trace trace, VmapConfig config, int runs)
    {
        Without[] variants = [Without.Nothing, Without.Clock, Without.Mmu, Without.Clock | Without.Mmu];
        var best = new double[variants.Length];
        Array.Fill(best, double.MaxValue);
        for (int r = 0; r <= runs; r++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                double ns = RunOnce(trace, config, variants[v]).NsPerOp;
                if (r > 0) best[v] = Math.Min(best[v], ns);
            }
        }
        return new Breakdown(best[0], best[1], best[2], best[3]);
    }

    private static Result Run(Trace.Trace trace, VmapConfig config, int runs, Without without)
    {
        Result? best = null;
        for (int r = 0; r <= runs; r++)
        {
            Result one = RunOnce(trace, config, without);
            if (r == 0) continue; // warm-up: JIT tiers, caches
            if (best == null || one.NsPerOp < best.NsPerOp) best = one with { AllocatedBytes = Math.Max(one.AllocatedBytes, best?.AllocatedBytes ?? 0) };
            else best = best with { AllocatedBytes = Math.Max(one.AllocatedBytes, best.AllocatedBytes) };
        }
        return best!;
    }

    private static Result RunOnce(Trace.Trace trace, VmapConfig config, Without without)
    {
        var sim = SimBoard.For(config);
        IClock clock = (without & Without.Clock) != 0 ? new StoppedClock(sim.Clock.TicksPerSecond) : sim.Board.Clock;
        IMmu mmu = (without & Without.Mmu) != 0 ? new NoMmu() : sim.Mmu;
        var a = new Allocator(new Board(clock, sim.Cores, mmu, sim.Drain));
        if (a.Start(config) != Status.Ok) throw new UsageException(a.ConfigProblem ?? "start failed");
        var address = new ulong[trace.Slots];
        OpKind[] kind = trace.Kind;
        int[] slot = trace.Slot;
        ulong[] size = trace.Size;
        ulong[] align = trace.Align;
        int n = trace.Count;
        int allocs = 0, frees = 0, enomem = 0;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        long bytes0 = GC.GetAllocatedBytesForCurrentThread();
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            switch (kind[i])
            {
                case OpKind.Alloc:
                    if (a.Alloc(size[i], align[i], 0, out address[slot[i]]) == Status.Ok) allocs++;
                    else enomem++;
                    break;
                case OpKind.Free:
                    ulong addr = address[slot[i]];
                    if (addr != 0 && a.Free(addr) == Status.Ok) frees++;
                    address[slot[i]] = 0;
                    break;
                default:
                    a.Purge();
                    break;
            }
        }
        long t1 = Stopwatch.GetTimestamp();
        long bytes1 = GC.GetAllocatedBytesForCurrentThread();

        var stats = new Stats();
        a.GetStats(stats);
        string? problem = a.Validate();
        if (problem != null) throw new InvalidOperationException("invariant broken after the benchmark: " + problem);
        return new Result(n, Measure.Nanos(t0, t1) / n, allocs, frees, enomem, bytes1 - bytes0, stats.Purges, stats.TreeLock.MaxMicros);
    }

    /// <summary>A clock that always reads 0: every critical section measures 0 ticks.</summary>
    private sealed class StoppedClock(long ticksPerSecond) : IClock
    {
        public long Ticks => 0;

        public long TicksPerSecond => ticksPerSecond;
    }

    /// <summary>An MMU that maps, unmaps and flushes nothing and checks nothing.</summary>
    private sealed class NoMmu : IMmu
    {
        public bool Map(int page, int count) => true;

        public bool Unmap(int page, int count) => true;

        public bool FlushTlb(int page, int count) => true;
    }
}
