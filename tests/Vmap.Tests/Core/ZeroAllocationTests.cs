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
            Zones = zones, PurgeMode = zonePurges ? PurgeMode.Zones : PurgeMode.Global, Cores = 2, SizeClassLimit = 32,
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
        var warm = new Stats();
        rig.A.GetStats(stats); // the first call creates the meters of the snapshot
        rig.A.GetStats(warm);

        void Run(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                // Two phases in turn: a small live set (cache hits, refills, purges, decay),
                // then one that grows until the span runs out (purges and drains for space).
                bool filling = i / 10_000 % 3 == 2;
                int cap = filling ? live.Length : 300;
                if (count == 0 || (coin[i] < (filling ? 80 : 55) && count < cap))
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
        rig.A.GetStats(warm);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(30_000, 130_000);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);

        // Every path ran inside the measured window, not only in the warm-up.
        Assert.True(stats.Purges - warm.Purges > 10, "the window must include purges");
        Assert.True(stats.FailNoSpace - warm.FailNoSpace > 0, "the window must run out of space (purge and drain for space)");
        if (zones)
        {
            const int explicitDrains = 15; // DrainCaches every 7 000 operations of the 100 000
            Assert.True(stats.ZoneHits - warm.ZoneHits > 1000, "cache hits");
            Assert.True(stats.ZoneRefills - warm.ZoneRefills > 10, "refills");
            Assert.True(stats.PurgedToCaches - warm.PurgedToCaches > 100, "purges handing areas back to the caches");
            Assert.True(stats.DecayedAreas - warm.DecayedAreas > 0, "decay");
            Assert.True(stats.Drains - warm.Drains > explicitDrains, "drains for space");
        }
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }
}
