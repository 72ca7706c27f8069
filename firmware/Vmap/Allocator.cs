using System.Threading;
using Vmap.Hal;

namespace Vmap;

/// <summary>
/// The vmap-area allocator of Linux mm/vmalloc.c for one span: hands out page-granular,
/// aligned ranges (areas), takes them back lazily and flushes their translations in batches.
/// <para>Guarantees:</para>
/// <list type="bullet">
/// <item>After <see cref="Start"/>, no operation allocates managed memory: every record comes
/// from a fixed pool.</item>
/// <item>Every critical section is bounded: an allocation or a free is O(log n) in one section
/// (an aligned allocation in a span fragmented into many misaligned candidates searches on in
/// further sections of at most <c>FreeSpace.MaxRejections</c> candidates each), a purge merges
/// at most <see cref="VmapConfig.PurgeChunk"/> areas per section; each is timed with the
/// board's clock (<see cref="Stats"/>).</item>
/// <item>A freed range is handed out again only after a TLB flush covering it has completed.</item>
/// <item>Bad input returns a status and changes nothing.</item>
/// </list>
/// <para>Locks. Sleeping locks: the purge gate and the drain gate (see <see cref="PurgeGate"/>).
/// Critical sections: the free-tree lock <c>_treeLock</c> (free space, the record pool, the
/// preload slots, the fit counters), one lock per core zone (its busy list, cache and counters,
/// see <see cref="Zone"/>) and the drain lock (building the drain mask). One nesting only:
/// a zone's cache miss takes its zone lock inside the free-tree lock (carve, enter the busy
/// tree and refill the cache in one section), so the lock order is free-tree, then zone; no
/// section that holds a zone lock or the drain lock takes any other lock, which keeps it free
/// of deadlock. A gate is taken before any of them. With zones off, the single zone's lock is
/// the free-tree lock. HAL calls (map, unmap, flush, drain requests) are never made inside a
/// critical section.</para>
/// Thread-safe: any thread on any logical core may call any public member.
/// </summary>
public sealed partial class Allocator
{
    private const int Nil = AreaPool.Nil;

    // Purge-and-retry rounds of an allocation that finds no space, while purges keep bringing
    // space back that other cores take first. Bounds one allocation's wait under a storm.
    private const int MaxPurgeRetries = 64;

    private readonly Board _board;
    private readonly IClock _clock;
    private readonly ICores _cores;   // the board's parts, read once: no property call per operation
    private readonly IMmu _mmu;
    private readonly object _treeLock;

    // Set once by Start, read-only afterwards.
    private VmapConfig _config;
    private AreaPool _pool;
    private FreeSpace _free;
    private CsMeter _treeCs;
    private Zone[] _zones;      // one per core with zones on; one shared zone with zones off
    private bool _zonesOn;
    private bool _zonePurges; // zones on and PurgeMode.Zones
    private int _classLimit;    // largest cached size class in pages (0 with zones off)
    private int _coreCount;
    private int[] _preload;     // per core: a spare record for the no-edge split; free-tree lock
    private int _spanPages;
    private int _guard;
    private int _pageShift;
    private int _spanPageLow;   // the span's first absolute page number, low 30 bits (for alignment)
    private bool _started;

    // Counters protected by the free-tree lock.
    private readonly int[] _fits;
    private int _preloadRefills;
    private int _preloadHits;
    private int _preloadMisses;

    // Counters of refused calls: Interlocked only (they are counted outside every lock).
    private int _failNoSpace;
    private int _failNoRecords;
    private int _failInvalid;
    private int _failNotAnArea;
    private int _failDrainTimeout;
    private int _failFlush;
    private int _failMap;
    private int _failUnmap;

    /// <summary>Creates an allocator on <paramref name="board"/>; call <see cref="Start"/> before use.</summary>
    public Allocator(Board board)
    {
        if (board == null) throw new System.ArgumentNullException("board");
        _board = board;
        _clock = board.Clock;
        _cores = board.Cores;
        _mmu = board.Mmu;
        _treeLock = new object();
        _fits = new int[4];
    }

    /// <summary>Why the last <see cref="Start"/> returned <see cref="Status.InvalidConfig"/>, or null.</summary>
    public string ConfigProblem { get; private set; }

