namespace Vmap.Tests.Core;

/// <summary>
/// The record pool is sized from the span (VmapConfig.MaxAreas = 0): what the span can ever
/// need, so no workload runs it dry; MaxAreas, when set, only caps it.
/// </summary>
public sealed class PoolSizeTests
{
    [Theory]
    [InlineData(64, 0, 2, 67)]        // the esp32 window: 64 one-page ranges, 2 preload slots, a spare
    [InlineData(128, 0, 1, 130)]      // esp32c3
    [InlineData(4096, 1, 1, 2734)]    // stm32f769: 2 * (4096 / 3) + 2 ranges
    public void The_pool_is_what_the_span_can_need(int spanPages, int guard, int cores, int records)
    {
        VmapConfig c = Rig.Small(spanPages, guard, maxAreas: 0, cores: cores);
        Assert.Equal(records, c.PoolCapacity());
        var rig = new Rig(c);
        Assert.Equal(records, rig.Stats().PoolCapacity);
    }

    [Fact]
    public void MaxAreas_caps_the_pool_and_the_heap_limit_caps_everything()
    {
        Assert.Equal(100, Rig.Small(4096, 0, maxAreas: 100).PoolCapacity());
        Assert.Equal(4096 + 2, Rig.Small(4096, 0, maxAreas: 100_000).PoolCapacity());
        var huge = new VmapConfig { PageSize = 4096, SpanSize = 1UL << 32, GuardPages = 0, MaxAreas = 0 };
        Assert.Equal(VmapConfig.MaxPoolCapacity, huge.PoolCapacity());
    }

    [Theory]
    [InlineData(0, false, 11)]
    [InlineData(1, false, 12)]
    [InlineData(0, true, 13)]
    [InlineData(2, true, 14)]
    public void A_pool_sized_from_the_span_never_runs_dry_in_the_worst_fragmentation(int guard, bool zones, int seed)
    {
        // Every page allocated one at a time, every other area freed (the most ranges a span
        // can hold), then random churn: never NoRecords, and everything checks.
        VmapConfig c = Rig.Small(256, guard, maxAreas: 0, lazyMaxPages: 8, cores: 2, zones: zones);
        c.SizeClassLimit = 4;
        var rig = new Rig(c);
        var live = new List<int>();
        while (rig.A.AllocPages(1, 1, 0, out int p) == Status.Ok) live.Add(p);
        for (int i = 0; i < live.Count; i += 2) rig.Free(live[i]);
        live = live.Where((_, i) => i % 2 == 1).ToList();
        rig.A.Purge();
        rig.Check("after the comb");
        var rnd = new Random(seed);
        for (int op = 0; op < 20_000; op++)
        {
            rig.Sim.Cores.Bind(rnd.Next(2));
            if (live.Count > 0 && rnd.Next(2) == 0)
            {
                int k = rnd.Next(live.Count);
                rig.Free(live[k]);
                live[k] = live[^1];
                live.RemoveAt(live.Count - 1);
                continue;
            }
            Status s = rig.A.AllocPages(rnd.Next(1, 4), 1 << rnd.Next(3), 0, out int page);
            Assert.True(s != Status.NoRecords, $"seed {seed}, op {op}: NoRecords with a pool sized from the span");
            if (s == Status.Ok) live.Add(page);
        }
        rig.Sim.Cores.Bind(0);
        rig.Check($"seed {seed}");
    }
}
