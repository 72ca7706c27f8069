using System.Diagnostics;
using Vmap.Hal.Sim;

namespace Vmap.Sim.Bench;

/// <summary>
/// <c>bench busy-list</c>: the long_busy_list case of Linux lib/test_vmalloc.c. With 15 000
/// live one-page areas, then without, repeat: alloc 100 pages, alloc 1 page, free both. The
/// search must not grow with the number of busy areas, so the ratio should stay near 1.
/// </summary>
public static class BusyListBench
{
    public const int BusyAreas = 15_000;

    public sealed record Result(double NsPerOpEmpty, double NsPerOpBusy)
    {
        public double Ratio => NsPerOpBusy / NsPerOpEmpty;
    }

    public static Result Run(VmapConfig config, int iterations, int runs)
    {
        double empty = double.MaxValue, busy = double.MaxValue;
        for (int r = 0; r <= runs; r++)
        {
            // Interleaved so that both see the same machine conditions; run 0 is the warm-up.
            double e = RunOnce(config, false, iterations);
            double b = RunOnce(config, true, iterations);
            if (r == 0) continue;
            empty = Math.Min(empty, e);
            busy = Math.Min(busy, b);
        }
        return new Result(empty, busy);
    }

    private static double RunOnce(VmapConfig config, bool withBusy, int iterations)
    {
        var sim = SimBoard.For(config);
        var a = new Allocator(sim.Board);
        if (a.Start(config) != Status.Ok) throw new UsageException(a.ConfigProblem ?? "start failed");
        if (withBusy)
        {
            for (int i = 0; i < BusyAreas; i++)
            {
                if (a.AllocPages(1, 1, i, out _) != Status.Ok) throw new InvalidOperationException("the span is too small for the busy list");
            }
        }
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < iterations; i++)
        {
            a.AllocPages(100, 1, 1, out int p1);
            a.AllocPages(1, 1, 2, out int p2);
            a.FreePages(p1);
            a.FreePages(p2);
        }
        long t1 = Stopwatch.GetTimestamp();
        return Measure.Nanos(t0, t1) / (4.0 * iterations);
    }
}
