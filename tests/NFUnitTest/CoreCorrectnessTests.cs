using System.Threading;
using nanoFramework.TestFramework;
using Vmap;
using Vmap.Hal;

namespace NFUnitTest;

/// <summary>
/// The allocator's core guarantees, checked on the board with its portable HAL parts: the fit
/// types of Linux's allocator (and the preload slot of the no-edge split), bad input refused
/// with the right status and no change, lazy freeing and the purge, configuration checking,
/// and per-core zones. Every test starts its own allocator: 4 KiB pages, a 256-page span at
/// 0x20000000, 1024 records, one guard page.
/// </summary>
[TestClass]
public class CoreCorrectnessTests
{
    private const int Pages = 256;
    private const int PageSize = 4096;
    private const ulong SpanStart = 0x20000000;

    // The allocator of the running test and its page table (static: see LatencySuiteTests).
    private static Allocator s_a;
    private static TableMmu s_mmu;

    // The second thread of the zones test.
    private static Status s_otherStatus;
    private static string s_otherProblem;

    // ---- fit types ---------------------------------------------------------------------------

    [TestMethod]
    public void FullFitTakesTheWholeBlock()
    {
        // |VVVVVVVV| : 255 pages and their guard page are the whole 256-page span.
        Start(Config(1, false), 1);
        int page = Alloc(Pages - 1, 1);
        Assert.AreEqual(0, page, "full fit lands at the span's start");
        Stats s = Snapshot();
        Assert.AreEqual(1, s.Fits[(int)FitType.Full], "full fits");
        Assert.AreEqual(0, s.Fits[(int)FitType.LeftEdge], "left-edge fits");
        Assert.AreEqual(0, s.FreePages, "free pages");
        AssertValid("after a full fit");
        Free(page);
    }

    [TestMethod]
    public void LeftEdgeFitShrinksTheBlockFromTheLeft()
    {
        // |VVVV|RRRR...| : 4 pages + 1 guard page from the head of the span.
        Start(Config(1, false), 1);
        int page = Alloc(4, 1);
        Assert.AreEqual(0, page, "left-edge fit lands at the block's start");
        Stats s = Snapshot();
        Assert.AreEqual(1, s.Fits[(int)FitType.LeftEdge], "left-edge fits");
        Assert.AreEqual(Pages - 5, s.LargestFreeBlock, "largest free block");
        Assert.AreEqual(1, s.FreeBlocks, "free blocks");
        AssertValid("after a left-edge fit");
    }

    [TestMethod]
    public void NoEdgeFitUsesThePreloadSlot()
    {
        // |LL|VV|RRRR| : [0, 2) is taken, so a 16-page-aligned area lands at 16 inside [2, 256):
        // the left remainder keeps the block's record, the right one takes the preload slot.
        Start(Config(1, false), 1);
        Alloc(1, 1);
        int page = Alloc(1, 16);
        Assert.AreEqual(16, page, "aligned area inside the block");
        Stats s = Snapshot();
        Assert.AreEqual(1, s.Fits[(int)FitType.NoEdge], "no-edge fits");
        Assert.AreEqual(1, s.PreloadHits, "preload hits");
        Assert.AreEqual(0, s.PreloadMisses, "preload misses");
        Assert.AreEqual(2, s.FreeBlocks, "free blocks (left and right remainders)");
        Assert.AreEqual(Pages - 18, s.LargestFreeBlock, "right remainder");
        Assert.AreEqual(Pages - 4, s.FreePages, "free pages");

        ulong address;
        Status st = s_a.Alloc(PageSize, 64UL * PageSize, 0, out address);
        AssertStatus(Status.Ok, st, "byte-level aligned alloc");
        Assert.AreEqual(0UL, address % (64UL * PageSize), "address alignment");
        AssertValid("after a no-edge fit");
    }

    // ---- bad input: the right status, nothing changed ------------------------------------------

    [TestMethod]
    public void ZeroSizeIsInvalidSize()
    {
        StartBusy();
        Stats before = Snapshot();
        ulong address;
        AssertStatus(Status.InvalidSize, s_a.Alloc(0, PageSize, 0, out address), "Alloc of 0 bytes");
        Assert.AreEqual(0UL, address, "address after a refused alloc");
        int page;
        AssertStatus(Status.InvalidSize, s_a.AllocPages(0, 1, 0, out page), "AllocPages of 0 pages");
        Assert.AreEqual(-1, page, "page after a refused alloc");
        AssertUnchanged(before, "zero size");
        Assert.AreEqual(before.FailInvalid + 2, Snapshot().FailInvalid, "refused calls counted");
    }

