using System.Threading;
using Vmap.Hal;

namespace Vmap;

/// <summary>
/// The zones' caches of carved areas (seed 003): size classes, their caps, refills, the
/// return of small lazy areas by a purge, decay and drain.
/// <para>Each core allocates from its own zone's cache under its own lock, and goes to the free
/// tree only to refill it, for sizes beyond the classes, or when the cache has nothing aligned
/// enough. On the board a hit skips the free-tree search and split, which the interpreter pays
/// for per call and per tree level; on the simulated board it also keeps cores off the
/// free-tree lock. Purges hand small lazy areas back to their zone's cache; idle space decays
/// back to the tree after every purge, and when space runs out the cores in the drain mask give
/// everything back.</para>
/// </summary>
internal sealed class ZoneCaches
{
    private const int Nil = AreaPool.Nil;

    // Records a refill may not take from the pool, kept for splits and busy areas: an eighth
    // of the pool, at most 64. (A pool sized from the span cannot run dry; one capped by
    // MaxAreas can, and caches must not be what empties it.)
    private const int PoolReserveMax = 64;
    private readonly int _poolReserve;

    // A refill carves one run of at most this many areas and this many pages (guards
    // included), so small classes take several areas per trip to the free tree and big
    // classes do not hoard address space.
    private const int RefillMaxAreas = 32;
    private const int RefillMaxPages = 64;

    // Per class, a cache may keep what one purge period hands back to it (the zone's even
    // share of LazyMaxPages, in areas of the class), at least this many areas...
    private const int ClassCapAreas = 16;

    // ...and all zones together at most an eighth of the span: a cache holds address space no
    // other core can use until a drain, on top of what sits lazily freed.
    private const int CacheSpanShift = 3;

    // Steps per zone section while draining or decaying: a class passed or an area taken
    // (a board may have hundreds of classes, most of them empty).
    private const int DrainChunk = 64;

    private readonly Zone[] _zones;
    private readonly Carver _carver;
    private readonly AreaPool _pool;
    private readonly DrainMask _mask;
    private readonly IClock _clock;
    private readonly int _guard;
    private readonly int _spanPages;
    private readonly int _spanPageLow;
    private readonly int[] _refillBatch; // per class: areas one refill carves

    /// <summary>The largest cached class, in pages.</summary>
    public readonly int ClassLimit;

    /// <summary>A zone caches at most this many areas: a (2 x zones)th of the pool, so half of it always stays for the free tree, lazy and live areas.</summary>
    public readonly int ZoneAreaCap;

    /// <summary>A zone caches at most this many pages (guards included): twice what one purge period returns, and at most its share of an eighth of the span.</summary>
    public readonly int ZonePageCap;

    public ZoneCaches(Zone[] zones, Carver carver, DrainMask mask, IClock clock, VmapConfig c, int spanPageLow)
    {
        _zones = zones;
        _carver = carver;
        _pool = carver.Pool;
        _mask = mask;
        _clock = clock;
        _guard = c.GuardPages;
        _spanPages = c.SpanPages;
        _spanPageLow = spanPageLow;
        ClassLimit = c.SizeClassLimit;
        _refillBatch = new int[ClassLimit + 1];
        for (int cls = 1; cls <= ClassLimit; cls++)
        {
            int batch = RefillMaxPages / (cls + _guard);
            _refillBatch[cls] = batch > RefillMaxAreas ? RefillMaxAreas : batch > 1 ? batch : 1;
        }
        ZoneAreaCap = _pool.Capacity / (2 * c.Cores);
        _poolReserve = _pool.Capacity >> 3 < PoolReserveMax ? _pool.Capacity >> 3 : PoolReserveMax;
        int share = c.EffectiveLazyMaxPages() / c.Cores;
        long byPurge = 2L * share * (1 + _guard) + RefillMaxPages;
        long bySpan = (c.SpanPages >> CacheSpanShift) / c.Cores;
        ZonePageCap = (int)(byPurge < bySpan ? byPurge : bySpan);
    }

