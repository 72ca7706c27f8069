using System.Threading;
using Vmap.Hal;

namespace Vmap;

/// <summary>
/// A core zone (Linux 6.9's vmap node): what one logical core keeps for itself (seed 003).
/// <list type="bullet">
/// <item>The busy list of the areas this core handed out; a free finds the zone through the
///   area's <c>Owner</c>, whichever core frees it. The busy-list operations are here.</item>
/// <item>A cache of free areas in size classes, one class per page count from 1 to the
///   board's SizeClassLimit, each a stack through <c>Next</c> (its policy: <see cref="ZoneCaches"/>).
///   Cached areas are carved already (with their guard pages) and belong to no tree.</item>
/// <item>Its own lazy list (lock-free, like the global one of Linux) and lazy page count
///   (its policy: <see cref="LazyPurge"/>).</item>
/// </list>
/// With zones off there is one zone, whose lock is the free-tree lock and which caches nothing:
/// the plain global-lock allocator.
/// </summary>
internal sealed class Zone
{
    private const int Nil = AreaPool.Nil;

    private readonly AreaPool _pool;
    private readonly int[][] _tags;
    private readonly IClock _clock;
    private readonly int _guard;

    public Zone(int index, object lockObject, CsMeter meter, AreaPool pool, FreeSpace space, IClock clock, int guard, int classLimit, int[] classCaps)
    {
        Index = index;
        Lock = lockObject;
        Cs = meter;
        _pool = pool;
        _tags = space.Tags;
        _clock = clock;
        _guard = guard;
        Busy = new BusyList(pool);
        CacheCap = classCaps;
        CacheHead = new int[classLimit + 1];
        CacheCount = new int[classLimit + 1];
        CacheLow = new int[classLimit + 1];
        CurrentTransits = _generationA;
    }

    /// <summary>The core this zone belongs to (0 with zones off).</summary>
    public readonly int Index;

    /// <summary>The zone lock (<see cref="Locks"/>): protects the busy list, the cache and the counters below.</summary>
    public readonly object Lock;

    /// <summary>Timing of this lock's critical sections.</summary>
    public readonly CsMeter Cs;

    /// <summary>Live areas handed out by this core.</summary>
    public readonly BusyList Busy;

    /// <summary>Per size class (pages): the top of the stack of cached areas; zone lock.</summary>
    public readonly int[] CacheHead;

    /// <summary>Per size class: how many areas the stack holds; zone lock.</summary>
    public readonly int[] CacheCount;

    /// <summary>Per size class: the fewest areas the stack held since the last decay (its idle bottom); zone lock.</summary>
    public readonly int[] CacheLow;

    /// <summary>Per size class: most areas the stack may hold (more go back to the free tree); read-only, shared by the zones.</summary>
    public readonly int[] CacheCap;

    /// <summary>
    /// Work units done under the zone lock, only growing (see <see cref="CsMeter"/>), where a
    /// section reads them as a difference (a carve's refill: one per busy-list entry and one per
    /// cache push); the other zone sections count their few units directly.
    /// </summary>
    public int Work;

    // Counters: zone lock.
    public int CachedAreas;
    public int CachedPages;   // reserved pages, guard pages included
    public int Allocs;
    public int Frees;
    public int LivePages;     // guard pages excluded
    public int Hits;
    public int Refills;
    public int Drained;
    public int Decayed;       // areas decay gave back to the free tree
    public int CapRefusals;   // returns the zone-wide caps turned away since the last decay

    /// <summary>The zone's own purges (<see cref="PurgeMode.Zones"/>): written by the holder of its purge gate.</summary>
    public readonly PurgeCounters Purged = new PurgeCounters();

    /// <summary>Lazy pages merged per zone by this zone's own purge (only this zone's entry is ever set); its purge gate.</summary>
    public int[] PurgeDelta;

    /// <summary>
    /// Mapped pages this zone's frees took off the busy list, ever (less those a failed unmap
    /// put back). Zone lock: a free counts its pages in the section that unlinks the area, so
    /// the count costs no atomic.
    /// </summary>
    public int FreedPages;

    /// <summary>
    /// Of <see cref="FreedPages"/>, those purges have handed back, ever. Written only by the
    /// holder of this zone's purge gate (a zone purge, or a global purge's pass over the zone),
    /// so it needs neither the zone lock nor an atomic. Never above FreedPages.
    /// </summary>
    public volatile int PurgedPages;

    /// <summary>
    /// Mapped pages freed and not yet handed back: on the lazy list, in a running purge, or in
    /// transit to the lazy list. Read without a lock: Purged first (a volatile read, so a weakly
    /// ordered host cannot load Freed before it; the interpreter ignores the keyword and runs
    /// one thread at a time), so a racing purge or free can only make it larger than it is
    /// (both counters wrap; the difference does not).
    /// </summary>
    public int LazyPages
    {
        get
        {
            int purged = PurgedPages;
            return FreedPages - purged;
        }
    }

    /// <summary>The top of the lock-free stack of freed, unmapped areas (through Next); Interlocked only.</summary>
    public int LazyHead;