    [TestMethod]
    public void AlignmentThreeIsInvalidAlignment()
    {
        StartBusy();
        Stats before = Snapshot();
        ulong address;
        AssertStatus(Status.InvalidAlignment, s_a.Alloc(PageSize, 3, 0, out address), "Alloc aligned to 3 bytes");
        Assert.AreEqual(0UL, address, "address after a refused alloc");
        int page;
        AssertStatus(Status.InvalidAlignment, s_a.AllocPages(1, 3, 0, out page), "AllocPages aligned to 3 pages");
        Assert.AreEqual(-1, page, "page after a refused alloc");
        AssertUnchanged(before, "alignment 3");
    }

    [TestMethod]
    public void FreeOfANonAreaAddressIsNotAnArea()
    {
        int area = StartBusy();
        Stats before = Snapshot();
        AssertStatus(Status.NotAnArea, s_a.Free(s_a.AddressOf(area) + PageSize), "Free inside an area");
        AssertStatus(Status.NotAnArea, s_a.Free(s_a.AddressOf(area) + 1), "Free of an unaligned address");
        AssertStatus(Status.NotAnArea, s_a.Free(SpanStart - PageSize), "Free below the span");
        AssertStatus(Status.NotAnArea, s_a.Free(SpanStart + (ulong)Pages * PageSize), "Free past the span");
        AssertStatus(Status.NotAnArea, s_a.FreePages(Pages - 1), "FreePages of a free page");
        AssertStatus(Status.NotAnArea, s_a.FreePages(-1), "FreePages(-1)");
        AssertUnchanged(before, "free of a non-area");
        Assert.AreEqual(before.FailNotAnArea + 6, Snapshot().FailNotAnArea, "refused frees counted");
    }

    [TestMethod]
    public void DoubleFreeIsNotAnArea()
    {
        int area = StartBusy();
        AssertStatus(Status.Ok, s_a.Free(s_a.AddressOf(area)), "first free");
        Stats before = Snapshot();
        AssertStatus(Status.NotAnArea, s_a.Free(s_a.AddressOf(area)), "second free");
        AssertStatus(Status.NotAnArea, s_a.FreePages(area), "third free, by page");
        AssertUnchanged(before, "double free");

        s_a.Purge();
        AssertStatus(Status.NotAnArea, s_a.FreePages(area), "free after the purge");
        AssertValid("after a double free and a purge");
    }

    [TestMethod]
    public void UseBeforeStartIsNotStarted()
    {
        s_mmu = new TableMmu(Pages);
        var a = new Allocator(new Board(new TickClock(), new ThreadCores(1), s_mmu, new InlineDrainRequests()));
        Assert.IsFalse(a.IsStarted, "IsStarted before Start");
        int page;
        AssertStatus(Status.NotStarted, a.AllocPages(1, 1, 0, out page), "AllocPages");
        Assert.AreEqual(-1, page, "page");
        ulong address;
        AssertStatus(Status.NotStarted, a.Alloc(PageSize, PageSize, 0, out address), "Alloc");
        Assert.AreEqual(0UL, address, "address");
        AssertStatus(Status.NotStarted, a.Free(SpanStart), "Free");
        AssertStatus(Status.NotStarted, a.FreePages(0), "FreePages");
        AssertStatus(Status.NotStarted, a.DrainCaches(), "DrainCaches");
        a.Purge();
        Assert.AreEqual(0, a.LazyPages, "LazyPages");
        Assert.IsNull(a.Validate(), "Validate");
        Assert.IsFalse(a.IsStarted, "IsStarted after the refused calls");
    }

    // ---- lazy freeing and the purge --------------------------------------------------------------

    [TestMethod]
    public void FreeIsLazyUntilThePurge()
    {
        // The default lazy threshold (32 MiB / 4 KiB = 8192 pages) is far above the span:
        // no free purges by itself.
        Start(Config(1, false), 1);
        int a = Alloc(3, 1);
        int b = Alloc(5, 4);
        int c = Alloc(2, 1);
        Free(a);
        Free(b);
        Free(c);

        Stats s = Snapshot();
        Assert.IsTrue(s.LazyPages > 0, "lazy pages after the frees");
        Assert.AreEqual(10, s_a.LazyPages, "lazy pages (guard pages excluded)");
        Assert.AreEqual(0, s.LiveAreas, "live areas");
        Assert.IsTrue(s.FreePages < Pages, "lazy ranges are not free yet");
        AssertValid("with a lazy backlog");

        int flushes = s_mmu.Flushes;
        s_a.Purge();
        s = Snapshot();
        Assert.AreEqual(0, s.LazyPages, "lazy pages after the purge");
        Assert.AreEqual(0, s_a.LazyPages, "LazyPages after the purge");
        Assert.AreEqual(Pages, s.FreePages, "free pages after the purge");
        Assert.AreEqual(1, s.FreeBlocks, "the span is one block again");
        Assert.IsTrue(s.Purges >= 1, "purges counted");
        Assert.IsTrue(s_mmu.Flushes > flushes, "the purge flushed the TLB");
        AssertValid("after the purge");
    }