    /// <summary>Per class: the most areas one zone may cache (the classes' caps; shared by every zone). Start-up only.</summary>
    public static int[] ClassCaps(VmapConfig c)
    {
        int[] caps = new int[c.SizeClassLimit + 1];
        int share = c.EffectiveLazyMaxPages() / c.Cores;
        for (int cls = 1; cls <= c.SizeClassLimit; cls++)
        {
            int byPages = share / cls;
            caps[cls] = byPages > ClassCapAreas ? byPages : ClassCapAreas;
        }
        return caps;
    }

    // ---- building blocks (caller holds the zone lock) -----------------------------------------

    /// <summary>How many more areas class <paramref name="cls"/> of zone <paramref name="z"/> may cache (exact under the zone lock, a hint without).</summary>
    private int Room(Zone z, int cls)
    {
        int room = z.CacheCap[cls] - z.CacheCount[cls];
        int byAreas = ZoneAreaCap - z.CachedAreas;
        int byPages = (ZonePageCap - z.CachedPages) / (cls + _guard);
        if (byAreas < room) room = byAreas;
        if (byPages < room) room = byPages;
        return room > 0 ? room : 0;
    }

    private void Push(Zone z, int area)
    {
        int cls = _pool.Size[area] - _guard;
        _pool.Next[area] = z.CacheHead[cls];
        z.CacheHead[cls] = area;
        z.CacheCount[cls]++;
        if (z.CachedAreas++ == 0) _mask.Set(z.Index);
        z.CachedPages += _pool.Size[area];
        z.Work++;
    }

    private int Pop(Zone z, int cls)
    {
        int area = z.CacheHead[cls];
        z.CacheHead[cls] = _pool.Next[area];
        int left = --z.CacheCount[cls];
        if (left < z.CacheLow[cls]) z.CacheLow[cls] = left;
        if (--z.CachedAreas == 0) _mask.Clear(z.Index);
        z.CachedPages -= _pool.Size[area];
        return area;
    }

    // ---- allocation ----------------------------------------------------------------------

    /// <summary>
    /// The fast path: the top cached area of class <paramref name="pages"/>, if its start
    /// honours the alignment (an unaligned top stays cached; the caller carves instead). One
    /// zone section. The class's top, read without the lock, is only a hint: an empty class
    /// skips a section that could not succeed; a hit is confirmed under the lock.
    /// </summary>
    public bool TryHit(Zone z, int pages, int alignPages, int tag, out int page)
    {
        page = -1;
        if (z.CacheHead[pages] == Nil) return false;
        lock (z.Lock)
        {
            long t0 = _clock.Ticks;
            int top = z.CacheHead[pages];
            if (top != Nil && (alignPages == 1 || FreeSpace.AlignUp(_pool.Start[top], alignPages, _spanPageLow & (alignPages - 1)) == _pool.Start[top]))
            {
                Pop(z, pages);
                page = _pool.Start[top];
                z.EnterBusyLocked(top, page, pages + _guard, tag);
                z.Hits++;
            }
            z.Cs.Record(_clock.Ticks - t0, page >= 0 ? 2 : 0);
        }
        return page >= 0;
    }

    /// <summary>How many more areas than the one asked for a carve of class <paramref name="pages"/> should cut for the cache (a racy hint; 0 above the classes).</summary>
    public int RefillExtras(Zone z, int pages)
    {
        if (pages > ClassLimit) return 0;
        int want = _refillBatch[pages];
        int room = Room(z, pages);
        if (want > room) want = room;
        return want > 1 ? want - 1 : 0;
    }

