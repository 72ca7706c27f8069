using System.Threading;
using Vmap.Hal;

namespace Vmap;

// Core zones and the drain mask (seeds 003 and 004).
//
// Each core allocates from its own zone's cache of carved areas under its own lock, and only
// goes to the free tree to refill the cache, for sizes beyond the classes, or when the cache
// has nothing aligned enough. Purges hand small lazily freed areas back to their zone's cache
// rather than to the tree, and every purge decays each cache by a quarter so that cached space
// flows back. When space runs out anyway, the cores whose caches hold something (the drain
// mask) are asked to give everything back, and only those: the others are skipped, which is
// what saved 90-99 % of the cross-CPU interrupts in seed 004.
public sealed partial class Allocator : IDrainable
{
    // Records the cache refill may not take from the pool: kept for splits and busy areas.
    private const int PoolReserve = 64;

    // Areas a refill carves in one free-tree section: at most this many (one page and its
    // guard: 32 areas in 64 pages)...
    private const int RefillMaxAreas = 32;

    // ...and at most this many pages, so big classes do not hoard address space. A refill is
    // one carve of a run whatever its length (CarveRunLocked), so small classes take many
    // areas per trip to the free tree: a one-page class under fix_size goes to the tree once
    // per 32 allocations rather than once per 8, and each core's areas (and their records)
    // come in longer runs, so cores share fewer cache lines.
    private const int RefillMaxPages = 64;

    // Cache caps per size class. A class may keep what one purge period can hand back to it:
    // the zone's even share of LazyMaxPages (as configured at start), in areas of the class.
    // A cap below that sends the rest of every batch to the free tree, to be carved again by
    // the next refills: under fix_size, a one-page class turns over thousands of areas
    // between two purges, and all of them would pass through the free-tree lock that zones
    // exist to avoid. The cache cannot grow past what its own core frees (plus refills on
    // misses), and idle space decays (DecayCaches)...
    private const int ClassCapAreas = 16;

    // ...and no class may keep more than a 16th of the span, nor fewer than ClassCapAreas
    // areas, so the small spans of microcontroller boards keep ClassCapAreas for every class.
    private const int ClassCapSpanShift = 4;

    // A zone's whole cache is bounded too, in records and in pages. A cached area keeps its
    // record, where a merge into the free tree usually gives it back, so caches sized by
    // address space alone could hold every record and make allocations fail for want of one:
    // a zone keeps at most a (2 x cores)th of the pool, half of it always stays for the free
    // tree, lazy and live areas. In pages, a zone keeps twice what one purge period returns
    // (its share of LazyMaxPages, guard pages counted) and at most a (2 x cores)th of the
    // span: every class's cap together would allow far more, and the few areas each rarely
    // used class keeps add up over hundreds of classes and many cores.
    private int _zoneAreaCap;
    private int _zonePageCap;
    private int[] _refillBatch; // per class: areas one refill carves (RefillMaxPages, RefillMaxAreas)

    // Cached areas detached per zone section while draining or decaying.
    private const int DrainChunk = 64;

    private readonly object _drainLock = new object();
    private CsMeter _drainCs;
    private PurgeGate _drainGate;

    // A bit per core whose cache holds something: set when a cache becomes non-empty and
    // cleared when it becomes empty, both under that zone's lock, with CompareExchange since
    // zones update their bits concurrently. Bit clear means the cache is empty.
    private int _cacheMask;

    // Drain counters: drain lock.
    private int _drains;
    private int _drainRequestsSent;
    private int _drainRequestsSaved;

