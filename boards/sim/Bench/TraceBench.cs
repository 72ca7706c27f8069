using System.Diagnostics;
using Vmap.Hal.Sim;
using Vmap.Sim.Trace;

namespace Vmap.Sim.Bench;

/// <summary>
/// <c>bench trace</c>: replays a parsed trace on the simulated board and times only the
/// operations (a warm-up run, then the best of several). Also measures the managed bytes the
/// timed part allocates, which must be 0.
/// </summary>
public static class TraceBench
{
    public sealed record Result(int Ops, double NsPerOp, int Allocs, int Frees, int Enomem, long AllocatedBytes, int Purges, double MaxCsMicros);

    public static Result Run(Trace.Trace trace, VmapConfig config, int runs)
    {
        Result? best = null;
        for (int r = 0; r <= runs; r++)
        {
            Result one = RunOnce(trace, config);
            if (r == 0) continue; // warm-up: JIT tiers, caches
            if (best == null || one.NsPerOp < best.NsPerOp) best = one with { AllocatedBytes = Math.Max(one.AllocatedBytes, best?.AllocatedBytes ?? 0) };
            else best = best with { AllocatedBytes = Math.Max(one.AllocatedBytes, best.AllocatedBytes) };
        }
        return best!;
    }

    private static Result RunOnce(Trace.Trace trace, VmapConfig config)
    {
        var sim = SimBoard.For(config);
        var a = new Allocator(sim.Board);
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
}