    // ---- configuration ---------------------------------------------------------------------------

    [TestMethod]
    public void InvalidConfigNamesTheSetting()
    {
        VmapConfig c = Config(1, false);
        c.PageSize = 1000;
        ExpectInvalid(c, 1, "PageSize");

        c = Config(1, false);
        c.SpanStart = SpanStart + 1;
        ExpectInvalid(c, 1, "SpanStart");

        c = Config(1, false);
        c.GuardPages = Pages;
        ExpectInvalid(c, 1, "GuardPages");

        c = Config(1, false);
        c.MaxAreas = 2;
        ExpectInvalid(c, 1, "MaxAreas");

        c = Config(1, false);
        c.SizeClassLimit = 0;
        ExpectInvalid(c, 1, "SizeClassLimit");

        // More cores than the board has.
        ExpectInvalid(Config(2, false), 1, "Cores");
    }

    [TestMethod]
    public void StartTwiceIsAlreadyStarted()
    {
        Start(Config(1, false), 1);
        AssertStatus(Status.AlreadyStarted, s_a.Start(Config(1, false)), "second Start");
        Assert.IsTrue(s_a.IsStarted, "still started");
        Free(Alloc(1, 1));
        AssertValid("after a second Start");
    }

    // ---- zones -----------------------------------------------------------------------------------

    [TestMethod]
    public void ZonesWithTwoCoresStayValid()
    {
        // Two logical cores: threads map to zones by managed thread id, so this thread and the
        // helper thread below may use different zones (or the same one: both are valid).
        Start(Config(2, true), 2);
        MixedSequence(s_a, 1);
        AssertValid("after the first mixed sequence");

        var other = new Thread(OtherCore);
        other.Start();
        other.Join();
        AssertStatus(Status.Ok, s_otherStatus, "the helper thread's sequence");
        Assert.IsNull(s_otherProblem, "the helper thread's check");
        AssertValid("after the helper thread");

        AssertStatus(Status.Ok, s_a.DrainCaches(), "DrainCaches");
        AssertValid("after DrainCaches");

        s_a.Purge();
        AssertStatus(Status.Ok, s_a.DrainCaches(), "DrainCaches after the purge");
        Stats s = Snapshot();
        Assert.AreEqual(0, s.LiveAreas, "live areas");
        Assert.AreEqual(0, s.LazyPages, "lazy pages");
        Assert.AreEqual(0, s.CachedAreas, "cached areas");
        Assert.AreEqual(0, s_a.DrainMask, "drain mask");
        Assert.AreEqual(Pages, s.FreePages, "free pages");
        Assert.AreEqual(s.Allocs, s.Frees, "allocations and frees");
        Assert.AreEqual(0, s_mmu.Violations, "MMU contract violations");
        AssertValid("after draining everything");
    }

    private static void OtherCore()
    {
        s_otherStatus = MixedSequence(s_a, 7);
        s_otherProblem = s_a.Validate();
    }