    private void StartZones(VmapConfig c, long tps)
    {
        _zonesOn = c.Zones;
        _zonePurges = c.Zones && c.PurgeMode == PurgeMode.Zones;
        _classLimit = c.Zones ? c.SizeClassLimit : 0;
        _drainCs = new CsMeter("drain", tps, c.CsBudgetMicros);
        _drainGate = new PurgeGate();
        if (!c.Zones)
        {
            _zones = new Zone[] { new Zone(0, _treeLock, _treeCs, _pool, 0, new int[1]) };
            return;
        }
        int lazyMax = c.EffectiveLazyMaxPages();
        int capPages = lazyMax / c.Cores;
        if (capPages > c.SpanPages >> ClassCapSpanShift) capPages = c.SpanPages >> ClassCapSpanShift;
        int[] caps = new int[_classLimit + 1];
        _refillBatch = new int[_classLimit + 1];
        for (int cls = 1; cls <= _classLimit; cls++)
        {
            _refillBatch[cls] = ComputeRefillBatch(cls);
            int byPages = capPages / cls;
            caps[cls] = byPages > ClassCapAreas ? byPages : ClassCapAreas;
        }
        _zoneAreaCap = c.MaxAreas / (2 * c.Cores);
        long pageCap = 2L * (lazyMax / c.Cores) * (1 + c.GuardPages) + RefillMaxPages;
        long spanShare = c.SpanPages / (2 * c.Cores);
        _zonePageCap = (int)(pageCap < spanShare ? pageCap : spanShare);
        _zones = new Zone[c.Cores];
        for (int i = 0; i < c.Cores; i++)
        {
            _zones[i] = new Zone(i, new object(), new CsMeter("zone " + i, tps, c.CsBudgetMicros), _pool, _classLimit, caps);
        }
    }


    // ---- the cache: building blocks (caller holds the zone lock) --------------------------

    /// <summary>How many more areas class <paramref name="cls"/> of zone <paramref name="z"/> may cache (exact under the zone lock, a hint without).</summary>
    private int CacheRoom(Zone z, int cls)
    {
        int room = z.CacheCap[cls] - z.CacheCount[cls];
        int byAreas = _zoneAreaCap - z.CachedAreas;
        int byPages = (_zonePageCap - z.CachedPages) / (cls + _guard);
        if (byAreas < room) room = byAreas;
        if (byPages < room) room = byPages;
        return room > 0 ? room : 0;
    }

    /// <summary>True when class <paramref name="cls"/> of zone <paramref name="z"/> may cache one more area (zone lock).</summary>
    private bool HasCacheRoom(Zone z, int cls)
    {
        return z.CacheCount[cls] < z.CacheCap[cls] && z.CachedAreas < _zoneAreaCap && z.CachedPages + cls + _guard <= _zonePageCap;
    }

    private void PushCachedLocked(Zone z, int area)
    {
        int cls = _pool.Size[area] - _guard;
        _pool.Next[area] = z.CacheHead[cls];
        z.CacheHead[cls] = area;
        z.CacheCount[cls]++;
        if (z.CachedAreas++ == 0) SetMaskBit(z.Index);
        z.CachedPages += _pool.Size[area];
    }

    private int PopCachedLocked(Zone z, int cls)
    {
        int area = z.CacheHead[cls];
        z.CacheHead[cls] = _pool.Next[area];
        int left = --z.CacheCount[cls];
        if (left < z.CacheLow[cls]) z.CacheLow[cls] = left;
        if (--z.CachedAreas == 0) ClearMaskBit(z.Index);
        z.CachedPages -= _pool.Size[area];
        return area;
    }

    private void SetMaskBit(int core)
    {
        int old;
        do
        {
            old = _cacheMask;
        }
        while (Interlocked.CompareExchange(ref _cacheMask, old | (1 << core), old) != old);
    }

    private void ClearMaskBit(int core)
    {
        int old;
        do
        {
            old = _cacheMask;
        }
        while (Interlocked.CompareExchange(ref _cacheMask, old & ~(1 << core), old) != old);
    }

    // ---- allocation from a zone ---------------------------------------------------------------

