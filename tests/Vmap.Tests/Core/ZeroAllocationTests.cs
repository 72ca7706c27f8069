namespace Vmap.Tests.Core;

/// <summary>Regime: after start-up, alloc, free and purge allocate no managed memory at all.</summary>
public sealed class ZeroAllocationTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)] // zones: the cache fast path, refills, decay on every purge, drains
    [InlineData(true, true)]  // and each zone's own threshold purges
    public void Hundred_thousand_mixed_operations_allocate_zero_bytes(bool zones, bool zonePurges)
    {
        var rig = new Rig(new VmapConfig
        {
            PageSize = 4096, SpanStart = 0x4000_0000, SpanSize = 1UL << 28, GuardPages = 1, MaxAreas = 8192, LazyMaxPages = 512, PurgeChunk = 8,
            Zones = zones, ZonePurges = zonePurges, Cores = 2, SizeClassLimit = 32,
        });
        rig.A.PurgeObserver = null;
        var live = new int[4096];
        int count = 0;
        var rnd = new Random(3);
        var sizes = new int[130_000];
        var aligns = new int[130_000];
        var coin = new int[130_000];
        for (int i = 0; i < sizes.Length; i++)
        {
            sizes[i] = rnd.Next(1, 65);
            aligns[i] = 1 << rnd.Next(0, 6);
            coin[i] = rnd.Next(100);
        }
        var stats = new Stats();
        rig.A.GetStats(stats); // the first call creates the meters of the snapshot

        void Run(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                if (count == 0 || (coin[i] < 55 && count < live.Length))
                {
                    if (rig.A.AllocPages(sizes[i], aligns[i], i, out int p) == Status.Ok) live[count++] = p;
                }
                else
                {
                    int k = coin[i] % count;
                    rig.A.FreePages(live[k]);
                    live[k] = live[--count];
                }
                if (i % 10_000 == 0) rig.A.Purge();
                if (i % 7_000 == 0) rig.A.DrainCaches();
                if (i % 3 == 0) rig.Sim.Cores.Bind(i % 2);
            }
            rig.A.GetStats(stats);
        }

        // Warm-up over every path (30 000 operations, purges and drains included) so that the JIT
        // has settled: a tier-up or type load inside the measured window would count its bytes.
        Run(0, 30_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(30_000, 130_000);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
        Assert.True(stats.Purges > 10, "the run must include purges");
        if (zones)
        {
            Assert.True(stats.ZoneHits > 1000 && stats.ZoneRefills > 10 && stats.Drains > 5, "the run must use every zone path");
        }
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }
}