    // The two generations of transits (see Vmap.Transits), fixed, and the one a transit
    // beginning now joins: `Transits t = CurrentTransits; t.Begun++;` under the zone lock,
    // written out where a transit begins (the interpreter inlines no call). Checks read both
    // fixed ones, so a switch racing with a check cannot hide either.
    private readonly Transits _generationA = new Transits();
    private readonly Transits _generationB = new Transits();

    /// <summary>The generation a transit beginning now joins; zone lock.</summary>
    public Transits CurrentTransits;

    /// <summary>True when a transit of this zone has begun and not ended (read without the lock).</summary>
    public bool InTransit() => _generationA.Open() || _generationB.Open();

    /// <summary>
    /// Makes the other generation of transits current (a zone section) and returns the one it
    /// left, whose transits all began before the call (see <see cref="Locks.WaitForTransits"/>).
    /// Called by the holder of the global purge gate only, so the generation made current is
    /// one the previous caller waited for: closed, unless that wait gave up.
    /// </summary>
    public Transits NextTransitGeneration()
    {
        lock (Lock)
        {
            long t0 = _clock.Ticks;
            Transits earlier = CurrentTransits;
            CurrentTransits = earlier == _generationA ? _generationB : _generationA;
            Cs.Record(_clock.Ticks - t0, 1);
            return earlier;
        }
    }

    // ---- the busy list ----------------------------------------------------------------------

    /// <summary>
    /// Enters a carved range (its record's Start and Size already <paramref name="start"/> and
    /// <paramref name="reserve"/>) into the busy list, names this zone its owner and tags its
    /// first page. Caller holds the zone lock.
    /// </summary>
    public void EnterBusyLocked(int area, int start, int reserve, int tag)
    {
        AreaPool pool = _pool;
        pool.CallerTag[area] = tag;
        pool.Owner[area] = Index;
        // AreaPool.SetState written out: the interpreter inlines no call on this hot path.
        pool.ParentColor[area] = (pool.ParentColor[area] & ~AreaPool.StateMask) | AreaPool.BusyState;
        Busy.Add(area);
        _tags[start >> FreeSpace.TagShift][start & FreeSpace.TagMask] = area;
        Allocs++;
        LivePages += reserve - _guard;
        Work++;
    }

    /// <summary>
    /// Takes <paramref name="area"/>, found by the boundary tag of <paramref name="page"/>
    /// without a lock, off the busy list if under the lock it still is the live area that
    /// starts there and belongs to this zone, and counts its mapped pages as lazy
    /// (<paramref name="lazyPages"/>: the zone's count after). Then it is in
    /// <paramref name="transit"/> until <see cref="QueueLazy"/> or <see cref="RelinkBusy"/>.
    /// One zone section.
    /// </summary>
    public bool UnlinkBusy(int area, int page, out int lazyPages, out Transits transit)
    {
        AreaPool pool = _pool;
        bool taken = false;
        transit = null;
        lock (Lock)
        {
            long t0 = _clock.Ticks;
            // AreaPool.IsBusy and SetState written out: the interpreter inlines no call here.
            int[] pc = pool.ParentColor;
            if (_tags[page >> FreeSpace.TagShift][page & FreeSpace.TagMask] == area && (pc[area] & AreaPool.BusyState) != 0 && pool.Start[area] == page && pool.Owner[area] == Index)
            {
                transit = CurrentTransits;
                transit.Begun++;
                Busy.Remove(area);
                pc[area] &= ~AreaPool.StateMask;
                int mapped = pool.Size[area] - _guard;
                Frees++;
                LivePages -= mapped;
                FreedPages += mapped;
                taken = true;
            }
            lazyPages = FreedPages - PurgedPages;
            Cs.Record(_clock.Ticks - t0, taken ? 1 : 0);
        }
        return taken;
    }

    /// <summary>Undoes <see cref="UnlinkBusy"/> after a failed unmap: the area is busy again, as before, and its transit ends.</summary>
    public void RelinkBusy(int area, Transits transit)
    {
        lock (Lock)
        {
            long t0 = _clock.Ticks;
            _pool.SetState(area, AreaPool.BusyState);
            Busy.Add(area);
            int mapped = _pool.Size[area] - _guard;
            Frees--;
                LivePages += mapped;
            FreedPages -= mapped;
            Cs.Record(_clock.Ticks - t0, 1);
        }
        Interlocked.Increment(ref transit.Ended);
    }

    // ---- the lazy list --------------------------------------------------------------------

    /// <summary>Pushes a freed, unmapped area (its pages counted by <see cref="UnlinkBusy"/>) on the lazy list, then ends the free's <paramref name="transit"/>.</summary>
    public void QueueLazy(int area, Transits transit)
    {
        Atomic.Push(ref LazyHead, _pool.Next, area);
        Interlocked.Increment(ref transit.Ended);
    }

    /// <summary>Puts an area of a failed purge back on the lazy list (its pages never left the count).</summary>
    public void Requeue(int area) => Atomic.Push(ref LazyHead, _pool.Next, area);

    /// <summary>Takes <paramref name="pages"/> that a purge merged or cached off the lazy count. Caller holds this zone's purge gate.</summary>
    public void DropLazy(int pages) => PurgedPages += pages;
}
