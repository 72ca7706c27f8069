using System.Diagnostics;
using Vmap.Hal;
using Vmap.Hal.Sim;
using Xunit.Abstractions;

namespace Vmap.Tests.Interleaving;

/// <summary>
/// Regime: allocations that must succeed under interleavings that once made them fail
/// (issue 16's reproduced failures): two threads on one logical core racing for the preload
/// slot, and an allocation arriving while a zone's own purge is flushing.
/// </summary>
public sealed class SpuriousFailureTests(ITestOutputHelper output)
{
    /// <summary>
    /// Two threads on core 0 (as every managed thread is on a single-core nanoFramework board)
    /// split the one free block in the middle over and over: each no-edge split needs the core's
    /// preload slot, which the other thread may have just taken. With 4094 of 4096 records
    /// free, no allocation may fail.
    /// </summary>
    [Fact]
    public void Two_threads_on_one_core_never_see_no_records_while_records_are_free()
    {
        VmapConfig c = Rig.Small(spanPages: 4096, maxAreas: 4096, lazyMaxPages: 0);
        var rig = new Rig(c);
        rig.Alloc(1); // the free block now starts at an odd page: every 2-aligned page is a no-edge split
        const int Rounds = 40_000;
        string? failure = null;
        using var start = new Barrier(2);
        void Loop()
        {
            start.SignalAndWait();
            for (int i = 0; i < Rounds && failure == null; i++)
            {
                Status s = rig.A.AllocPages(1, 2, 0, out int page);
                if (s != Status.Ok)
                {
                    failure = $"round {i}: alloc failed: {s}";
                    return;
                }
                Status f = rig.A.FreePages(page);
                if (f != Status.Ok) failure = $"round {i}: free failed: {f}";
            }
        }
        var threads = new[] { new Thread(Loop) { IsBackground = true }, new Thread(Loop) { IsBackground = true } };
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads) Assert.True(t.Join(TimeSpan.FromMinutes(2)), "a thread hung");
        Assert.Null(failure);
        Stats st = rig.Stats();
        output.WriteLine($"preload hits {st.PreloadHits}, misses {st.PreloadMisses}");
        Assert.Equal(0, st.FailNoRecords);
        Assert.Equal(2 * Rounds + 1, st.Allocs);
        rig.Check();
    }

    /// <summary>An MMU whose flushes take <see cref="FlushDelay"/> once armed.</summary>
    private sealed class SlowFlushMmu(IMmu inner) : IMmu
    {
        public volatile int FlushDelayMs;
        public readonly ManualResetEventSlim FlushStarted = new(false);

        public bool Map(int page, int count) => inner.Map(page, count);

        public bool Unmap(int page, int count) => inner.Unmap(page, count);

        public bool FlushTlb(int page, int count)
        {
            FlushStarted.Set();
            if (FlushDelayMs > 0) Thread.Sleep(FlushDelayMs);
            return inner.FlushTlb(page, count);
        }
    }

    /// <summary>
    /// Seed 000: an allocation that finds no space while a purge runs waits for it and retries.
    /// With zone purges, core 0's free starts its zone's own purge (a 300 ms flush); core 1's
    /// request for the space on its way back must wait for that purge and succeed.
    /// </summary>
    [Theory]
    [InlineData(PurgeMode.Zones)]
    [InlineData(PurgeMode.Global)]
    public void An_allocation_waits_for_a_running_zone_purge_and_then_succeeds(PurgeMode purgeMode)
    {
        VmapConfig c = Rig.Small(spanPages: 64, maxAreas: 256, lazyMaxPages: 16, cores: 2, zones: true);
        c.SizeClassLimit = 1;
        c.PurgeMode = purgeMode;
        var sim = SimBoard.For(c);
        var mmu = new SlowFlushMmu(sim.Mmu);
        var a = new Allocator(new Board(sim.Clock, sim.Cores, mmu, sim.Drain));
        Assert.True(a.Start(c) == Status.Ok, a.ConfigProblem);

        sim.Cores.Bind(0);
        var pages = new int[4];
        for (int i = 0; i < 4; i++) Assert.Equal(Status.Ok, a.AllocPages(16, 1, 0, out pages[i]));
        Assert.Equal(Status.NoSpace, a.AllocPages(16, 1, 0, out _)); // full: nothing lazy, nothing cached

        mmu.FlushDelayMs = 300;
        var freer = new Thread(() =>
        {
            sim.Cores.Bind(0);
            Assert.Equal(Status.Ok, a.FreePages(pages[0]));
            Assert.Equal(Status.Ok, a.FreePages(pages[1])); // over the threshold: a purge starts
        }) { IsBackground = true };
        freer.Start();
        Assert.True(mmu.FlushStarted.Wait(TimeSpan.FromSeconds(30)), "no purge started");

        sim.Cores.Bind(1);
        var watch = Stopwatch.StartNew();
        Status s = a.AllocPages(16, 1, 0, out int got);
        output.WriteLine($"purge mode {purgeMode}: {s} after {watch.ElapsedMilliseconds} ms");
        Assert.Equal(Status.Ok, s);
        Assert.True(got == pages[0] || got == pages[1], $"got page {got}, not one of the purged areas");
        Assert.True(freer.Join(TimeSpan.FromSeconds(30)));
        sim.Cores.Bind(0);
        Assert.Null(a.Validate());
    }

    /// <summary>
    /// A free counts its pages as lazy from the section that unlinks the area, before its unmap:
    /// while the unmap runs the space is in transit, and an allocation that needs exactly that
    /// space waits for it to land on the lazy list, purges it and succeeds (zones on and off).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_free_in_transit_counts_as_lazy_and_an_allocation_waits_for_it(bool zones)
    {
        VmapConfig c = Rig.Small(spanPages: 64, maxAreas: 256, lazyMaxPages: 1000, cores: zones ? 2 : 1, zones: zones);
        if (zones) c.SizeClassLimit = 1;
        var sim = SimBoard.For(c);
        var mmu = new HeldUnmapsMmu(sim.Mmu);
        var a = new Allocator(new Board(sim.Clock, sim.Cores, mmu, sim.Drain));
        Assert.True(a.Start(c) == Status.Ok, a.ConfigProblem);
        sim.Cores.Bind(0);
        var pages = new int[4];
        for (int i = 0; i < 4; i++) Assert.Equal(Status.Ok, a.AllocPages(16, 1, 0, out pages[i]));

        var hold = mmu.Holds[pages[2]] = new ManualResetEventSlim(false);
        var freer = new Thread(() =>
        {
            sim.Cores.Bind(0);
            Assert.Equal(Status.Ok, a.FreePages(pages[2]));
        }) { IsBackground = true };
        freer.Start();
        Assert.True(SpinWait.SpinUntil(() => mmu.Reached.ContainsKey(pages[2]), TimeSpan.FromSeconds(30)), "the free never reached its unmap");
        Assert.Equal(16, a.LazyPages); // off the busy list, not yet on the lazy list: counted

        Status s = Status.NotStarted;
        int got = -1;
        var allocator = new Thread(() =>
        {
            sim.Cores.Bind(zones ? 1 : 0);
            s = a.AllocPages(16, 1, 0, out got);
        }) { IsBackground = true };
        allocator.Start();
        Thread.Sleep(200); // the allocation finds no space and waits for the transit (a slow unmap)
        hold.Set();
        Assert.True(allocator.Join(TimeSpan.FromSeconds(30)) && freer.Join(TimeSpan.FromSeconds(30)), "a thread hung");
        output.WriteLine($"zones {zones}: {s}, page {got}");
        Assert.Equal(Status.Ok, s);
        Assert.Equal(pages[2], got);
        Assert.Equal(0, a.LazyPages);
        Assert.Null(a.Validate());
    }

    /// <summary>An MMU whose unmaps of chosen pages block until each is released.</summary>
    private sealed class HeldUnmapsMmu(IMmu inner) : IMmu
    {
        public readonly System.Collections.Concurrent.ConcurrentDictionary<int, ManualResetEventSlim> Holds = new();
        public readonly System.Collections.Concurrent.ConcurrentDictionary<int, bool> Reached = new();

        public bool Map(int page, int count) => inner.Map(page, count);

        public bool Unmap(int page, int count)
        {
            if (Holds.TryGetValue(page, out ManualResetEventSlim? hold))
            {
                Reached[page] = true;
                hold.Wait();
            }
            return inner.Unmap(page, count);
        }

        public bool FlushTlb(int page, int count) => inner.FlushTlb(page, count);
    }

    /// <summary>
    /// A purge waits for the transits that began before it and not for later ones: while it
    /// waits for one free held in its unmap, a second free begins and is held too; releasing
    /// the first lets the purge finish at once, with the second still held (a steady stream of
    /// frees cannot keep a purge for space waiting).
    /// </summary>
    [Fact]
    public void A_purge_waits_for_the_frees_in_transit_before_it_and_not_for_later_ones()
    {
        VmapConfig c = Rig.Small(spanPages: 64, maxAreas: 256, lazyMaxPages: 1000);
        var sim = SimBoard.For(c);
        var mmu = new HeldUnmapsMmu(sim.Mmu);
        var a = new Allocator(new Board(sim.Clock, sim.Cores, mmu, sim.Drain));
        Assert.True(a.Start(c) == Status.Ok, a.ConfigProblem);
        var pages = new int[3];
        for (int i = 0; i < 3; i++) Assert.Equal(Status.Ok, a.AllocPages(16, 1, 0, out pages[i]));
        var first = mmu.Holds[pages[0]] = new ManualResetEventSlim(false);
        var second = mmu.Holds[pages[1]] = new ManualResetEventSlim(false);
        var threads = new List<Thread>();
        Thread Run(Action body)
        {
            var t = new Thread(() => body()) { IsBackground = true };
            threads.Add(t);
            t.Start();
            return t;
        }
        int Sections()
        {
            var st = new Stats();
            a.GetStats(st);
            return st.TreeLock.Count;
        }

        Run(() => Assert.Equal(Status.Ok, a.FreePages(pages[0])));
        Assert.True(SpinWait.SpinUntil(() => mmu.Reached.ContainsKey(pages[0]), TimeSpan.FromSeconds(30)), "the first free never reached its unmap");
        // The purge's switch of generations is one section of this lock (zones off); a stats
        // snapshot is one too, so count what the snapshots add and wait for the one more.
        int s1 = Sections();
        int s2 = Sections();
        int perSnapshot = s2 - s1;
        var watch = new Stopwatch();
        Thread purge = Run(() => { Assert.Equal(Status.Ok, a.Purge()); watch.Stop(); });
        int polls = 0;
        Assert.True(SpinWait.SpinUntil(() => Sections() > s2 + perSnapshot * ++polls, TimeSpan.FromSeconds(30)), "the purge never switched generations");

        Run(() => Assert.Equal(Status.Ok, a.FreePages(pages[1])));
        Assert.True(SpinWait.SpinUntil(() => mmu.Reached.ContainsKey(pages[1]), TimeSpan.FromSeconds(30)), "the second free never reached its unmap");
        watch.Start();
        first.Set();
        Assert.True(purge.Join(TimeSpan.FromSeconds(30)), "the purge hung");
        output.WriteLine($"the purge ended {watch.ElapsedMilliseconds} ms after the first free was released");
        // Waiting for the second free as well would take the purge's whole wait, about a second.
        Assert.True(watch.ElapsedMilliseconds < 500, $"the purge ended {watch.ElapsedMilliseconds} ms after the first free: it waited for the later one");
        Assert.Equal(16, a.LazyPages); // the second free's pages: still in transit
        second.Set();
        foreach (Thread t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(30)), "a thread hung");
        Assert.Equal(Status.Ok, a.Purge());
        Assert.Equal(0, a.LazyPages);
        Assert.Null(a.Validate());
    }

    /// <summary>Seed 002: <c>addr + size &lt; addr</c> is the overflow test; a span that ends exactly at 2^64 does not overflow.</summary>
    [Fact]
    public void A_span_that_ends_exactly_at_the_top_of_the_address_space_is_accepted()
    {
        var c = new VmapConfig { PageSize = 4096, SpanStart = 0xFFFF_FFFF_FFFF_0000, SpanSize = 0x10000, GuardPages = 0, MaxAreas = 64 };
        var a = new Allocator(SimBoard.For(c).Board);
        Assert.True(a.Start(c) == Status.Ok, a.ConfigProblem);
        Assert.Equal(Status.Ok, a.Alloc(0x10000, 0, out ulong address));
        Assert.Equal(0xFFFF_FFFF_FFFF_0000UL, address);

        var past = new VmapConfig { PageSize = 4096, SpanStart = 0xFFFF_FFFF_FFFF_0000, SpanSize = 0x20000, GuardPages = 0, MaxAreas = 64 };
        var b = new Allocator(SimBoard.For(past).Board);
        Assert.Equal(Status.InvalidConfig, b.Start(past));
        Assert.Contains("past the end of the address space", b.ConfigProblem);
    }
}