    /// <summary>True once <see cref="Start"/> has succeeded.</summary>
    public bool IsStarted => _started;

    /// <summary>The configuration the allocator runs with (a copy taken by <see cref="Start"/>).</summary>
    public VmapConfig Config => _config;

    /// <summary>Receives a call for every purge (set before or after start; null for none).</summary>
    public IPurgeObserver PurgeObserver { get; set; }

    // ---- start-up -----------------------------------------------------------------------------

    /// <summary>
    /// Validates <paramref name="config"/>, allocates every pool and makes the whole span one
    /// free block. The only method that allocates managed memory.
    /// </summary>
    public Status Start(VmapConfig config)
    {
        if (_started) return Status.AlreadyStarted;
        string problem = config == null ? "no configuration given" : config.Validate();
        if (problem == null && config.Cores > _cores.Count)
            problem = "setting Cores = " + config.Cores + ": the board has only " + _cores.Count + " logical cores";
        if (problem != null)
        {
            ConfigProblem = problem;
            return Status.InvalidConfig;
        }
        ConfigProblem = null;
        VmapConfig c = config.Clone();
        _config = c;
        _spanPages = c.SpanPages;
        _guard = c.GuardPages;
        _pageShift = VmapConfig.Fls(c.PageSize) - 1;
        _spanPageLow = (int)((c.SpanStart >> _pageShift) & (VmapConfig.MaxSpanPages - 1));
        _coreCount = c.Cores;
        _purgeChunk = c.PurgeChunk;

        long tps = _clock.TicksPerSecond;
        _pool = new AreaPool(c.MaxAreas);
        _free = new FreeSpace(_pool, _spanPages);
        _treeCs = new CsMeter("free-tree", tps, c.CsBudgetMicros);
        _preload = new int[c.Cores];
        StartZones(c, tps);
        SetLazyMax(c.EffectiveLazyMaxPages());
        _purgeGate = new PurgeGate();
        _purged = new PurgeCounters();
        _zoneDelta = new int[_zones.Length];
        if (c.PurgeMode == PurgeMode.Deferred) StartPurgeThread();

        int whole = _pool.TakeLocked();
        _pool.Start[whole] = 0;
        _pool.Size[whole] = _spanPages;
        _free.AddInitial(whole);
        _started = true;
        return Status.Ok;
    }

    // ---- allocation -----------------------------------------------------------------------------

    /// <summary>Allocates <paramref name="size"/> bytes aligned to the page size. See <see cref="Alloc(ulong, ulong, int, out ulong)"/>.</summary>
    public Status Alloc(ulong size, int tag, out ulong address) => Alloc(size, (ulong)(uint)(_started ? _config.PageSize : 1), tag, out address);

    /// <summary>
    /// Reserves and maps <paramref name="size"/> bytes (rounded up to pages) at an address that
    /// is a multiple of <paramref name="align"/> (a power of two; below a page means a page).
    /// <paramref name="tag"/> is the caller's mark in the vmallocinfo listing. On failure
    /// <paramref name="address"/> is 0 and nothing is allocated (after <see cref="Status.MapFailed"/>
    /// the range waits, unmapped, on a lazy list for the next purge).
    /// </summary>
    public Status Alloc(ulong size, ulong align, int tag, out ulong address)
    {
        address = 0;
        if (!_started) return Status.NotStarted;
        if (size == 0 || size > _config.SpanSize) return Refuse(Status.InvalidSize);
        if (!VmapConfig.IsPowerOfTwo(align) || align > _config.SpanSize) return Refuse(Status.InvalidAlignment);
        int pages = (int)((size + (ulong)_config.PageSize - 1) >> _pageShift);
        int alignPages = align <= (ulong)_config.PageSize ? 1 : (int)(align >> _pageShift);
        Status s = AllocPages(pages, alignPages, tag, out int page);
        if (s == Status.Ok) address = _config.SpanStart + ((ulong)(uint)page << _pageShift);
        return s;
    }

