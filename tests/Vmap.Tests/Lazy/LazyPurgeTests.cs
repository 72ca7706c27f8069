using System.Collections.Concurrent;
using Vmap.Hal.Sim;

namespace Vmap.Tests.Lazy;

/// <summary>Regime: lazy freeing, purges and their accounting, on one and on several threads.</summary>
public sealed class LazyPurgeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(7, false)]
    [InlineData(300, false)]
    [InlineData(4096, false)] // the whole span: purges only on overflow
    [InlineData(0, true)]
    [InlineData(7, true)]
    [InlineData(300, true)]
    [InlineData(4096, true)]
    public void Shadow_mmu_never_fires_and_accounting_holds_at_any_threshold(int lazyMax, bool zones)
    {
        var rig = new Rig(Rig.Small(spanPages: 4096, guard: 1, lazyMaxPages: lazyMax, cores: 2, zones: zones));
        var rnd = new Random(lazyMax);
        var live = new List<(int Page, int Reserve)>();
        int freed = 0, noSpace = 0;
        for (int i = 0; i < 5000; i++)
        {
            if (live.Count > 0 && rnd.Next(2) == 0)
            {
                int k = rnd.Next(live.Count);
                rig.Free(live[k].Page);
                live.RemoveAt(k);
                freed++;
            }
            else
            {
                int pages = rnd.Next(1, 65), align = 1 << rnd.Next(0, 4);
                int reserve = pages + rig.Config.GuardPages;
                // Everything outside the live areas is free, lazy or cached, and an allocation
                // purges and drains before it fails: it must succeed exactly when a hole of the
                // span without the live areas fits it. The pool (4096 records) outlasts the
                // span, so the only failure is NoSpace.
                var holes = new Core.RefModel(4096, (long)(rig.Config.SpanStart / 4096));
                foreach (var (page, size) in live) holes.Take(page, size);
                int fit = holes.LowestFit(reserve, align);
                rig.Sim.Cores.Bind(i % 2); // zones: alternate the allocating core
                Status got = rig.A.AllocPages(pages, align, i, out int p);
                rig.Sim.Cores.Bind(0);
                Status expected = fit >= 0 ? Status.Ok : Status.NoSpace;
                Assert.True(expected == got, $"op {i}: alloc {pages}p align {align}: {got}, expected {expected} (first hole that fits: page {fit})");
                if (got == Status.Ok) live.Add((p, reserve));
                else
                {
                    noSpace++;
                    Stats st = rig.Stats();
                    Assert.True(st.LazyPages == 0 && st.CachedAreas == 0, $"op {i}: NoSpace with {st.LazyPages} lazy pages and {st.CachedAreas} cached areas left");
                }
            }
        }
        output.WriteLine($"{noSpace} allocations found no space");
        rig.A.Purge();
        rig.A.DrainCaches();
        rig.Check();
        Stats s = rig.Stats();
        Assert.Equal(0, s.LazyPages);
        Assert.Equal(0, rig.Sim.Mmu.StalePages());
        Assert.Equal(freed, s.PurgedAreas);
        Assert.Equal(rig.Purges.Sum(p => p.Areas), s.PurgedAreas);
        Assert.Equal(rig.Purges.Count, s.Flushes);
        // One free block per gap between live areas (guard pages belong to the areas).
        Assert.Equal(CountGaps(rig), s.FreeBlocks);
    }

    private static int CountGaps(Rig rig)
    {
        var areas = rig.A.VmallocInfo().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => (Start: (int)((Convert.ToUInt64(l[2..l.IndexOf('-')], 16) - rig.Config.SpanStart) / 4096), Pages: int.Parse(l.Split(' ')[2][6..])))
            .OrderBy(a => a.Start).ToList();
        int gaps = 0, end = 0;
        foreach (var (start, pages) in areas)
        {
            if (start > end) gaps++;
            end = start + pages + rig.Config.GuardPages;
        }
        if (end < rig.Stats().SpanPages) gaps++;
        return gaps;
    }

    [Fact]
    public void Lazily_freed_range_is_not_reused_before_a_purge_flushes_it()
    {
        var rig = new Rig(Rig.Small(spanPages: 64, guard: 0, lazyMaxPages: 1000));
        int a = rig.Alloc(64);
        rig.Free(a);
        Assert.Equal(64, rig.A.LazyPages);
        Assert.Equal(64, rig.Sim.Mmu.StalePages());
        // The span is all lazy: the allocation must purge (flush) first, then succeed in place.
        Assert.Equal(0, rig.Alloc(64));
        Assert.Single(rig.Purges);
        Assert.Equal((1, 64, 0x4000_0000UL, 0x4004_0000UL), rig.Purges[0]);
        Assert.Equal(0, rig.A.LazyPages);
        rig.Check();
    }

    [Fact]
    public void Free_purges_when_lazy_pages_exceed_the_threshold()
    {
        var rig = new Rig(Rig.Small(spanPages: 256, guard: 0, lazyMaxPages: 10));
        var p = Enumerable.Range(0, 6).Select(_ => rig.Alloc(4)).ToList();
        rig.Free(p[0]);
        rig.Free(p[1]);
        Assert.Empty(rig.Purges);          // 8 pages: under the threshold
        rig.Free(p[2]);                     // 12 > 10: purge
        Assert.Single(rig.Purges);
        Assert.Equal(3, rig.Purges[0].Areas);
        Assert.Equal(0, rig.A.LazyPages);
        rig.Check();
    }

    [Fact]
    public void Lowering_LazyMaxPages_below_the_backlog_purges_on_the_next_free()
    {
        var rig = new Rig(Rig.Small(spanPages: 256, guard: 0, lazyMaxPages: 1000));
        var p = Enumerable.Range(0, 10).Select(_ => rig.Alloc(4)).ToList();
        for (int i = 0; i < 5; i++) rig.Free(p[i]);
        Assert.Equal(20, rig.A.LazyPages);
        rig.A.LazyMaxPages = 8;
        Assert.Empty(rig.Purges);           // takes effect on the next free
        rig.Free(p[5]);
        Assert.Single(rig.Purges);
        Assert.Equal(6, rig.Purges[0].Areas);
        Assert.Equal(8, rig.Stats().LazyMaxPages);
        rig.A.LazyMaxPages = 1000;          // and back up: frees stay lazy again
        rig.Free(p[6]);
        Assert.Single(rig.Purges);
        rig.Check();
    }

    [Fact]
    public void Default_threshold_follows_linux_fls_of_cores_times_32_MiB()
    {
        Assert.Equal(8192, new VmapConfig { Cores = 1 }.LinuxDefaultLazyMaxPages());
        Assert.Equal(16384, new VmapConfig { Cores = 2 }.LinuxDefaultLazyMaxPages());
        Assert.Equal(24576, new VmapConfig { Cores = 4 }.LinuxDefaultLazyMaxPages());
        Assert.Equal(1024, new VmapConfig { Cores = 2, PageSize = 65536 }.LinuxDefaultLazyMaxPages());
        var rig = new Rig(Rig.Small(cores: 4));
        Assert.Equal(24576, rig.A.LazyMaxPages);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(0)]
    public void Purge_merges_in_chunks_of_PurgeChunk_areas_per_critical_section(int chunk)
    {
        VmapConfig cfg = Rig.Small(spanPages: 4096, guard: 0, lazyMaxPages: 100_000);
        cfg.PurgeChunk = chunk;
        var rig = new Rig(cfg);
        var victims = new List<int>();
        for (int i = 0; i < 200; i++)
        {
            rig.Alloc(1);
            victims.Add(rig.Alloc(2));
        }
        foreach (int v in victims) rig.Free(v);
        rig.A.ResetLockStats();
        rig.A.Purge();
        Stats s = rig.Stats();
        int expectedSections = chunk == 0 ? 1 : (200 + chunk - 1) / chunk;
        // + the purge's switch of transit generations (with zones off the zone's lock is the
        // tree lock) + the stats snapshot's own section
        Assert.Equal(expectedSections + 2, s.TreeLock.Count);
        Assert.Equal(200, rig.Purges.Single().Areas);
        rig.Check();
    }

    [Fact]
    public void A_threshold_purge_never_makes_another_free_wait_or_fail()
    {
        // The purger's flush blocks until the test releases it, holding the purge gate; frees on
        // another core must all complete meanwhile. One that waited for the purge would never
        // complete, so the check does not depend on timing.
        VmapConfig cfg = Rig.Small(spanPages: 4096, guard: 0, lazyMaxPages: 4, cores: 2);
        var rig = new Rig(cfg);
        using var inFlush = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        rig.Sim.Mmu.FlushFault = (_, _) =>
        {
            inFlush.Set();
            release.Wait();
            return false; // hold the flush open, then let it succeed
        };
        var first = Enumerable.Range(0, 3).Select(_ => rig.Alloc(2)).ToList();
        var second = Enumerable.Range(0, 50).Select(_ => rig.Alloc(1)).ToList();
        var purger = new Thread(() => { rig.Sim.Cores.Bind(0); foreach (int p in first) rig.Free(p); });
        var statuses = new List<Status>();
        var freer = new Thread(() =>
        {
            rig.Sim.Cores.Bind(1);
            foreach (int p in second) statuses.Add(rig.A.FreePages(p));
        });
        bool started, done;
        try
        {
            purger.Start();
            started = inFlush.Wait(TimeSpan.FromSeconds(30));
            if (started) freer.Start();
            done = started && freer.Join(TimeSpan.FromSeconds(30));
        }
        finally
        {
            release.Set(); // never leave the purger blocked, whatever failed
        }
        Assert.True(purger.Join(TimeSpan.FromSeconds(30)), "the purge did not finish once released");
        Assert.True(started, "the third free did not start a purge");
        Assert.True(done, "frees on another core waited for the running purge");
        Assert.True(freer.Join(TimeSpan.FromSeconds(30)));
        Assert.All(statuses, st => Assert.Equal(Status.Ok, st));
        rig.Sim.Mmu.FlushFault = null;
        rig.A.Purge();
        Assert.Equal(0, rig.A.LazyPages);
        Assert.Equal(0, rig.Stats().PurgeOverlaps);
        rig.Check();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void With_deferred_purges_not_even_the_free_that_crosses_the_threshold_waits(bool zones)
    {
        // The purge thread's flush blocks until every free has returned: a free that waited
        // for the purge would never return. With the purge thread, zones hand their threshold
        // purges to it too.
        VmapConfig cfg = Rig.Small(spanPages: 4096, guard: 0, lazyMaxPages: 4, cores: zones ? 2 : 1, zones: zones);
        cfg.PurgeMode = PurgeMode.Deferred;
        var rig = new Rig(cfg);
        using var release = new ManualResetEventSlim(false);
        rig.Sim.Mmu.FlushFault = (_, _) =>
        {
            release.Wait();
            return false; // hold the flush open, then let it succeed
        };
        var areas = Enumerable.Range(0, 40).Select(_ => rig.Alloc(2)).ToList();
        var statuses = new List<Status>();
        var freer = new Thread(() => { foreach (int p in areas) statuses.Add(rig.A.FreePages(p)); }); // crosses the threshold at the third free
        bool done;
        try
        {
            freer.Start();
            done = freer.Join(TimeSpan.FromSeconds(30));
        }
        finally
        {
            release.Set(); // never leave the purge thread blocked, whatever failed
        }
        Assert.True(done, "a free waited for the purge thread's flush");
        Assert.True(freer.Join(TimeSpan.FromSeconds(30)));
        Assert.All(statuses, st => Assert.Equal(Status.Ok, st));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (rig.Stats().Purges == 0 && DateTime.UtcNow < deadline) Thread.Sleep(1);
        Assert.True(rig.Stats().Purges > 0, "the purge thread never purged");
        rig.Sim.Mmu.FlushFault = null;
        rig.A.Stop();
        Assert.Equal(0, rig.A.LazyPages);
        rig.Check();
        rig.Free(rig.Alloc(2)); // still usable after Stop: inline purges from now on
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Threads_near_a_full_span_never_see_no_memory_while_a_purge_would_make_room(bool zones)
    {
        // 4 threads, each owning at most a quarter of the span. Every area is 8 pages with no
        // guard, so every area starts on a multiple of 8 and free space comes in whole 8-page
        // granules: fragmentation can never explain a failure, and with the live set always
        // below the span every allocation must succeed after (at worst) a purge.
        const int SpanPages = 2048, Threads = 4, Budget = SpanPages / Threads;
        VmapConfig cfg = Rig.Small(spanPages: SpanPages, guard: 0, maxAreas: 8192, lazyMaxPages: 300, cores: Threads, zones: zones);
        cfg.PurgeChunk = 4;
        var rig = new Rig(cfg);
        var failures = new ConcurrentQueue<string>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            rig.Sim.Cores.Bind(t);
            var rnd = new Random(100 + t);
            var mine = new List<(int Page, int Pages)>();
            int held = 0;
            for (int i = 0; i < 3000; i++)
            {
                const int pages = 8;
                _ = rnd.Next();
                while (held + pages > Budget)
                {
                    var (p, n) = mine[0];
                    mine.RemoveAt(0);
                    held -= n;
                    if (rig.A.FreePages(p) != Status.Ok) failures.Enqueue($"thread {t}: free failed");
                }
                Status s = rig.A.AllocPages(pages, 1, t, out int page);
                if (s == Status.Ok) { mine.Add((page, pages)); held += pages; }
                else { var st = rig.Stats(); failures.Enqueue($"thread {t} op {i}: {s} for {pages} pages with at most {Threads * Budget - pages} pages live (now: live {st.LivePages}, free {st.FreePages}, largest {st.LargestFreeBlock}, lazy {st.LazyPages}, purges {st.Purges})"); }
            }
            foreach (var (p, _) in mine) rig.A.FreePages(p);
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        rig.A.Purge();
        rig.A.DrainCaches();
        rig.Check();
        Stats st = rig.Stats();
        Assert.Equal(0, st.PurgeOverlaps);
        Assert.Equal(SpanPages, st.FreePages);
    }
}