    /// <summary>
    /// The fast path: the top cached area of the request's class, if its start honours the
    /// alignment (an unaligned top stays cached; the caller carves instead). One zone section.
    /// </summary>
    private bool CacheAlloc(Zone z, int pages, int alignPages, int tag, out int page)
    {
        page = -1;
        lock (z.Lock)
        {
            long t0 = _clock.Ticks;
            int top = z.CacheHead[pages];
            if (top != Nil && (alignPages == 1 || FreeSpace.AlignUp(_pool.Start[top], alignPages, _spanPageLow & (alignPages - 1)) == _pool.Start[top]))
            {
                PopCachedLocked(z, pages);
                page = _pool.Start[top];
                MakeBusyLocked(z, top, page, pages + _guard, tag, z.Index);
                z.Hits++;
            }
            z.Cs.Record(_clock.Ticks - t0, 1);
        }
        return page >= 0;
    }

    /// <summary>How many areas of class <paramref name="pages"/> one refill carves (the one handed out included); start-up only.</summary>
    private int ComputeRefillBatch(int pages)
    {
        int byPages = RefillMaxPages / (pages + _guard);
        if (byPages > RefillMaxAreas) return RefillMaxAreas;
        return byPages > 1 ? byPages : 1;
    }

    /// <summary>How many extra areas of a class a refill should carve for the cache (racy read of the count: a hint).</summary>
    private int RefillCount(Zone z, int pages)
    {
        int want = _refillBatch[pages];
        int room = CacheRoom(z, pages);
        if (want > room) want = room;
        return want > 1 ? want - 1 : 0;
    }

    /// <summary>
    /// The zone's slow path, in one critical section (one per step of an aligned search in a
    /// fragmented span): under the free-tree lock, carves the area (and up to
    /// <paramref name="extras"/> more of the same size for the cache) and,
    /// holding the zone lock inside it, enters the area in the zone's busy list and caches the
    /// extras. Nesting the zone lock makes a miss one section instead of a carving section and
    /// a zone section, and the carved space is never outside both trees and the cache, so a
    /// miss needs no transit count (see the lock order in the class comment).
    /// </summary>
    private Status CarveForZone(Zone z, int pages, int alignPages, int tag, int core, int extras, out int page)
    {
        int reserve = pages + _guard;
        if (_preload[core] == Nil) RefillPreload(core);
        Status s;
        int from = 0;
        do
        {
            lock (_treeLock)
            {
                long t0 = _clock.Ticks;
                s = CarveLocked(reserve, alignPages, core, ref from, out int area, out page);
                if (s == Status.Ok)
                {
                    // None when space is scarce: a cache must not hoard the last free pages other
                    // cores are about to need.
                    if (_free.FreePages < (_spanPages >> 3)) extras = 0;
                    lock (z.Lock)
                    {
                        long z0 = _clock.Ticks;
                        MakeBusyLocked(z, area, page, reserve, tag, core);
                        // The class's room is exact here (the zone lock is held), so nothing
                        // carved ever has to go back. (No extras: the size may have no class.)
                        if (extras > 0)
                        {
                            int room = CacheRoom(z, pages);
                            if (extras > room) extras = room;
                        }
                        if (extras > 0 && _pool.Available > PoolReserve + extras && CarveRunLocked(z, reserve, extras, core)) z.Refills++;
                        z.Cs.Record(_clock.Ticks - z0, 1);
                    }
                }
                _treeCs.Record(_clock.Ticks - t0, 1);
            }
        }
        while (from >= 0); // an aligned search in a fragmented span goes on in the next section
        return s;
    }

    /// <summary>
    /// Caches <paramref name="count"/> areas of <paramref name="reserve"/> pages (guard
    /// included) carved as ONE run, unaligned at the lowest fit, and split
    /// into records: the free tree changes once per refill instead of once per area, and the
    /// areas are adjacent (handed out in address order, their records and boundary tags close
    /// together). Returns false when no block holds the run: the refill is skipped. Caller
    /// holds the free-tree lock and the zone lock.
    /// </summary>
    private bool CarveRunLocked(Zone z, int reserve, int count, int core)
    {
        // Unaligned at the lowest fit: a full or left-edge fit, never a split that would need
        // the preload slot.
        int from = 0; // unaligned: the search is one step
        if (CarveLocked(reserve * count, 1, core, ref from, out int run, out int at) != Status.Ok) return false;
        // Split from the top down, so the run's own record ends as the lowest area, pushed
        // last, and the cache hands the run out from its start.
        int i = count - 1;
        for (; i > 0; i--)
        {
            int a = _pool.TakeLocked();
            if (a == Nil) break; // only with injected faults: the caller saw enough records
            _pool.Start[a] = at + i * reserve;
            _pool.Size[a] = reserve;
            PushCachedLocked(z, a);
        }
        // The run's record keeps areas 0 to i: one area is cached, more (a take failed) go
        // straight back to free space.
        _pool.Size[run] = (i + 1) * reserve;
        if (i == 0) PushCachedLocked(z, run);
        else _free.Release(run);
        return true;
    }

