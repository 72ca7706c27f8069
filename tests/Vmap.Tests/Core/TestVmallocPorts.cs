namespace Vmap.Tests.Core;

/// <summary>
/// Regime: the cases of Linux lib/test_vmalloc.c that apply to an address-space allocator,
/// on the sim board's shape (4 KiB pages, 1 GiB span, guard 1), checked after each phase.
/// </summary>
public sealed class TestVmallocPorts
{
    private static Rig NewRig(int lazyMax = -1) => new(new VmapConfig
    {
        PageSize = 4096, SpanStart = 0x4000_0000, SpanSize = 1UL << 30, GuardPages = 1, MaxAreas = 65536, LazyMaxPages = lazyMax,
    });

    private static void Drained(Rig rig)
    {
        rig.A.Purge();
        rig.Check();
        Stats s = rig.Stats();
        Assert.Equal(0, s.LiveAreas);
        Assert.Equal(s.SpanPages, s.FreePages);
        Assert.Equal(s.SpanPages, s.LargestFreeBlock);
    }

    [Fact]
    public void Fix_size()
    {
        var rig = NewRig();
        for (int i = 0; i < 20_000; i++) rig.Free(rig.Alloc(1));
        Drained(rig);
    }

    [Fact]
    public void Full_fit()
    {
        // Fill with one-page areas, punch holes of exactly the requested size, refill them.
        var rig = NewRig();
        var pages = new List<int>();
        for (int i = 0; i < 2000; i++) pages.Add(rig.Alloc(1));
        for (int i = 0; i < pages.Count; i += 2) rig.Free(pages[i]);
        rig.A.Purge();
        int fullBefore = rig.Stats().Fits[(int)FitType.Full];
        for (int i = 0; i < pages.Count; i += 2) Assert.Equal(pages[i], rig.Alloc(1));
        Assert.Equal(1000, rig.Stats().Fits[(int)FitType.Full] - fullBefore);
        for (int i = 0; i < pages.Count; i++) rig.Free(pages[i]);
        Drained(rig);
    }

    [Fact]
    public void Long_busy_list()
    {
        var rig = NewRig();
        var busy = new List<int>();
        for (int i = 0; i < 15_000; i++) busy.Add(rig.Alloc(1));
        for (int i = 0; i < 10_000; i++)
        {
            int a = rig.Alloc(100);
            int b = rig.Alloc(1);
            rig.Free(a);
            rig.Free(b);
        }
        rig.Check();
        foreach (int p in busy) rig.Free(p);
        Drained(rig);
    }

    [Fact]
    public void Random_size()
    {
        var rnd = new Random(11);
        var rig = NewRig();
        var live = new List<int>();
        for (int i = 0; i < 20_000; i++)
        {
            live.Add(rig.Alloc(rnd.Next(1, 101)));
            if (live.Count > 100) { rig.Free(live[0]); live.RemoveAt(0); }
        }
        foreach (int p in live) rig.Free(p);
        Drained(rig);
    }

    [Fact]
    public void Fix_align()
    {
        // Alignments of 2^1 .. 2^10 pages (test_vmalloc: align_shift up to PAGE_SHIFT + 10).
        var rig = NewRig();
        for (int shift = 1; shift <= 10; shift++)
        {
            for (int i = 0; i < 200; i++)
            {
                int p = rig.Alloc(1, align: 1 << shift);
                Assert.Equal(0, (0x4_0000 + p) & ((1 << shift) - 1));
                rig.Free(p);
            }
        }
        Drained(rig);
    }

    [Fact]
    public void Random_size_align()
    {
        var rnd = new Random(5);
        var rig = NewRig();
        var live = new List<int>();
        for (int i = 0; i < 10_000; i++)
        {
            int align = 1 << rnd.Next(0, 9);
            int p = rig.Alloc(rnd.Next(1, 257), align);
            Assert.Equal(0, (0x4_0000 + p) & (align - 1));
            live.Add(p);
            if (live.Count > 50) { int k = rnd.Next(live.Count); rig.Free(live[k]); live.RemoveAt(k); }
        }
        foreach (int p in live) rig.Free(p);
        Drained(rig);
    }

    [Fact]
    public void Align_shift_every_power_of_two_up_to_2_pow_63_bytes()
    {
        // Possible alignments succeed and are honoured; alignments beyond the span fail cleanly.
        var rig = NewRig();
        for (int shift = 0; shift < 64; shift++)
        {
            ulong align = 1UL << shift;
            Status s = rig.A.Alloc(4096, align, shift, out ulong address);
            if (align <= 1UL << 30)
            {
                Assert.Equal(Status.Ok, s);
                Assert.Equal(0UL, address % Math.Max(align, 4096));
                Assert.Equal(Status.Ok, rig.A.Free(address));
            }
            else
            {
                Assert.Equal(Status.InvalidAlignment, s);
                Assert.Equal(0UL, address);
            }
        }
        Drained(rig);
    }

    [Fact]
    public void Pcpu_alloc_style_small_aligned_requests()
    {
        // Percpu chunks: sizes and alignments of a few pages, mostly left/right-edge fits.
        var rig = NewRig();
        var live = new List<int>();
        for (int i = 0; i < 5000; i++)
        {
            int size = 1 << (i % 3);
            live.Add(rig.Alloc(size, align: size));
            if (i % 7 == 6) { rig.Free(live[0]); live.RemoveAt(0); }
        }
        foreach (int p in live) rig.Free(p);
        Drained(rig);
    }
}
