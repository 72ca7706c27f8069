using Vmap.Hal.Sim;

namespace Vmap.Sim.Bench;

/// <summary>
/// <c>bench purge</c>: the set-top-box story of seed 000. A lazy backlog of 24 576 pages
/// (Linux's lazy_max_pages on 4 CPUs) of one- to 16-page areas, scattered between live
/// areas so that every merge is real tree work, is purged while another core allocates and
/// frees. Reports the longest critical section with the board's purge chunk and with 0 (one
/// unbounded section, Linux 2016), each the lowest maximum of several repetitions: the host
/// OS can preempt a thread inside a section, which a board's preempt-off section cannot suffer.
/// </summary>
public static class PurgeBench
{
    public const int BacklogPages = 24_576;

    public sealed record Result(int BacklogPages, int BacklogAreas, int Chunk, double BoundedMaxCsMicros, double UnboundedMaxCsMicros, int Flushes)
    {
        public double Ratio => UnboundedMaxCsMicros / BoundedMaxCsMicros;
    }

    public static Result Run(VmapConfig config, int runs)
    {
        double bounded = double.MaxValue, unbounded = double.MaxValue;
        int areas = 0, flushes = 0;
        for (int r = 0; r <= runs; r++)
        {
            var (b, n, f) = RunOnce(config, config.PurgeChunk);
            var (u, _, _) = RunOnce(config, 0);
            if (r == 0) continue; // warm-up
            bounded = Math.Min(bounded, b);
            unbounded = Math.Min(unbounded, u);
            areas = n;
            flushes = f;
        }
        return new Result(BacklogPages, areas, config.PurgeChunk, bounded, unbounded, flushes);
    }

    private static (double MaxCsMicros, int Areas, int Flushes) RunOnce(VmapConfig baseConfig, int chunk)
    {
        VmapConfig config = baseConfig.Clone();
        config.Cores = 2;
        config.PurgeChunk = chunk;
        config.LazyMaxPages = int.MaxValue; // only the explicit purge below may run
        var sim = SimBoard.For(config);
        var a = new Allocator(sim.Board);
        if (a.Start(config) != Status.Ok) throw new UsageException(a.ConfigProblem ?? "start failed");

        // A fragmented busy span: each victim (to be freed) sits between two keepers.
        var rnd = new Random(42);
        var victims = new List<int>();
        int pages = 0;
        while (pages < BacklogPages)
        {
            int size = Math.Min(rnd.Next(1, 17), BacklogPages - pages);
            Check(a.AllocPages(1, 1, 0, out _));
            Check(a.AllocPages(size, 1, 1, out int v));
            victims.Add(v);
            pages += size;
        }
        for (int i = victims.Count - 1; i > 0; i--)
        {
            int j = rnd.Next(i + 1);
            (victims[i], victims[j]) = (victims[j], victims[i]);
        }
        foreach (int v in victims) Check(a.FreePages(v));
        if (a.LazyPages != BacklogPages) throw new InvalidOperationException($"backlog is {a.LazyPages} pages");

        // Another core allocates and frees while the purge runs.
        var stop = new ManualResetEventSlim();
        var other = new Thread(() =>
        {
            sim.Cores.Bind(1);
            var mine = new Queue<int>();
            while (!stop.IsSet)
            {
                if (a.AllocPages(4, 1, 2, out int p) == Status.Ok) mine.Enqueue(p);
                if (mine.Count > 64) a.FreePages(mine.Dequeue());
            }
            while (mine.Count > 0) a.FreePages(mine.Dequeue());
        });
        other.Start();
        Thread.Sleep(5);
        a.ResetLockStats();
        a.Purge();
        var stats = new Stats();
        a.GetStats(stats);
        stop.Set();
        other.Join();
        return (stats.TreeLock.MaxMicros, victims.Count, stats.Flushes);
    }

    private static void Check(Status s)
    {
        if (s != Status.Ok) throw new InvalidOperationException("purge benchmark set-up failed: " + StatusText.Describe(s));
    }
}