    // ---- giving cached space back ---------------------------------------------------------------

    /// <summary>
    /// Decay (after Linux decay_va_pool_node), after every purge of zone <paramref name="z"/>'s
    /// lazy areas (caller holds its purge flag): the zone gives back to the free tree a quarter
    /// (rounded down, as Linux) of the areas of every class that stayed idle since the last
    /// purge, beyond one refill's worth, at most <see cref="DrainChunk"/> areas per zone
    /// section. Linux returns a quarter of the whole pool, so the areas a busy class reuses
    /// every period go to the tree and are carved again (under the lock zones exist to
    /// avoid); here only idle space decays, geometrically. A rarely used class keeps what its
    /// last refill carved (at most RefillMaxPages pages) and up to three more areas: decaying
    /// those too would only send them back and forth between the cache and the tree. But
    /// hundreds of classes keeping a few areas each can fill the zone-wide caps; once the caps
    /// have turned a return away, every idle area is fair game (<see cref="IdleQuota"/>). A
    /// drain takes everything when space runs out. A stack is popped and pushed at its top,
    /// so its bottom <c>CacheLow</c> areas (the fewest it held since the last purge) are the
    /// idle ones.
    /// </summary>
    private void DecayCache(Zone z)
    {
        if (z.CachedAreas == 0) return; // racy hint; a missed decay waits for the next purge
        // Under pressure (the zone-wide caps turned a return away since the last decay) the
        // refill's worth is not spared: otherwise the few areas every idle class keeps could
        // fill the caps for good and turn away the classes in use.
        bool pressed = z.CapRefusals > 0; // racy hint, reset below under the lock
        int cls = 1;
        int quota = -1; // areas class cls still gives back; -1: not counted yet
        while (cls <= _classLimit)
        {
            int list = Nil;
            Interlocked.Increment(ref z.InTransit);
            lock (z.Lock)
            {
                long t0 = _clock.Ticks;
                if (cls == 1) z.CapRefusals = 0;
                int taken = 0;
                while (cls <= _classLimit && taken < DrainChunk)
                {
                    if (quota < 0) quota = IdleQuota(z.CacheLow[cls], _refillBatch[cls], pressed);
                    if (quota == 0 || z.CacheHead[cls] == Nil)
                    {
                        z.CacheLow[cls] = z.CacheCount[cls]; // the next period starts
                        cls++;
                        quota = -1;
                        continue;
                    }
                    int a = PopCachedLocked(z, cls);
                    _pool.Next[a] = list;
                    list = a;
                    quota--;
                    taken++;
                }
                z.Decayed += taken;
                z.Cs.Record(_clock.Ticks - t0, 1);
            }
            if (list != Nil) MergeIntoTree(list, false, null);
            Interlocked.Decrement(ref z.InTransit);
        }
    }

    /// <summary>
    /// The areas decay gives back from a class that kept <paramref name="idle"/> areas idle:
    /// a quarter of those beyond one refill (<paramref name="batch"/>), rounded down as Linux
    /// does; under pressure (the zone-wide caps turned a return away) a quarter of all of them,
    /// rounded up, so every idle area leaves.
    /// </summary>
    private static int IdleQuota(int idle, int batch, bool pressed)
    {
        if (pressed) return (idle + 3) >> 2;
        return idle > batch ? (idle - batch) >> 2 : 0;
    }