    /// <summary>
    /// Page-level allocation: <paramref name="pages"/> pages starting on a page number that is
    /// a multiple of <paramref name="alignPages"/> in absolute terms. <paramref name="page"/> is
    /// relative to the span. On failure it is -1 and nothing is allocated.
    /// <list type="number">
    /// <item>Take a cached area of this core's zone, or carve from the free tree (refilling
    /// the zone's cache on the way).</item>
    /// <item>No space or no record: purge the lazy backlog (waiting for any running purge, a
    /// zone's own purge included) and retry, again while space keeps coming back.</item>
    /// <item>Still none, with zones: drain the cores in the drain mask and retry; both steps
    /// again while space keeps coming back or is lazy, cached or in transit.</item>
    /// <item>Fail with the reason: a drain that timed out, a failed flush, no records or no space.</item>
    /// <item>Map the range, outside every lock; a failed map hands it back and returns
    /// <see cref="Status.MapFailed"/>.</item>
    /// </list>
    /// </summary>
    public Status AllocPages(int pages, int alignPages, int tag, out int page)
    {
        page = -1;
        if (!_started) return Status.NotStarted;
        if (pages < 1 || pages > _spanPages) return Refuse(Status.InvalidSize);
        if (alignPages < 1 || alignPages > _spanPages || (alignPages & (alignPages - 1)) != 0) return Refuse(Status.InvalidAlignment);
        int core = _cores.Current;
        if (core >= _coreCount) core %= _coreCount;

        // 1. Take a cached area or carve one.
        int flushFailures = _flushFailures;
        Status s = TryAlloc(pages, alignPages, tag, core, out page);

        // 2. Purge, waiting for any running purge (zone purges included), and retry.
        // 3. Still none, with zones: drain the cores in the drain mask, and retry.
        //    Under contention other threads take what came back, refill their caches and free
        //    more meanwhile, so go on while something came back during the round, or is lazy,
        //    cached or in transit still: only when none holds has free space stopped growing.
        bool timedOut = false;
        for (int round = 0; s != Status.Ok && round < MaxPurgeRetries; round++)
        {
            int progress = _returns;
            PurgeAndWait();
            s = TryAlloc(pages, alignPages, tag, core, out page);
            if (s == Status.Ok) break;
            if (_zonesOn && _cacheMask != 0)
            {
                DrainForSpace(out timedOut);
                s = TryAlloc(pages, alignPages, tag, core, out page);
                if (s == Status.Ok || timedOut) break;
            }
            if (NothingOnItsWay(progress)) break;
        }

        // 4. Fail, with the reason.
        if (s != Status.Ok)
        {
            page = -1;
            if (timedOut)
            {
                Interlocked.Increment(ref _failDrainTimeout);
                return Status.DrainTimeout;
            }
            if (_flushFailures != flushFailures)
            {
                Interlocked.Increment(ref _failFlush);
                return Status.FlushFailed;
            }
            if (s == Status.NoRecords) Interlocked.Increment(ref _failNoRecords);
            else Interlocked.Increment(ref _failNoSpace);
            return s;
        }

        // 5. Map, outside every lock. A map that fails installs nothing and leaves the range
        //    reserved but unusable: hand it back (as a lazy area: the flush before its reuse is
        //    harmless) and report the failure.
        if (_mmu.Map(page, pages)) return Status.Ok;
        Zone z;
        int area = UnlinkBusy(page, out z);
        if (area != Nil) QueueLazy(z, area, pages); // ends the transit UnlinkBusy began
        Interlocked.Increment(ref _failMap);
        page = -1;
        return Status.MapFailed;
    }

    /// <summary>
    /// True when no space came back since <paramref name="progress"/> was read from
    /// <c>_returns</c>, and none is lazy, cached or in transit. Reads in the reverse of the order in which
    /// space comes back: whatever gives space back raises <c>_returns</c> before its lazy pages
    /// leave the counts, and ends a transit only after raising it; so when nothing is lazy or in
    /// transit, a <c>_returns</c> read after that shows all the progress there was.
    /// </summary>
    private bool NothingOnItsWay(int progress) => LazyPages == 0 && _cacheMask == 0 && !AnyInTransit() && _returns == progress;

