using System.Collections.Concurrent;

namespace Vmap.Tests.Zones;

/// <summary>Regime: core zones on: the cache fast path, refills, cross-core frees, decay, drains and the drain mask.</summary>
public sealed class ZoneTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static Rig ZoneRig(int cores = 4, int spanPages = 4096, int guard = 1, int lazyMax = 64, int classLimit = 16, int maxAreas = 8192, bool zonePurges = false)
    {
        VmapConfig c = Rig.Small(spanPages, guard, maxAreas, lazyMax, cores);
        c.Zones = true;
        c.PurgeMode = zonePurges ? PurgeMode.Zones : PurgeMode.Global;
        c.SizeClassLimit = classLimit;
        c.PurgeChunk = 8;
        return new Rig(c);
    }

    [Fact]
    public void A_new_board_starts_its_creating_thread_on_core_0_whatever_an_earlier_board_bound()
    {
        // Core bindings are per thread; a test that ended bound to core 3 must not move the
        // next test's allocations on the same worker thread to another zone.
        new Rig(Rig.Small(cores: 4)).Sim.Cores.Bind(3);
        var rig = new Rig(Rig.Small(cores: 2));
        Assert.Equal(0, rig.Sim.Cores.Current);
    }

    [Fact]
    public void A_refill_caches_areas_and_the_next_allocations_of_the_class_skip_the_free_tree()
    {
        var rig = ZoneRig();
        rig.Sim.Cores.Bind(1);
        int first = rig.Alloc(2);
        Stats s = rig.Stats();
        Assert.Equal(1, s.ZoneRefills);
        Assert.True(s.CachedAreas > 0, "the refill cached nothing");
        int treeSections = s.TreeLock.Count;
        var pages = Enumerable.Range(0, s.CachedAreas).Select(_ => rig.Alloc(2)).ToList();
        s = rig.Stats();
        Assert.Equal(pages.Count, s.ZoneHits);
        Assert.Equal(treeSections + 1, s.TreeLock.Count); // only the stats snapshot took the free-tree lock
        Assert.Equal(0, s.DrainMask & (1 << 1));           // the cache is empty again: bit cleared
        Assert.DoesNotContain(first, pages);
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }

    [Fact]
    public void Two_cores_carve_at_the_lowest_fit_and_the_free_space_stays_one_block()
    {
        var rig = ZoneRig(cores: 2, spanPages: 4096, guard: 1, classLimit: 16);
        Assert.Equal(0, rig.Alloc(2));               // core 0: the lowest fit, then its refill run above
        int cached0 = rig.Stats().CachedAreas;
        rig.Sim.Cores.Bind(1);
        Assert.Equal(3 + 3 * cached0, rig.Alloc(2)); // core 1: the lowest fit above core 0's run...
        int cached1 = rig.Stats().CachedAreas - cached0;
        Assert.True(cached0 > 0 && cached1 > 0, "a miss refilled no cache");
        int big = rig.Alloc(40);                     // ...its refill run above it, then a size beyond the classes
        Assert.Equal(6 + 3 * (cached0 + cached1), big);
        Stats s = rig.Stats();
        Assert.Equal(4096 - big - 41, s.FreePages);
        Assert.Equal(s.FreePages, s.LargestFreeBlock); // one block above everything carved
        int aligned = rig.Alloc(4, align: 64);
        Assert.Equal(0, aligned % 64);
        Assert.Equal((big + 41 + 63) / 64 * 64, aligned);
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }

    [Fact]
    public void An_unaligned_cached_area_stays_cached_and_the_request_goes_to_the_tree()
    {
        var rig = ZoneRig(guard: 0);
        rig.Alloc(1);                                  // refill: class 1 now caches areas at pages 1, 2, ...
        int cachedBefore = rig.Stats().CachedAreas;
        Assert.True(cachedBefore > 0);
        int p = rig.Alloc(1, align: 64);
        Assert.Equal(0, p % 64);
        Stats s = rig.Stats();
        Assert.True(s.CachedAreas >= cachedBefore, "an unaligned cached area was lost or used");
        rig.Check();
    }

    [Fact]
    public void A_free_from_another_core_goes_to_the_owning_zone_and_comes_back_to_its_cache()
    {
        var rig = ZoneRig(lazyMax: 100_000);
        rig.Sim.Cores.Bind(2);
        int p = rig.Alloc(3);
        rig.Sim.Cores.Bind(3);
        rig.Free(p);                                  // another core frees core 2's area
        Assert.Equal(0, rig.Stats().LiveAreas);
        rig.A.Purge();
        Stats s = rig.Stats();
        Assert.True(s.PurgedToCaches >= 1, "the purge did not hand the area back to a zone cache");
        Assert.NotEqual(0, s.DrainMask & (1 << 2));   // core 2's cache holds it
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void With_zone_purges_a_threshold_purge_takes_only_the_zone_over_its_share_and_a_purge_on_demand_takes_every_zone(bool zones, bool zonePurges)
    {
        // Threshold 40 pages on two cores: a zone's share is 20. Areas of 17 pages have no size
        // class, so every purge merges them into the free tree.
        VmapConfig c = Rig.Small(spanPages: 1024, guard: 0, lazyMaxPages: 40, cores: 2);
        c.Zones = zones;
        c.PurgeMode = zonePurges ? PurgeMode.Zones : PurgeMode.Global;
        c.SizeClassLimit = 16;
        var rig = new Rig(c);
        int a0 = rig.Alloc(17);                      // core 0
        rig.Sim.Cores.Bind(1);
        var b = Enumerable.Range(0, 3).Select(_ => rig.Alloc(17)).ToList();
        rig.Sim.Cores.Bind(0);
        rig.Free(a0);                                // zone 0: 17 lazy pages, under its share
        rig.Sim.Cores.Bind(1);
        rig.Free(b[0]);                              // 34 in all: under the threshold
        Assert.Empty(rig.Purges);
        rig.Free(b[1]);                              // zone 1 at 34 > 20 and 51 > 40 in all: purge
        Assert.Single(rig.Purges);
        if (zonePurges)
        {
            // Zone 1's own purge: its two areas and one flush of their range; zone 0's stays lazy.
            int low = Math.Min(b[0], b[1]);
            Assert.Equal((2, 34, Addr(low), Addr(Math.Max(b[0], b[1]) + 17)), rig.Purges[0]);
            Assert.Equal(17, rig.A.LazyPages);
            rig.Sim.Cores.Bind(0);
            Assert.Equal(Status.Ok, rig.A.Purge()); // on demand: every zone, here only zone 0 has any
            Assert.Equal((1, 17, Addr(a0), Addr(a0 + 17)), rig.Purges[1]);
        }
        else
        {
            Assert.Equal(3, rig.Purges[0].Areas);    // one purge takes every zone's areas, one flush
            rig.Sim.Cores.Bind(0);
        }
        Stats s = rig.Stats();
        Assert.Equal(0, s.LazyPages);
        Assert.Equal(zonePurges ? 2 : 1, s.Purges);
        Assert.Equal(s.Purges, s.Flushes);
        Assert.Equal(51, s.PurgedPages);
        Assert.Equal(0, s.PurgeOverlaps);
        rig.Free(b[2]);
        rig.Check();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void With_zone_purges_a_zone_over_its_share_purges_though_the_total_is_under_the_threshold(bool zonePurges)
    {
        // Threshold 40 pages on two cores, a share of 20; only core 1 frees: 34 pages in all.
        VmapConfig c = Rig.Small(spanPages: 1024, guard: 0, lazyMaxPages: 40, cores: 2);
        c.Zones = true;
        c.PurgeMode = zonePurges ? PurgeMode.Zones : PurgeMode.Global;
        c.SizeClassLimit = 16;
        var rig = new Rig(c);
        rig.Sim.Cores.Bind(1);
        int a = rig.Alloc(17);
        int b = rig.Alloc(17);
        rig.Free(a);
        rig.Free(b);
        if (zonePurges)
        {
            // The share is the zone's own threshold: it purges at 34 > 20, and no sooner.
            Assert.Equal((2, 34, Addr(Math.Min(a, b)), Addr(Math.Max(a, b) + 17)), Assert.Single(rig.Purges));
            Assert.Equal(0, rig.A.LazyPages);
        }
        else
        {
            Assert.Empty(rig.Purges);                 // 34 is under the threshold of 40
            Assert.Equal(34, rig.A.LazyPages);
        }
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }

    private static ulong Addr(int page) => 0x4000_0000UL + (ulong)page * 4096;

    /// <summary>Core 1 allocates 96 one-page areas (three refills of 32) and frees them; a purge puts all 96 back in its class-1 cache.</summary>
    private static Rig NinetySixCachedOnCore1()
    {
        var rig = ZoneRig(cores: 2, lazyMax: 100_000, classLimit: 4);
        rig.Sim.Cores.Bind(1);
        var areas = Enumerable.Range(0, 96).Select(_ => rig.Alloc(1)).ToList();
        foreach (int a in areas) rig.Free(a);
        rig.A.Purge();
        Assert.Equal(96, rig.Stats().CachedAreas);     // all back, none idle yet
        return rig;
    }

    [Fact]
    public void Purges_decay_a_quarter_of_the_idle_areas_beyond_one_refill()
    {
        var rig = NinetySixCachedOnCore1();
        int cached = rig.Stats().CachedAreas;
        // Class 1 stays idle; a 5-page area (beyond the classes) keeps purges coming. Every
        // purge gives back a quarter of what stayed idle beyond one refill (32 one-page areas
        // with their guard): 96, 80, 68, 59, ... down to 35, where the quarter rounds to 0.
        int expected = cached;
        for (int round = 0; round < 16; round++)
        {
            rig.Free(rig.Alloc(5));
            rig.A.Purge();
            expected -= expected > 32 ? (expected - 32) >> 2 : 0;
            Assert.Equal(expected, rig.Stats().CachedAreas);
            rig.Check();
        }
        Assert.Equal(35, expected);
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }

    [Fact]
    public void Areas_a_class_reuses_every_period_do_not_decay()
    {
        var rig = NinetySixCachedOnCore1();
        int cached = rig.Stats().CachedAreas;
        int refills = rig.Stats().ZoneRefills;
        for (int round = 0; round < 8; round++)
        {
            // Use every cached area, give them all back: nothing stayed idle, so nothing decays
            // and the class never goes back to the free tree.
            int n = rig.Stats().CachedAreas;
            Stats s0 = rig.Stats();
            var again = Enumerable.Range(0, n).Select(_ => rig.Alloc(1)).ToList();
            Assert.Equal(s0.ZoneHits + n, rig.Stats().ZoneHits);
            foreach (int a in again) rig.Free(a);
            rig.A.Purge();
            Assert.Equal(cached, rig.Stats().CachedAreas);
        }
        Assert.Equal(refills, rig.Stats().ZoneRefills);
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }

    [Fact]
    public void A_zone_caches_at_most_its_share_of_the_records_and_twice_a_purge_period_of_pages()
    {
        // 4 cores, 512 records: a zone keeps at most 512 / 8 = 64 records cached. LazyMaxPages
        // 64 gives each zone a 16-page share: at most 2 * 16 * 2 + 64 = 128 reserved pages.
        var rig = ZoneRig(cores: 4, spanPages: 4096, guard: 1, lazyMax: 64, classLimit: 16, maxAreas: 512);
        var rnd = new Random(7);
        for (int round = 0; round < 40; round++)
        {
            int core = rnd.Next(4);
            rig.Sim.Cores.Bind(core);
            var areas = Enumerable.Range(0, 30).Select(_ => rig.Alloc(rnd.Next(1, 17))).ToList();
            foreach (int a in areas) rig.Free(a);
            rig.A.Purge();
            Stats s = rig.Stats();
            Assert.True(s.CachedAreas <= 4 * 64, $"round {round}: {s.CachedAreas} areas cached");
            Assert.True(s.CachedPages <= 4 * 128, $"round {round}: {s.CachedPages} pages cached");
            rig.Check();                               // checks each zone against both caps
        }
        rig.Sim.Cores.Bind(0);
    }

    [Fact]
    public void Idle_leftovers_that_fill_the_zone_caps_decay_and_the_classes_in_use_get_their_room_back()
    {
        // 2 cores, LazyMaxPages 1024: a zone caches at most 2 * 512 * 2 + 64 = 2112 pages (the
        // span's cap, an eighth of 65536 pages shared by 2 zones, is 4096). Four
        // big classes, used once, leave four areas each, which plain decay spares (a quarter of
        // what lies beyond one refill rounds to 0), and together they fill the cap exactly
        // (4 * (130 + 131 + 133 + 134) = 2112 reserved pages). Then the one-page class in use
        // finds no room: its refills cache nothing and its returns are turned away, so without
        // more it would go to the free tree on every allocation for good. Those refusals make
        // the next decays take idle areas too, and the class gets its room back.
        var rig = ZoneRig(cores: 2, spanPages: 65536, guard: 1, lazyMax: 1024, classLimit: 256);
        rig.Sim.Cores.Bind(1);
        var big = new List<int>();
        foreach (int size in new[] { 129, 130, 132, 133 })
        {
            for (int k = 0; k < 4; k++) big.Add(rig.Alloc(size));
        }
        foreach (int p in big) rig.Free(p);
        rig.A.Purge();
        Assert.Equal(2112, rig.Stats().CachedPages);
        int lastHits = 0;
        for (int round = 0; round < 20; round++)
        {
            int hits0 = rig.Stats().ZoneHits;
            var small = Enumerable.Range(0, 64).Select(_ => rig.Alloc(1)).ToList();
            lastHits = rig.Stats().ZoneHits - hits0;
            foreach (int p in small) rig.Free(p);
            rig.A.Purge();
            rig.Check();
        }
        Assert.True(lastHits >= 60, $"the class in use still misses: {lastHits} of 64 hits in the last round");
        rig.Sim.Cores.Bind(0);
    }

    [Fact]
    public void All_zone_caches_together_hold_at_most_an_eighth_of_the_span()
    {
        // The esp32 window: 64 pages, 2 cores, lazy_max_pages 16, no guard. Before, two zones
        // could cache 32 of the 64 pages on top of the 16 lazy ones; now at most 8 together.
        var rig = ZoneRig(cores: 2, spanPages: 64, guard: 0, lazyMax: 16, classLimit: 8, maxAreas: 0);
        var rnd = new Random(5);
        var live = new List<int>();
        for (int op = 0; op < 5000; op++)
        {
            rig.Sim.Cores.Bind(rnd.Next(2));
            if (live.Count > 0 && rnd.Next(2) == 0)
            {
                int k = rnd.Next(live.Count);
                rig.Free(live[k]);
                live.RemoveAt(k);
            }
            else if (rig.A.AllocPages(rnd.Next(1, 9), 1, 0, out int page) == Status.Ok)
            {
                live.Add(page);
            }
            Assert.True(rig.Stats().CachedPages <= 64 / 8, $"op {op}: {rig.Stats().CachedPages} pages cached");
        }
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }

    [Fact]
    public void A_decay_over_many_empty_classes_counts_its_steps_and_stays_within_a_chunk_per_section()
    {
        // 1024 classes, nearly all empty: the decay after a purge walks them all. Each class
        // passed is a step of work; a section takes at most 64 steps, so the walk is sections of
        // 64 units, not one long section the meter would call empty.
        var rig = ZoneRig(cores: 2, spanPages: 65536, guard: 1, lazyMax: 4096, classLimit: 1024);
        rig.Free(rig.Alloc(1));
        rig.A.ResetLockStats();
        int before = rig.Stats().ZoneLocks.Count;
        rig.A.Purge();
        Stats s = rig.Stats();
        Assert.Equal(64, s.ZoneLocks.MaxUnits);
        // Only zone 0 caches anything (an empty cache skips its decay): 1024 classes in 16 sections.
        Assert.True(s.ZoneLocks.Count - before >= 1024 / 64, $"{s.ZoneLocks.Count - before} zone sections for zone 0's decay");
        rig.Check();
    }

    [Fact]
    public void A_refill_counts_the_tree_work_it_does_under_the_zone_lock()
    {
        // The refill carves its run from the free tree while holding the zone lock: the zone's
        // section did that work too, on top of its own (a busy entry, a split and a push per
        // cached area).
        var rig = ZoneRig(cores: 2, spanPages: 65536, guard: 1, lazyMax: 4096, classLimit: 16);
        rig.A.ResetLockStats();
        rig.Alloc(1);
        Stats s = rig.Stats();
        Assert.True(s.CachedAreas > 0, "no refill");
        int zoneOwn = 1 + 2 * s.CachedAreas;
        Assert.True(s.ZoneLocks.MaxUnits > zoneOwn, $"zone section {s.ZoneLocks.MaxUnits} units, its own work alone is {zoneOwn}");
    }

    [Fact]
    public void One_core_can_use_the_records_of_every_core()
    {
        // The pool is one list shared by every core: one core may use all of its records.
        var rig = ZoneRig(cores: 4, spanPages: 1024, guard: 1, lazyMax: 100_000, classLimit: 4, maxAreas: 48);
        rig.Sim.Cores.Bind(2);
        var live = new List<int>();
        Status s;
        while ((s = rig.A.AllocPages(8, 1, 0, out int page)) == Status.Ok) live.Add(page);
        Assert.Equal(Status.NoRecords, s);
        Assert.True(live.Count >= 48 - 4 - 1 - 1, $"core 2 got only {live.Count} of 48 records");
        rig.Check();
        foreach (int p in live) rig.Free(p);
        rig.A.Purge();
        Assert.Equal(0, rig.Stats().LiveAreas);
        rig.Sim.Cores.Bind(0);
        rig.Check();
    }

    [Fact]
    public void When_space_runs_out_only_cores_that_cache_something_are_asked_to_drain()
    {
        var rig = ZoneRig(cores: 8, spanPages: 1024, guard: 0, lazyMax: 100_000, classLimit: 8);
        foreach (int core in new[] { 2, 5 })
        {
            rig.Sim.Cores.Bind(core);
            rig.Free(rig.Alloc(4));                    // refill leaves 4-page areas cached
        }
        rig.Sim.Cores.Bind(0);
        rig.A.Purge();
        Stats before = rig.Stats();
        Assert.Equal((1 << 2) | (1 << 5), before.DrainMask);
        int big = rig.Alloc(1024);                     // needs every page: purge, then drain
        Assert.Equal(0, big);
        Stats s = rig.Stats();
        Assert.Equal(1, s.Drains);
        Assert.Equal(2, s.DrainRequestsSent);
        Assert.Equal(5, s.DrainRequestsSaved);     // 7 other cores, 2 asked
        Assert.Equal(1, rig.Sim.Drain.Delivered(2));
        Assert.Equal(0, rig.Sim.Drain.Delivered(3));
        rig.Free(big);
        rig.A.Purge();
        rig.Check();
    }

    [Fact]
    public void A_drain_that_times_out_fails_cleanly_and_loses_nothing()
    {
        var rig = ZoneRig(cores: 2, spanPages: 256, guard: 0, lazyMax: 100_000, classLimit: 8);
        rig.Sim.Cores.Bind(1);
        rig.Free(rig.Alloc(4));
        rig.Sim.Cores.Bind(0);
        rig.A.Purge();
        rig.Sim.Drain.DeafMask = 1 << 1;
        Assert.Equal(Status.DrainTimeout, rig.A.AllocPages(256, 1, 0, out int page));
        Assert.Equal(-1, page);
        Assert.Equal(1, rig.Stats().FailDrainTimeout);
        rig.Check();
        rig.Sim.Drain.DeafMask = 0;                    // the core answers again
        Assert.Equal(0, rig.Alloc(256));
        rig.Check();
    }

    [Fact]
    public void The_drain_mask_is_never_stale_while_zones_fill_during_drains()
    {
        // Regime: three cores refill and free small areas while a fourth drains in a loop.
        // Every tenth drain runs with the fillers paused between two operations (holding live
        // areas, their caches wherever the race left them): the mask must then have a core's
        // bit set exactly when its cache holds something (the validator checks it), and the
        // drain, which asks only the cores in its mask, must leave no cache holding anything.
        var rig = ZoneRig(cores: 4, spanPages: 8192, lazyMax: 32);
        for (int round = 0; round < 5; round++)
        {
            using var stop = new CancellationTokenSource();
            // A pause: the fillers meet the drainer at the barrier, and again to go on.
            var meet = new Barrier(4); // not disposed: a filler may still wait on it if an assertion failed
            int pauseWanted = 0;
            var fillers = Enumerable.Range(1, 3).Select(core => new Thread(() =>
            {
                rig.Sim.Cores.Bind(core);
                var rnd = new Random(core * 31 + round);
                var mine = new Queue<int>();
                while (!stop.IsCancellationRequested)
                {
                    if (Volatile.Read(ref pauseWanted) != 0)
                    {
                        // A drainer that failed an assertion never comes: give up then.
                        if (!meet.SignalAndWait(TimeSpan.FromSeconds(60)) || !meet.SignalAndWait(TimeSpan.FromSeconds(60))) break;
                    }
                    if (rig.A.AllocPages(rnd.Next(1, 9), 1, core, out int p) == Status.Ok) mine.Enqueue(p);
                    if (mine.Count > 20) rig.A.FreePages(mine.Dequeue());
                }
                while (mine.Count > 0) rig.A.FreePages(mine.Dequeue());
            }) { IsBackground = true }).ToList(); // a failed assertion must not keep the test host alive
            fillers.ForEach(t => t.Start());
            for (int i = 1; i <= 200; i++)
            {
                if (i % 10 != 0)
                {
                    Assert.Equal(Status.Ok, rig.A.DrainCaches());
                    continue;
                }
                Volatile.Write(ref pauseWanted, 1);
                Assert.True(meet.SignalAndWait(TimeSpan.FromSeconds(30)), "the fillers did not pause");
                Volatile.Write(ref pauseWanted, 0);
                rig.Check($"round {round}, drain {i}, fillers paused");
                Assert.Equal(Status.Ok, rig.A.DrainCaches());
                Stats s = rig.Stats();
                Assert.True(s.CachedAreas == 0, $"round {round}, drain {i}: {s.CachedAreas} areas still cached, mask {s.DrainMask:x}");
                Assert.True(meet.SignalAndWait(TimeSpan.FromSeconds(30)), "the fillers did not go on");
            }
            stop.Cancel();
            fillers.ForEach(t => t.Join());
            rig.Check($"after round {round}");
            Assert.Equal(Status.Ok, rig.A.DrainCaches());
            Stats end = rig.Stats();
            Assert.Equal(0, end.CachedAreas);
            Assert.Equal(0, end.DrainMask);
        }
        rig.A.Purge();               // small lazy areas go back to their zones' caches...
        rig.A.DrainCaches();         // ...and the drain returns them to the free tree
        rig.Check();
        Assert.Equal(rig.Stats().SpanPages, rig.Stats().FreePages);
    }

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(2, 1, false)]
    [InlineData(4, 1, false)]
    [InlineData(8, 0, false)]
    [InlineData(2, 1, true)]
    [InlineData(4, 0, true)]
    [InlineData(8, 1, true)]
    public void Many_threads_on_many_cores_keep_every_invariant_and_every_page(int cores, int guard, bool zonePurges)
    {
        // Regime: one thread per logical core, mixed sizes and alignments, frees of other
        // cores' areas, purges and drains (with zone purges: each zone's threshold purges side
        // by side with the others and with global purges); invariants checked at quiescent points.
        var rig = ZoneRig(cores: cores, spanPages: 8192, guard: guard, lazyMax: 256, classLimit: 16, zonePurges: zonePurges);
        var shared = new ConcurrentQueue<int>();
        var reserves = new ConcurrentDictionary<int, int>(); // live area: first page -> pages with guard
        var wrong = new ConcurrentQueue<string>(); // collected: an assert on a worker thread would take the test host down
        int noSpace = 0;
        for (int phase = 0; phase < 4; phase++)
        {
            var threads = Enumerable.Range(0, cores).Select(core => new Thread(() =>
            {
                rig.Sim.Cores.Bind(core);
                var rnd = new Random(1000 * phase + core);
                for (int i = 0; i < 3000; i++)
                {
                    int r = rnd.Next(100);
                    if (r < 50)
                    {
                        int pages = rnd.Next(100) < 80 ? rnd.Next(1, 17) : rnd.Next(17, 129);
                        int align = rnd.Next(100) < 20 ? 1 << rnd.Next(1, 5) : 1;
                        // Records (8192) outlast the span and the simulated board answers every
                        // drain: the only way to fail is a span too full for the request.
                        // With one thread nothing moves meanwhile, and the status is exact: Ok
                        // when a hole outside the live areas fits (the allocation purges and
                        // drains before it fails), NoSpace when none does.
                        int fit = cores == 1 ? HoleFit(reserves, spanPages: 8192, pages + guard, align) : 0;
                        Status got = rig.A.AllocPages(pages, align, core, out int p);
                        if (got == Status.Ok)
                        {
                            reserves[p] = pages + guard;
                            shared.Enqueue(p);
                        }
                        else if (got == Status.NoSpace) Interlocked.Increment(ref noSpace);
                        else wrong.Enqueue($"phase {phase} core {core} op {i}: alloc {pages}p align {align}: {got}");
                        if (cores == 1 && fit < 0 != (got != Status.Ok)) wrong.Enqueue($"phase {phase} op {i}: alloc {pages}p align {align}: {got}, but the first hole that fits is at page {fit}");
                    }
                    else if (r < 98)
                    {
                        if (shared.TryDequeue(out int p))
                        {
                            reserves.TryRemove(p, out _);
                            Status freed = rig.A.FreePages(p);
                            if (freed != Status.Ok) wrong.Enqueue($"phase {phase} core {core} op {i}: free of page {p}: {freed}");
                        }
                    }
                    else if (r == 98) rig.A.Purge();
                    else rig.A.DrainCaches();
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.True(wrong.IsEmpty, string.Join("\n", wrong.Take(10)));
            rig.Check($"after phase {phase}");
            rig.A.Purge();
            Stats s = rig.Stats();
            Assert.Equal(0, s.LazyPages);
            Assert.Equal(s.SpanPages, s.FreePages + s.LivePages + s.GuardPages + s.CachedPages);
        }
        while (shared.TryDequeue(out int p)) rig.Free(p);
        rig.A.Purge();
        rig.A.DrainCaches();
        rig.Check("at the end");
        Stats end = rig.Stats();
        Assert.Equal(end.SpanPages, end.FreePages);
        Assert.Equal(1, end.FreeBlocks);
        Assert.Equal(0, rig.Sim.Mmu.MappedPages);
        Assert.Equal(0, rig.Sim.Mmu.StalePages());
        // The allocator counted the same refusals the threads saw, and no other kind.
        Assert.Equal((noSpace, 0, 0, 0), (end.FailNoSpace, end.FailNoRecords, end.FailDrainTimeout, end.FailFlush));
        output.WriteLine($"{noSpace} allocations found no space");
    }

    /// <summary>Where the lowest hole of the span outside <paramref name="live"/> fits the request starts, or -1.</summary>
    private static int HoleFit(ConcurrentDictionary<int, int> live, int spanPages, int reserve, int align)
    {
        var holes = new Core.RefModel(spanPages, 0x4000_0000 / 4096);
        foreach (var (page, size) in live) holes.Take(page, size);
        return holes.LowestFit(reserve, align);
    }
}