    /// <summary>
    /// Drain request handler (runs on <paramref name="core"/> or on its behalf): gives the
    /// core's whole cache back to the free tree, <see cref="DrainChunk"/> areas per zone section.
    /// </summary>
    public void DrainCore(int core)
    {
        if (!_zonesOn || core < 0 || core >= _zones.Length) return;
        Zone z = _zones[core];
        while (true)
        {
            int list = Nil;
            Interlocked.Increment(ref z.InTransit);
            lock (z.Lock)
            {
                long t0 = _clock.Ticks;
                int taken = 0;
                for (int cls = 1; cls <= _classLimit && taken < DrainChunk; cls++)
                {
                    while (z.CacheHead[cls] != Nil && taken < DrainChunk)
                    {
                        int a = PopCachedLocked(z, cls);
                        _pool.Next[a] = list;
                        list = a;
                        taken++;
                    }
                }
                if (taken > 0) z.Drained++;
                z.Cs.Record(_clock.Ticks - t0, 1);
            }
            if (list != Nil) MergeIntoTree(list, false, null);
            Interlocked.Decrement(ref z.InTransit);
            if (list == Nil) return;
            Interlocked.Increment(ref _returns);
        }
    }

    /// <summary>
    /// When space has run out: under the drain gate (one drain at a time; later ones wait and
    /// then find the caches empty), snapshot the drain mask in a short drain-lock section,
    /// drain this core's own cache directly, ask only the other cores in the mask to drain
    /// (the cross-core requests seed 004 counts), and wait for them. Returns true when any
    /// cache was drained or asked to, so the caller retries; <paramref name="timedOut"/> tells
    /// a core did not answer in time (its cache stays intact for a later request).
    /// </summary>
    private bool DrainForSpace(out bool timedOut)
    {
        timedOut = false;
        if (!_zonesOn) return false;
        int self = _cores.Current;
        if (self >= _coreCount) self %= _coreCount;
        _drainGate.Enter();
        int mask;
        int others;
        lock (_drainLock)
        {
            long t0 = _clock.Ticks;
            mask = _cacheMask;
            others = mask & ~(1 << self);
            int asked = BitCount(others);
            _drains++;
            _drainRequestsSent += asked;
            _drainRequestsSaved += _zones.Length - 1 - asked;
            _drainCs.Record(_clock.Ticks - t0, 1);
        }
        // Nothing here throws, so the gate needs no try/finally: a core that does not answer is
        // WaitAll's false, and a drain makes no MMU call (cached areas are unmapped and flushed).
        if ((mask & (1 << self)) != 0) DrainCore(self);
        if (others != 0)
        {
            _board.Drain.Send(others, this);
            timedOut = !_board.Drain.WaitAll(_config.DrainTimeoutMs);
        }
        _drainGate.Exit();
        return mask != 0;
    }

    private static int BitCount(int x)
    {
        int n = 0;
        while (x != 0)
        {
            x &= x - 1;
            n++;
        }
        return n;
    }

    /// <summary>
    /// Asks every core whose cache holds something to give it back to the free tree (Linux
    /// drain_all_pages), and only those. Returns <see cref="Status.DrainTimeout"/> when a core
    /// did not answer in time (its cache is intact), else Ok.
    /// </summary>
    public Status DrainCaches()
    {
        if (!_started) return Status.NotStarted;
        DrainForSpace(out bool timedOut);
        return timedOut ? Status.DrainTimeout : Status.Ok;
    }

    /// <summary>
    /// Fault injection for tests and soak runs: after <paramref name="after"/> more record
    /// takes, the next <paramref name="takes"/> find the pool empty, wherever they happen (a
    /// preload refill, a busy record, a cache refill).
    /// </summary>
    public void InjectPoolDry(int after, int takes)
    {
        if (!_started) return;
        lock (_treeLock) _pool.InjectDry(after, takes);
    }

    /// <summary>The drain mask now: a bit per core whose cache holds something.</summary>
    public int DrainMask => _cacheMask;
}