    private Status TryAlloc(int pages, int alignPages, int tag, int core, out int page)
    {
        if (_zonesOn)
        {
            Zone z = _zones[core];
            if (pages <= _classLimit)
            {
                // The class's stack top, read without the lock, is only a hint: an empty class
                // skips a zone section that could not succeed; a hit is confirmed under the lock.
                if (z.CacheHead[pages] != Nil && CacheAlloc(z, pages, alignPages, tag, out page)) return Status.Ok;
                return CarveForZone(z, pages, alignPages, tag, core, RefillCount(z, pages), out page);
            }
            return CarveForZone(z, pages, alignPages, tag, core, 0, out page);
        }

        // Zones off: carve and enter the busy list in one free-tree section (one per step of
        // an aligned search in a fragmented span).
        if (_preload[core] == Nil) RefillPreload(core);
        Status s;
        int from = 0;
        do
        {
            lock (_treeLock)
            {
                long t0 = _clock.Ticks;
                s = CarveLocked(pages + _guard, alignPages, core, ref from, out int area, out page);
                if (s == Status.Ok) MakeBusyLocked(_zones[0], area, page, pages + _guard, tag, core);
                _treeCs.Record(_clock.Ticks - t0, 1);
            }
        }
        while (from >= 0);
        return s;
    }

    /// <summary>Linux ne_fit_preload: gives this core a spare record for a no-edge split, outside the carving section.</summary>
    private void RefillPreload(int core)
    {
        lock (_treeLock)
        {
            long t0 = _clock.Ticks;
            if (_preload[core] == Nil)
            {
                _preload[core] = _pool.TakeLocked();
                if (_preload[core] != Nil) _preloadRefills++;
            }
            _treeCs.Record(_clock.Ticks - t0, 1);
        }
    }

    /// <summary>
    /// Finds the lowest fit for <paramref name="reserve"/> pages (guard included) at or above
    /// page <paramref name="from"/> and carves it out of the free tree (Linux
    /// __alloc_vmap_area). Secures every record it needs before changing anything. Returns the
    /// record that now holds the range. Caller holds the free-tree lock.
    /// <para>
    /// An aligned search runs in bounded steps (<see cref="FreeSpace.FindLowestFit"/>): when
    /// this step stopped short, the result is NoSpace and <paramref name="from"/> is where the
    /// caller's next section goes on; otherwise <paramref name="from"/> is -1 and the result
    /// is final.
    /// </para>
    /// </summary>
    private Status CarveLocked(int reserve, int alignPages, int core, ref int from, out int area, out int start)
    {
        area = Nil;
        start = -1;
        if (reserve > _spanPages)
        {
            from = -1;
            return Status.NoSpace;
        }
        int alignOffset = _spanPageLow & (alignPages - 1);
        int block = _free.FindLowestFit(reserve, alignPages, alignOffset, from, out from);
        if (block == Nil) return Status.NoSpace;
        int at = FreeSpace.AlignUp(_pool.Start[block], alignPages, alignOffset);
        FitType fit = _free.Classify(block, at, reserve);

        int record = block; // a full fit turns the free block's own record into the area
        int spare = Nil;
        if (fit != FitType.Full)
        {
            record = _pool.TakeLocked();
            if (record == Nil) return Status.NoRecords;
        }
        if (fit == FitType.NoEdge)
        {
            // The core's preload slot, refilled outside this section. Another thread on the same
            // logical core may have taken it since (every managed thread of a single-core board
            // shares core 0): then take a record from the pool here, which never waits (Linux
            // falls back to a GFP_NOWAIT allocation inside the lock the same way, seed 001).
            spare = _preload[core];
            if (spare != Nil)
            {
                _preload[core] = Nil;
                _preloadHits++;
            }
            else
            {
                _preloadMisses++;
                spare = _pool.TakeLocked();
                if (spare == Nil)
                {
                    _pool.GiveLocked(record);
                    return Status.NoRecords;
                }
            }
        }
        _free.Carve(block, fit, at, reserve, spare);
        _pool.Start[record] = at;
        _pool.Size[record] = reserve;
        _fits[(int)fit]++;
        area = record;
        start = at;
        return Status.Ok;
    }

    /// <summary>Enters a carved range into zone <paramref name="z"/>'s busy list and tags its first page. Caller holds the zone lock.</summary>
    private void MakeBusyLocked(Zone z, int area, int start, int reserve, int tag, int core)
    {
        _pool.Start[area] = start;
        _pool.Size[area] = reserve;
        _pool.Aux[area] = tag;
        _pool.Prev[area] = core;
        _pool.SetState(area, AreaPool.BusyState);
        z.Busy.Add(area);
        _free.Tags[start >> FreeSpace.TagShift][start & FreeSpace.TagMask] = area;
        z.Allocs++;
        z.LiveAreas++;
        z.LivePages += reserve - _guard;
    }

