using Xunit.Abstractions;

namespace Vmap.Tests.Core;

/// <summary>
/// Regime: single core, seeded random operation sequences. The allocator must place every
/// area exactly where the linear-scan reference puts it, and keep every invariant after every
/// operation, for every mix of sizes, alignments, guard pages, spans, lazy thresholds and
/// pool sizes.
/// </summary>
public sealed class ModelPropertyTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int, int, int, int> Cases()
    {
        // seed, span pages, guard, max align (pages), lazy threshold (-1 default), pool size
        var d = new TheoryData<int, int, int, int, int, int>();
        int[] seeds = [1, 2, 3, 4, 5, 6, 7, 8];
        foreach (int seed in seeds)
        {
            d.Add(seed, 64, 0, 8, 0, 4096);                   // tiny span, purge on every free
            d.Add(seed, 1024, 1, 64, 16, 4096);               // small span, guard, small threshold
            d.Add(seed, 4096, 0, 256, -1, 4096);              // default threshold: purge only on overflow
            d.Add(seed, 1 << 20, 1, 1 << 20, 4096, 8192);     // big span, alignments up to 2^20 pages
            d.Add(seed, 2048, 1, 32, 1, 24);                  // pool exhaustion: 24 records
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_reference_first_fit(int seed, int spanPages, int guard, int maxAlign, int lazyMax, int pool)
        => MatchReference(seed, spanPages, guard, maxAlign, lazyMax, pool, zonesOnCore1: false);

    /// <summary>
    /// The same sequences on core 1 of two, zones on, with sizes beyond the one cached class:
    /// a zone's misses carve at the reference's lowest fit too, whatever its core.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void On_a_second_core_with_zones_areas_match_reference_first_fit(int seed, int spanPages, int guard, int maxAlign, int lazyMax, int pool)
        => MatchReference(seed, spanPages, guard, maxAlign, lazyMax, pool, zonesOnCore1: true);

    private void MatchReference(int seed, int spanPages, int guard, int maxAlign, int lazyMax, int pool, bool zonesOnCore1)
    {
        output.WriteLine($"seed={seed} span={spanPages} guard={guard} maxAlign={maxAlign} lazyMax={lazyMax} pool={pool}" + (zonesOnCore1 ? " zones, core 1" : ""));
        VmapConfig config = Rig.Small(spanPages, guard, pool, lazyMax);
        if (zonesOnCore1)
        {
            config.Cores = 2;
            config.Zones = true;
            config.SizeClassLimit = 1; // every request below has 2 pages or more: no cache
        }
        var rig = new Rig(config);
        if (zonesOnCore1) rig.Sim.Cores.Bind(1);
        var model = new RefModel(spanPages, (long)(rig.Config.SpanStart / 4096));
        rig.OnPurgeHook = model.Purge;
        var rnd = new Random(seed);
        var live = new List<(int Page, int Reserve)>();
        int maxSize = Math.Max(1, Math.Min(256, spanPages / 8));
        for (int op = 0; op < 3000; op++)
        {
            string ctx = $"(seed {seed}, op {op})";
            if (live.Count == 0 || rnd.Next(100) < 55)
            {
                int pages = rnd.Next(100) < 10 ? rnd.Next(1, spanPages / 2 + 1) : rnd.Next(1, maxSize + 1);
                if (zonesOnCore1 && pages == 1) pages = 2;
                int align = rnd.Next(100) < 30 ? 1 << rnd.Next(0, BitLength(maxAlign)) : 1;
                int reserve = pages + guard;
                int purgesBefore = rig.Purges.Count;
                Status s = rig.A.AllocPages(pages, align, op, out int page);
                int expected = model.LowestFit(reserve, align);
                if (s == Status.Ok)
                {
                    Assert.True(expected == page, $"{ctx} alloc {pages}p align {align}: got page {page}, reference {expected}");
                    model.Take(page, reserve);
                    live.Add((page, reserve));
                }
                else if (s == Status.NoSpace)
                {
                    Assert.True(expected < 0, $"{ctx} alloc {pages}p align {align}: NoSpace but the reference fits at {expected}");
                }
                else
                {
                    Assert.True(s == Status.NoRecords, $"{ctx} unexpected {s}");
                    Assert.True(pool < 100, $"{ctx} NoRecords with a big pool");
                }
                _ = purgesBefore;
            }
            else
            {
                int i = rnd.Next(live.Count);
                var (page, reserve) = live[i];
                live.RemoveAt(i);
                model.FreeLazy(page, reserve);
                rig.Free(page);
            }
            rig.Check(ctx);
            if (op % 200 == 0)
            {
                Stats st = rig.Stats();
                Assert.Equal(live.Count, st.LiveAreas);
                Assert.Equal(model.FreePages, st.FreePages);
                Assert.Equal(model.LargestBlock, st.LargestFreeBlock);
            }
        }
        // Everything back: one free block after a purge.
        foreach (var (page, reserve) in live)
        {
            model.FreeLazy(page, reserve);
            rig.Free(page);
        }
        rig.A.Purge();
        rig.Check("after freeing everything");
        Stats end = rig.Stats();
        Assert.Equal(spanPages, end.FreePages);
        Assert.Equal(spanPages, end.LargestFreeBlock);
        Assert.Equal(0, end.LazyPages);
        Assert.Equal(0, rig.Sim.Mmu.StalePages());
        Assert.Equal(0, rig.Sim.Mmu.MappedPages);
        rig.Sim.Cores.Bind(0);
    }

    private static int BitLength(int x) => 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)x);

    /// <summary>
    /// Regime: the same seeded sequences with zones on and the allocating core switching: the
    /// placement is no longer lowest-first-fit (caches serve first), so the checks are the
    /// invariants after every operation, the shadow MMU, and every page back at the end.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void With_zones_every_invariant_holds_after_every_operation(int seed, int spanPages, int guard, int maxAlign, int lazyMax, int pool)
    {
        output.WriteLine($"seed={seed} span={spanPages} guard={guard} maxAlign={maxAlign} lazyMax={lazyMax} pool={pool} zones");
        VmapConfig cfg = Rig.Small(spanPages, guard, Math.Max(pool, 64), lazyMax, cores: 3, zones: true);
        cfg.SizeClassLimit = 16;
        var rig = new Rig(cfg);
        var rnd = new Random(seed);
        var live = new List<int>();
        int maxSize = Math.Max(1, Math.Min(64, spanPages / 8));
        for (int op = 0; op < 2000; op++)
        {
            rig.Sim.Cores.Bind(rnd.Next(3));
            if (live.Count == 0 || rnd.Next(100) < 55)
            {
                int pages = rnd.Next(1, maxSize + 1);
                int align = rnd.Next(100) < 30 ? 1 << rnd.Next(0, BitLength(Math.Min(maxAlign, 64))) : 1;
                Status s = rig.A.AllocPages(pages, align, op, out int page);
                if (s == Status.Ok)
                {
                    Assert.Equal(0, (page + (int)(rig.Config.SpanStart / 4096)) & (align - 1));
                    live.Add(page);
                }
                else Assert.True(StatusText.IsNoMemory(s), $"(seed {seed}, op {op}) unexpected {s}");
            }
            else
            {
                int i = rnd.Next(live.Count);
                rig.Free(live[i]);
                live.RemoveAt(i);
            }
            rig.Check($"(seed {seed}, op {op})");
        }
        rig.Sim.Cores.Bind(0);
        foreach (int page in live) rig.Free(page);
        rig.A.Purge();
        rig.A.DrainCaches();
        rig.Check("after freeing everything");
        Stats end = rig.Stats();
        Assert.Equal(spanPages, end.FreePages);
        Assert.Equal(1, end.FreeBlocks);
        Assert.Equal(0, rig.Sim.Mmu.MappedPages);
    }
}