    /// <summary>
    /// Inside a carving section (<see cref="Carver.CarveArea"/>, free-tree lock held): takes
    /// the zone lock, enters the carved area in the busy list and caches up to
    /// <paramref name="extras"/> more areas of its size, carved as one run. Returns the zone
    /// lock's work units (its own section is recorded here too).
    /// </summary>
    public int EnterAndRefillLocked(Zone z, int area, int page, int pages, int tag, int core, int extras)
    {
        int reserve = pages + _guard;
        // None when space is scarce: a cache must not hoard the last free pages other cores
        // are about to need.
        if (_carver.Space.FreePages < (_spanPages >> 3)) extras = 0;
        lock (z.Lock)
        {
            long t0 = _clock.Ticks;
            int w0 = z.Work;
            int tw0 = _carver.Space.Tree.Work; // a refill's carve works on the tree under this lock too
            z.EnterBusyLocked(area, page, reserve, tag);
            // The class's room is exact here (the zone lock is held), so nothing carved ever
            // has to go back.
            if (extras > 0)
            {
                int room = Room(z, pages);
                if (extras > room) extras = room;
            }
            if (extras > 0 && _pool.Available > _poolReserve + extras && CarveRunLocked(z, reserve, extras, core)) z.Refills++;
            int work = z.Work - w0;
            // The zone section's units include the tree work done inside it; the caller's tree
            // section counts that work itself, so only the zone's own goes back.
            z.Cs.Record(_clock.Ticks - t0, work + _carver.Space.Tree.Work - tw0);
            return work;
        }
    }

    /// <summary>
    /// Caches <paramref name="count"/> areas of <paramref name="reserve"/> pages carved as ONE
    /// run at the lowest unaligned fit and split into records: the free tree changes once per
    /// refill instead of once per area, and the cache hands the run out in address order.
    /// False when no block holds the run. Caller holds the free-tree lock and the zone lock.
    /// </summary>
    private bool CarveRunLocked(Zone z, int reserve, int count, int core)
    {
        // Unaligned at the lowest fit: a full or left-edge fit, never a split that needs the
        // preload slot, and one search step.
        int from = 0;
        if (_carver.CarveLocked(reserve * count, 1, core, ref from, out int run, out int at) != Status.Ok) return false;
        // Split from the top down, so the run's own record ends as the lowest area, pushed
        // last: the cache hands the run out from its start.
        int i = count - 1;
        for (; i > 0; i--)
        {
            int a = _pool.TakeLocked();
            if (a == Nil) break; // only with injected faults: the caller saw enough records
            _pool.Start[a] = at + i * reserve;
            _pool.Size[a] = reserve;
            z.Work++; // the split: a record taken and filled (the push counts its own unit)
            Push(z, a);
        }
        // The run's record keeps areas 0 to i: one area is cached, more (a take failed) go
        // straight back to free space.
        _pool.Size[run] = (i + 1) * reserve;
        if (i == 0) Push(z, run);
        else _carver.Space.Release(run);
        return true;
    }

    // ---- space coming back -------------------------------------------------------------------

    /// <summary>
    /// Purge step 2: each lazy area of a cached class goes back to the cache of the zone that
    /// freed it, at most a merge chunk per zone section; what a full class cannot take, and
    /// every larger area, is returned as a list for the free tree. Each zone's cached pages are
    /// added to <paramref name="lazyDelta"/>; the caller takes them off the lazy counts after
    /// the progress is published (once, after the last section: every allocation reads it).
    /// </summary>
    public int ReturnLazy(int list, PurgeCounters counters, int[] lazyDelta)
    {
        int[] next = _pool.Next;
        int[] owner = _pool.Owner;
        int rest = Nil;
        int a = list;
        while (a != Nil)
        {
            // Take the run of areas of a's zone that starts here, up to a chunk.
            Zone z = _zones[owner[a]];
            int chunk = _carver.Chunk;
            int moved = 0;
            lock (z.Lock)
            {
                long t0 = _clock.Ticks;
                int k = 0;
                for (; a != Nil && (chunk == 0 || k < chunk) && owner[a] == z.Index; k++)
                {
                    int following = next[a];
                    int cls = _pool.Size[a] - _guard;
                    if (cls <= ClassLimit && z.CacheCount[cls] < z.CacheCap[cls] && z.CachedAreas < ZoneAreaCap && z.CachedPages + cls + _guard <= ZonePageCap)
                    {
                        Push(z, a);
                        moved += cls;
                        counters.ToCaches++;
                    }
                    else
                    {
                        // A class with room turned away by the zone-wide caps: decay must make room.
                        if (cls <= ClassLimit && z.CacheCount[cls] < z.CacheCap[cls]) z.CapRefusals++;
                        next[a] = rest;
                        rest = a;
                    }
                    a = following;
                }
                z.Cs.Record(_clock.Ticks - t0, k);
            }
            lazyDelta[z.Index] += moved;
        }
        Interlocked.Increment(ref _carver.Returns);
        return rest;
    }