    // ---- free ---------------------------------------------------------------------------------

    /// <summary>
    /// Frees the area that starts at <paramref name="address"/>: unmaps it at once and queues
    /// it for the next purge (Linux vfree: free_vmap_area_noflush). An address that is not the
    /// start of a live area returns <see cref="Status.NotAnArea"/> and changes nothing; a failed
    /// unmap returns <see cref="Status.UnmapFailed"/> and leaves the area allocated.
    /// </summary>
    public Status Free(ulong address)
    {
        if (!_started) return Status.NotStarted;
        ulong span = _config.SpanStart;
        if (address < span || address - span >= _config.SpanSize || ((address - span) & ((ulong)_config.PageSize - 1)) != 0)
        {
            Interlocked.Increment(ref _failNotAnArea);
            return Status.NotAnArea;
        }
        return FreePages((int)((address - span) >> _pageShift));
    }

    /// <summary>Page-level <see cref="Free(ulong)"/>: <paramref name="page"/> is relative to the span.</summary>
    public Status FreePages(int page)
    {
        if (!_started) return Status.NotStarted;
        Zone z = null;
        int area = page >= 0 && page < _spanPages ? UnlinkBusy(page, out z) : Nil;
        if (area == Nil)
        {
            Interlocked.Increment(ref _failNotAnArea);
            return Status.NotAnArea;
        }
        int pages = _pool.Size[area] - _guard;
        if (!_mmu.Unmap(page, pages))
        {
            // The translations are still live: the area stays allocated, the free failed.
            RelinkBusy(z, area);
            Interlocked.Decrement(ref z.InTransit);
            Interlocked.Increment(ref _failUnmap);
            return Status.UnmapFailed;
        }
        // From UnlinkBusy until here the area was in no structure (in transit); an allocation
        // that runs out of space waits for it in PurgeAndWait.
        PurgeIfOverThreshold(z, QueueLazy(z, area, pages));
        return Status.Ok;
    }

    /// <summary>
    /// Takes the area starting at <paramref name="page"/> out of its zone's busy list, or
    /// returns nil. The page's boundary tag finds the record in O(1) (read without a lock);
    /// under the zone lock, its state, start and zone confirm it.
    /// </summary>
    private int UnlinkBusy(int page, out Zone z)
    {
        z = null;
        int[] tags = _free.Tags[page >> FreeSpace.TagShift];
        int slot = page & FreeSpace.TagMask;
        int area = tags[slot];
        if (area == Nil) return Nil;
        int zone = _zonesOn ? _pool.Prev[area] : 0;
        if (zone < 0 || zone >= _zones.Length) return Nil;
        z = _zones[zone];
        lock (z.Lock)
        {
            long t0 = _clock.Ticks;
            if (tags[slot] == area && _pool.IsBusy(area) && _pool.Start[area] == page && (!_zonesOn || _pool.Prev[area] == zone))
            {
                Interlocked.Increment(ref z.InTransit);
                z.Busy.Remove(area);
                _pool.SetState(area, 0);
                z.Frees++;
                z.LiveAreas--;
                z.LivePages -= _pool.Size[area] - _guard;
            }
            else
            {
                area = Nil;
            }
            z.Cs.Record(_clock.Ticks - t0, 1);
        }
        return area;
    }

    /// <summary>Undoes <see cref="UnlinkBusy"/> after a failed unmap: the area is busy again, as before the call.</summary>
    private void RelinkBusy(Zone z, int area)
    {
        lock (z.Lock)
        {
            long t0 = _clock.Ticks;
            _pool.SetState(area, AreaPool.BusyState);
            z.Busy.Add(area);
            z.Frees--;
            z.LiveAreas++;
            z.LivePages += _pool.Size[area] - _guard;
            z.Cs.Record(_clock.Ticks - t0, 1);
        }
    }

    private Status Refuse(Status s)
    {
        Interlocked.Increment(ref _failInvalid);
        return s;
    }

    /// <summary>The address of span page <paramref name="page"/>.</summary>
    public ulong AddressOf(int page) => _config.SpanStart + ((ulong)(uint)page << _pageShift);
}
