using Vmap.Hal.Sim;

namespace Vmap.Sim.Bench;

/// <summary>
/// <c>bench drain</c>: seed 004 on the simulated board. Eight logical cores with zones on, a
/// span small enough to run out again and again, and only one or two cores allocating at a
/// time (the active cores move on every phase, leaving their caches behind). Every time space
/// runs out the allocator drains: it asks only the cores in the drain mask. Reports how many
/// cross-core requests were sent and saved by the allocator's own drains (not those of the
/// check below), and every allocation that failed although cached areas could have served it
/// (retried after a full drain and purge, it succeeded): spurious.
/// </summary>
public static class DrainBench
{
    public const int Cores = 8;

    public sealed record Result(int Drains, int RequestsSent, int RequestsSaved, int SpuriousEnomem, int Failures, int Phases)
    {
        public double SavedPct => RequestsSent + RequestsSaved == 0 ? 0 : 100.0 * RequestsSaved / (RequestsSent + RequestsSaved);
    }

    public static Result Run(VmapConfig baseConfig, int phases, int seed)
    {
        VmapConfig config = baseConfig.Clone();
        config.Cores = Cores;
        config.Zones = true;
        config.SpanSize = 2048UL * (ulong)config.PageSize; // 2048 pages: runs out every phase
        config.MaxAreas = 8192;
        config.LazyMaxPages = 256;
        config.SizeClassLimit = 32;
        var sim = SimBoard.For(config);
        var a = new Allocator(sim.Board);
        if (a.Start(config) != Status.Ok) throw new UsageException(a.ConfigProblem ?? "start failed");

        var rnd = new Random(seed);
        int spurious = 0, failures = 0;
        // The check after a failure drains every core itself; its drains are not the
        // allocator's and are left out of the figures.
        var before = new Stats();
        var after = new Stats();
        int checkDrains = 0, checkSent = 0, checkSaved = 0;
        var live = new List<int>[Cores];
        for (int c = 0; c < Cores; c++) live[c] = [];
        for (int phase = 0; phase < phases; phase++)
        {
            // One active core, and on every third phase a second one, taking turns.
            int first = phase % Cores;
            int[] active = phase % 3 == 2 ? [first, (first + 3) % Cores] : [first];
            int ops = 400;
            for (int i = 0; i < ops; i++)
            {
                int core = active[i % active.Length];
                sim.Cores.Bind(core);
                List<int> mine = live[core];
                if (mine.Count > 0 && rnd.Next(100) < 35)
                {
                    int k = rnd.Next(mine.Count);
                    a.FreePages(mine[k]);
                    mine[k] = mine[^1];
                    mine.RemoveAt(mine.Count - 1);
                    continue;
                }
                int pages = rnd.Next(1, 33);
                Status s = a.AllocPages(pages, 1, core, out int p);
                if (s == Status.Ok)
                {
                    mine.Add(p);
                    continue;
                }
                failures++;
                // Could cached or lazy space have served it? Give everything back and retry.
                a.GetStats(before);
                a.DrainCaches();
                a.Purge();
                a.DrainCaches();
                if (a.AllocPages(pages, 1, core, out p) == Status.Ok)
                {
                    spurious++;
                    mine.Add(p);
                }
                a.GetStats(after);
                checkDrains += after.Drains - before.Drains;
                checkSent += after.DrainRequestsSent - before.DrainRequestsSent;
                checkSaved += after.DrainRequestsSaved - before.DrainRequestsSaved;
                // The span is full: this core gives back half of what it holds.
                for (int k = mine.Count - 1; k >= mine.Count / 2; k--) a.FreePages(mine[k]);
                mine.RemoveRange(mine.Count / 2, mine.Count - mine.Count / 2);
            }
        }
        sim.Cores.Bind(0);
        string? problem = a.Validate();
        if (problem != null) throw new InvalidOperationException("invariant broken after the drain benchmark: " + problem);
        var st = new Stats();
        a.GetStats(st);
        return new Result(st.Drains - checkDrains, st.DrainRequestsSent - checkSent, st.DrainRequestsSaved - checkSaved, spurious, failures, phases);
    }
}