    /// <summary>
    /// Decay (after Linux decay_va_pool_node), after every purge of zone <paramref name="z"/>'s
    /// lazy areas: the zone gives back to the free tree a quarter of the areas of every class
    /// that stayed idle since the last purge, beyond one refill's worth (see
    /// <see cref="IdleQuota"/>). Linux returns a quarter of the whole pool, so the areas a busy
    /// class reuses every period go to the tree and are carved again; here only idle space
    /// decays, geometrically. A stack is popped and pushed at its top, so its bottom
    /// <c>CacheLow</c> areas (the fewest it held since the last purge) are the idle ones.
    /// </summary>
    public void Decay(Zone z)
    {
        if (z.CachedAreas == 0) return; // racy hint; a missed decay waits for the next purge
        GiveBack(z, false);
    }

    /// <summary>Drain request handler: gives zone <paramref name="core"/>'s whole cache back to the free tree. False when it held nothing.</summary>
    public bool Drain(int core) => GiveBack(_zones[core], true);

    /// <summary>
    /// Takes cached areas off zone <paramref name="z"/>, <see cref="DrainChunk"/> per zone
    /// section, and merges them into the free tree: all of them (<paramref name="all"/>, a
    /// drain) or each class's idle quota (a decay, which also starts the next idle period).
    /// While a batch is between the cache and the tree it is in transit. Returns true when
    /// anything went back.
    /// </summary>
    private bool GiveBack(Zone z, bool all)
    {
        // Under pressure (the zone-wide caps turned a return away since the last decay) the
        // refill's worth is not spared: otherwise the few areas every idle class keeps could
        // fill the caps for good and turn away the classes in use.
        bool pressed = z.CapRefusals > 0; // racy hint, reset below under the lock
        bool any = false;
        int cls = 1;
        int quota = -1; // areas class cls still gives back; -1: not counted yet
        while (cls <= ClassLimit)
        {
            int list = Nil;
            Transits transit;
            lock (z.Lock)
            {
                long t0 = _clock.Ticks;
                transit = z.CurrentTransits;
                transit.Begun++;
                if (cls == 1 && !all) z.CapRefusals = 0;
                int taken = 0;
                int steps = 0; // classes passed and areas taken: a section does at most DrainChunk of them
                while (cls <= ClassLimit && steps < DrainChunk)
                {
                    steps++;
                    if (quota < 0) quota = all ? int.MaxValue : IdleQuota(z.CacheLow[cls], _refillBatch[cls], pressed);
                    if (quota == 0 || z.CacheHead[cls] == Nil)
                    {
                        if (!all) z.CacheLow[cls] = z.CacheCount[cls]; // the next period starts
                        cls++;
                        quota = -1;
                        continue;
                    }
                    int a = Pop(z, cls);
                    _pool.Next[a] = list;
                    list = a;
                    quota--;
                    taken++;
                }
                if (all) z.Drained += taken > 0 ? 1 : 0;
                else z.Decayed += taken;
                z.Cs.Record(_clock.Ticks - t0, steps);
            }
            if (list != Nil)
            {
                _carver.MergeList(list);
                any = true;
            }
            Interlocked.Increment(ref transit.Ended);
        }
        return any;
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
}
