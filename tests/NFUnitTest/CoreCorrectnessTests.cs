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

    /// <summary>
    /// Two cores allocate and free at the same time, each through its own zone: the allocator
    /// stays valid, every page is accounted for, and an allocation fails only when no free
    /// block fits after the purge and the drain. In a 256-page span, two sides that each hold
    /// up to a dozen small areas while asking for 80 pages can legitimately find the free
    /// space cut into blocks too small for it (for example 206 free pages in 6 blocks, the
    /// largest 76): such a failure is counted and checked, not taken for an error.
    /// <para>
    /// Two rounds. Free-running: both threads run at once, so what one finds when an
    /// allocation fails may already have changed by the other; that round checks the statuses,
    /// the invariants and the pages after both have ended. Lock-step: the threads take turns
    /// operation by operation (the allocator still sees two cores, two zones and their caches,
    /// with both sides holding areas at once), so when an allocation fails the other side is
    /// parked and the failing side checks, on the spot, that nothing was lazy or cached any
    /// more, that no free block was large enough, and that the live pages are exactly those
    /// both sides hold.
    /// </para>
    /// </summary>
    [TestMethod]
    public void ZonesWithTwoCoresStayValid()
    {
        Start(Config(2, true), 2);
        s_failuresBefore = 0;

        RunTwoCores(false, 1, 7);
        AssertEverythingBack("after the free-running round");

        RunTwoCores(true, 3, 11);
        AssertEverythingBack("after the lock-step round");
    }

    // The two sides of the zones test, and the turn of each in lock-step (static: the
    // launcher gives a test no instance).
    private static Side[] s_sides;
    private static AutoResetEvent[] s_turns;
    private static bool s_lockStep;
    private static int s_failuresBefore; // NoSpace failures the allocator counted before the round

    private const int SideRounds = 3;
    private const int SideAllocsPerRound = 8;
    private const int BigArea = 80; // above the size-class limit: straight from the free tree
    private const int TurnTimeoutMs = 20000;

    /// <summary>One thread of the zones test: what it holds and what it saw.</summary>
    private sealed class Side
    {
        public int Index;
        public int Seed;
        public int Core;              // the logical core its thread maps to (ThreadCores: id modulo 2)
        public readonly int[] Pages = new int[SideRounds * SideAllocsPerRound];  // first page, -1 when not held
        public readonly int[] Sizes = new int[SideRounds * SideAllocsPerRound];
        public int Held;              // areas held now, and their pages
        public int HeldPages;
        public int Allocs;
        public int Failures;          // allocations that found no space
        public int CheckedFailures;   // of which checked on the spot (lock-step)
        public string Problem;        // the first thing that went wrong, or null
        public bool Done;

        public void Run()
        {
            try
            {
                Core = Thread.CurrentThread.ManagedThreadId % 2;
                if (s_lockStep && Index == 1) WaitTurn(this);
                MixedSequence(this);
            }
            catch (System.Exception ex)
            {
                Report(this, "threw " + ex.GetType().FullName + ": " + ex.Message);
            }
            finally
            {
                Done = true;
                if (s_lockStep && !s_sides[1 - Index].Done) s_turns[1 - Index].Set();
            }
        }
    }

    /// <summary>
    /// Runs the two sides to their end on two threads, on two different logical cores when
    /// the thread ids allow it, and checks what they reported.
    /// </summary>
    private static void RunTwoCores(bool lockStep, int seed0, int seed1)
    {
        s_lockStep = lockStep;
        s_turns = new AutoResetEvent[] { new AutoResetEvent(false), new AutoResetEvent(false) };
        s_sides = new Side[2];
        for (int i = 0; i < 2; i++)
        {
            Side side = new Side();
            side.Index = i;
            side.Seed = i == 0 ? seed0 : seed1;
            s_sides[i] = side;
        }
        // Threads map to cores by managed thread id: pick one thread of each parity if the
        // first few offer both (if not, both sides share a zone, which must work too).
        Thread first = new Thread(s_sides[0].Run);
        Thread second = null;
        for (int tries = 0; tries < 6 && second == null; tries++)
        {
            Thread t = new Thread(s_sides[1].Run);
            if (t.ManagedThreadId % 2 != first.ManagedThreadId % 2 || tries == 5) second = t;
        }
        first.Start();
        second.Start();
        Assert.IsTrue(first.Join(2 * TurnTimeoutMs), "the first side ended");
        Assert.IsTrue(second.Join(2 * TurnTimeoutMs), "the second side ended");

        string round = lockStep ? "lock-step" : "free-running";
        int failures = 0;
        for (int i = 0; i < 2; i++)
        {
            Side side = s_sides[i];
            Assert.IsNull(side.Problem, round + ", side " + i.ToString() + " (core " + side.Core.ToString() + "): " + side.Problem);
            Assert.AreEqual(0, side.Held, round + ", side " + i.ToString() + ": areas still held");
            if (lockStep) Assert.AreEqual(side.Failures, side.CheckedFailures, round + ", side " + i.ToString() + ": failures checked on the spot");
            failures += side.Failures;
            OutputHelper.WriteLine(round + ", side " + i.ToString() + " on core " + side.Core.ToString() + ": " + side.Allocs.ToString()
                + " allocations, " + side.Failures.ToString() + " found no free block that fits");
        }
        AssertValid(round);
        Stats s = Snapshot();
        Assert.AreEqual(0, s.LiveAreas, round + ": live areas");
        Assert.AreEqual(0, s.LivePages, round + ": live pages");
        Assert.AreEqual(s_failuresBefore + failures, s.FailNoSpace, round + ": failed allocations counted by the allocator");
        Assert.AreEqual(0, s.FailNoRecords + s.FailDrainTimeout + s.FailFlush, round + ": failures of another kind");
        s_failuresBefore = s.FailNoSpace;
    }

    /// <summary>
    /// The sequence of one side: small and large, aligned and not, freed out of order, a purge
    /// in the middle; everything it allocates it frees. An allocation that finds no space is
    /// counted (and checked in lock-step); any other unexpected status is reported and ends it.
    /// </summary>
    private static void MixedSequence(Side me)
    {
        int x = me.Seed;
        int n = 0;
        for (int round = 0; round < SideRounds; round++)
        {
            int roundStart = n;
            for (int i = 0; i < SideAllocsPerRound; i++)
            {
                x = x * 1103515245 + 12345;
                int pages = i == 4 ? BigArea : 1 + ((x >> 16) & 3);
                int align = (i % 3 == 0) ? 1 << ((x >> 20) & 3) : 1;
                int page;
                Status s = s_a.AllocPages(pages, align, round, out page);
                me.Pages[n] = -1;
                me.Sizes[n] = pages;
                if (s == Status.Ok)
                {
                    me.Pages[n] = page;
                    me.Held++;
                    me.HeldPages += pages;
                    me.Allocs++;
                }
                else if (s == Status.NoSpace)
                {
                    me.Failures++;
                    if (s_lockStep) CheckFailure(me, pages, align);
                }
                else
                {
                    Report(me, "AllocPages(" + pages.ToString() + ", " + align.ToString() + "): " + StatusText.Describe(s));
                }
                n++;
                if (!Step(me)) return;
            }
            // Free every other one of this round now, the rest at the end.
            for (int i = roundStart; i < n; i += 2)
            {
                FreeHeld(me, i);
                if (!Step(me)) return;
            }
            if (round == 1)
            {
                Status s = s_a.Purge();
                if (s != Status.Ok) Report(me, "Purge: " + StatusText.Describe(s));
                if (!Step(me)) return;
            }
        }
        for (int i = 0; i < n; i++)
        {
            FreeHeld(me, i);
            if (!Step(me)) return;
        }
    }

    private static void FreeHeld(Side me, int i)
    {
        if (me.Pages[i] < 0) return;
        Status s = s_a.FreePages(me.Pages[i]);
        if (s != Status.Ok)
        {
            Report(me, "FreePages(" + me.Pages[i].ToString() + "): " + StatusText.Describe(s));
            return;
        }
        me.Pages[i] = -1;
        me.Held--;
        me.HeldPages -= me.Sizes[i];
    }

    /// <summary>
    /// In lock-step, when an allocation failed and the other side is parked: the allocator
    /// purged and drained before giving up, so nothing is lazy or cached; no free block is
    /// large enough (for an aligned request, none large enough to hold it at any alignment
    /// offset); and every page is live, a guard page or free, the live ones exactly those
    /// both sides hold.
    /// </summary>
    private static void CheckFailure(Side me, int pages, int align)
    {
        Stats s = Snapshot();
        int needed = pages + 1 + (align - 1); // guard page; the worst alignment offset
        string layout = s.FreePages.ToString() + " free pages in " + s.FreeBlocks.ToString() + " blocks, the largest "
            + s.LargestFreeBlock.ToString() + ", " + (pages + 1).ToString() + " needed (align " + align.ToString() + ")";
        if (s.LazyPages != 0 || s.CachedAreas != 0)
            Report(me, "an allocation failed with " + s.LazyPages.ToString() + " lazy pages and " + s.CachedAreas.ToString() + " cached areas left: " + layout);
        else if (s.LargestFreeBlock >= needed)
            Report(me, "an allocation failed although a free block fits: " + layout);
        else if (s.LivePages + s.GuardPages + s.FreePages != Pages)
            Report(me, "pages unaccounted for: " + s.LivePages.ToString() + " live + " + s.GuardPages.ToString() + " guard + "
                + s.FreePages.ToString() + " free != " + Pages.ToString());
        else if (s.LiveAreas != s_sides[0].Held + s_sides[1].Held || s.LivePages != s_sides[0].HeldPages + s_sides[1].HeldPages)
            Report(me, "the allocator counts " + s.LiveAreas.ToString() + " live areas of " + s.LivePages.ToString() + " pages, the sides hold "
                + (s_sides[0].Held + s_sides[1].Held).ToString() + " of " + (s_sides[0].HeldPages + s_sides[1].HeldPages).ToString());
        else
        {
            string problem = s_a.Validate();
            if (problem != null) Report(me, "invariants after a failed allocation: " + problem);
        }
        me.CheckedFailures++;
        OutputHelper.WriteLine("side " + me.Index.ToString() + ": no space for " + pages.ToString() + " pages: " + layout);
    }

    /// <summary>After an operation: in lock-step, hands the turn to the other side and waits for it back. False when the side must stop.</summary>
    private static bool Step(Side me)
    {
        if (me.Problem != null) return false;
        if (!s_lockStep || s_sides[1 - me.Index].Done) return true;
        s_turns[1 - me.Index].Set();
        return WaitTurn(me);
    }

    private static bool WaitTurn(Side me)
    {
        if (s_turns[me.Index].WaitOne(TurnTimeoutMs, false)) return true;
        Report(me, "the other side did not hand the turn back within " + TurnTimeoutMs.ToString() + " ms");
        return false;
    }

    private static void Report(Side me, string problem)
    {
        if (me.Problem == null) me.Problem = problem;
    }

    /// <summary>Once purged and drained, the span is one free block again and every allocation was freed.</summary>
    private static void AssertEverythingBack(string when)
    {
        AssertStatus(Status.Ok, s_a.Purge(), "Purge " + when);
        AssertStatus(Status.Ok, s_a.DrainCaches(), "DrainCaches " + when);
        Stats s = Snapshot();
        Assert.AreEqual(0, s.LiveAreas, "live areas " + when);
        Assert.AreEqual(0, s.LazyPages, "lazy pages " + when);
        Assert.AreEqual(0, s.CachedAreas, "cached areas " + when);
        Assert.AreEqual(0, s_a.DrainMask, "drain mask " + when);
        Assert.AreEqual(Pages, s.FreePages, "free pages " + when);
        Assert.AreEqual(1, s.FreeBlocks, "free blocks " + when);
        Assert.AreEqual(s.Allocs, s.Frees, "allocations and frees " + when);
        AssertValid(when);
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