    /// <summary>
    /// Small and large, aligned and not, freed out of order; everything it allocates it frees.
    /// Returns the first unexpected status, or Ok.
    /// </summary>
    private static Status MixedSequence(Allocator a, int seed)
    {
        int[] live = new int[24];
        int n = 0;
        int x = seed;
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 8; i++)
            {
                x = x * 1103515245 + 12345;
                int pages = 1 + ((x >> 16) & 3);
                int align = (i % 3 == 0) ? 1 << ((x >> 20) & 3) : 1;
                if (i == 4) pages = 80; // above the size-class limit: straight from the free tree (freed at once)
                int page;
                Status s = a.AllocPages(pages, align, round, out page);
                if (s != Status.Ok) return s;
                live[n++] = page;
            }
            // Free every other one now, the rest after the next round.
            for (int i = n - 8; i < n; i += 2)
            {
                Status s = a.FreePages(live[i]);
                if (s != Status.Ok) return s;
                live[i] = -1;
            }
            if (round == 1) a.Purge();
        }
        for (int i = 0; i < n; i++)
        {
            if (live[i] < 0) continue;
            Status s = a.FreePages(live[i]);
            if (s != Status.Ok) return s;
        }
        return Status.Ok;
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static VmapConfig Config(int cores, bool zones)
    {
        var c = new VmapConfig();
        c.PageSize = PageSize;
        c.SpanStart = SpanStart;
        c.SpanSize = (ulong)Pages * PageSize;
        c.MaxAreas = 1024;
        c.GuardPages = 1;
        c.Cores = cores;
        c.Zones = zones;
        return c;
    }

    private static void Start(VmapConfig c, int boardCores)
    {
        s_mmu = new TableMmu(Pages);
        s_a = new Allocator(new Board(new TickClock(), new ThreadCores(boardCores), s_mmu, new InlineDrainRequests()));
        Status s = s_a.Start(c);
        AssertStatus(Status.Ok, s, "Start (" + s_a.ConfigProblem + ")");
        Assert.IsNull(s_a.ConfigProblem, "ConfigProblem after a good Start");
    }

    /// <summary>An allocator with two live areas and one lazy one; returns the first live area's page.</summary>
    private static int StartBusy()
    {
        Start(Config(1, false), 1);
        int first = Alloc(3, 1);
        Alloc(5, 4);
        Free(Alloc(2, 1));
        return first;
    }

    private static void ExpectInvalid(VmapConfig c, int boardCores, string setting)
    {
        s_mmu = new TableMmu(Pages);
        var a = new Allocator(new Board(new TickClock(), new ThreadCores(boardCores), s_mmu, new InlineDrainRequests()));
        AssertStatus(Status.InvalidConfig, a.Start(c), "Start with a bad " + setting);
        string problem = a.ConfigProblem;
        Assert.IsNotNull(problem, "ConfigProblem for a bad " + setting);
        Assert.IsTrue(problem.IndexOf(setting) >= 0, "ConfigProblem names " + setting + ": " + problem);
        OutputHelper.WriteLine("refused as expected: " + problem);
        Assert.IsFalse(a.IsStarted, "IsStarted after a refused Start");
        int page;
        AssertStatus(Status.NotStarted, a.AllocPages(1, 1, 0, out page), "AllocPages after a refused Start");

        // The same allocator starts once the configuration is fixed.
        AssertStatus(Status.Ok, a.Start(Config(1, false)), "Start with a good configuration after " + setting);
        Assert.IsNull(a.ConfigProblem, "ConfigProblem cleared");
    }

    private static int Alloc(int pages, int align)
    {
        int page;
        Status s = s_a.AllocPages(pages, align, 0, out page);
        AssertStatus(Status.Ok, s, "AllocPages(" + pages.ToString() + ", " + align.ToString() + ")");
        return page;
    }

    private static void Free(int page)
    {
        AssertStatus(Status.Ok, s_a.FreePages(page), "FreePages(" + page.ToString() + ")");
    }

    private static Stats Snapshot()
    {
        var s = new Stats();
        s_a.GetStats(s);
        return s;
    }

    private static void AssertValid(string when)
    {
        string problem = s_a.Validate();
        Assert.IsNull(problem, "invariants " + when + ": " + problem);
        Assert.AreEqual(0, s_mmu.Violations, "MMU contract violations " + when);
    }

    private static void AssertUnchanged(Stats before, string what)
    {
        Stats after = Snapshot();
        Assert.AreEqual(before.Allocs, after.Allocs, what + ": allocations");
        Assert.AreEqual(before.Frees, after.Frees, what + ": frees");
        Assert.AreEqual(before.LiveAreas, after.LiveAreas, what + ": live areas");
        Assert.AreEqual(before.LivePages, after.LivePages, what + ": live pages");
        Assert.AreEqual(before.FreePages, after.FreePages, what + ": free pages");
        Assert.AreEqual(before.FreeBlocks, after.FreeBlocks, what + ": free blocks");
        Assert.AreEqual(before.LazyPages, after.LazyPages, what + ": lazy pages");
        Assert.AreEqual(before.PoolAvailable, after.PoolAvailable, what + ": pool records");
        AssertValid("after " + what);
    }

    private static void AssertStatus(Status expected, Status actual, string what)
    {
        Assert.AreEqual((int)expected, (int)actual, what + ": expected " + StatusText.Describe(expected) + ", got " + StatusText.Describe(actual));
    }
}
