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
/// board's clock and counted in work units (<see cref="Stats"/>).</item>
/// <item>A freed range is handed out again only after a TLB flush covering it has completed.</item>
/// <item>Bad input returns a status and changes nothing.</item>
/// </list>
/// Built from, bottom up: <see cref="AreaPool"/>, <see cref="AreaTree"/> and
/// <see cref="FreeSpace"/> (records, free tree, boundary tags), <see cref="Carver"/> (the
/// free-tree side), <see cref="Zone"/> (busy areas and lazy list per core),
/// <see cref="ZoneCaches"/>, <see cref="DrainMask"/> and <see cref="LazyPurge"/>; every lock,
/// its order and every wait are in <see cref="Locks"/>.
/// Thread-safe: any thread on any logical core may call any public member.
/// </summary>
public sealed partial class Allocator : IDrainable
{
    private const int Nil = AreaPool.Nil;

    // Purge-and-retry rounds of an allocation that finds no space, while purges keep bringing
    // space back that other cores take first. Bounds one allocation's wait under a storm.
    private const int MaxPurgeRetries = 64;

    private readonly Board _board;
    private readonly IClock _clock;
    private readonly ICores _cores;   // the board's parts, read once: no property call per operation
    private readonly IMmu _mmu;

    // Set once by Start, read-only afterwards.
    private VmapConfig _config;
    private Locks _locks;
    private Carver _carver;
    private AreaPool _pool;
    private int[][] _tags;
    private Zone[] _zones;        // one per core with zones on; one shared zone with zones off
    private ZoneCaches _caches;   // null with zones off
    private DrainMask _mask;
    private LazyPurge _lazy;
    private int _coreCount;
    private int _spanPages;
    private int _guard;
    private int _pageShift;
    private ulong _pageSize;
    private ulong _pageMask;      // _pageSize - 1
    private ulong _spanSize;
    private ulong _spanStart;
    private bool _started;

    // Refused calls: Interlocked only (they are counted outside every lock).
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
    }

    /// <summary>Why the last <see cref="Start"/> returned <see cref="Status.InvalidConfig"/>, or null.</summary>
    public string ConfigProblem { get; private set; }

    /// <summary>True once <see cref="Start"/> has succeeded.</summary>
    public bool IsStarted => _started;

    /// <summary>The configuration the allocator runs with (a copy taken by <see cref="Start"/>).</summary>
    public VmapConfig Config => _config;

    private IPurgeObserver _observer;

    /// <summary>Receives a call for every purge (set before or after start; null for none).</summary>
    public IPurgeObserver PurgeObserver
    {
        get => _observer;
        set
        {
            _observer = value;
            if (_lazy != null) _lazy.Observer = value;
        }
    }

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
        _pageSize = (ulong)c.PageSize;
        _pageMask = _pageSize - 1;
        _spanSize = c.SpanSize;
        _spanStart = c.SpanStart;
        _coreCount = c.Cores;
        int spanPageLow = (int)((c.SpanStart >> _pageShift) & (VmapConfig.MaxSpanPages - 1));
        long tps = _clock.TicksPerSecond;
        int zoneCount = c.Zones ? c.Cores : 1;

        _locks = new Locks(zoneCount, c.Zones);
        CsMeter treeCs = new CsMeter("free-tree", tps, c.CsBudgetMicros);
        _carver = new Carver(_locks.Tree, treeCs, c, _clock, spanPageLow);
        _pool = _carver.Pool;
        _tags = _carver.Space.Tags;
        _mask = new DrainMask(_locks, new CsMeter("drain", tps, c.CsBudgetMicros), _clock, zoneCount);
        _zones = new Zone[zoneCount];
        int[] caps = c.Zones ? ZoneCaches.ClassCaps(c) : new int[1];
        for (int i = 0; i < zoneCount; i++)
        {
            CsMeter meter = c.Zones ? new CsMeter("zone " + i, tps, c.CsBudgetMicros) : treeCs;
            _zones[i] = new Zone(i, _locks.ZoneLocks[i], meter, _pool, _carver.Space, _clock, _guard, c.Zones ? c.SizeClassLimit : 0, caps);
        }
        _caches = c.Zones ? new ZoneCaches(_zones, _carver, _mask, _clock, c, spanPageLow) : null;
        var lazy = new LazyPurge(_locks, _zones, _carver, _caches, _mmu, _clock, c, _pageShift);
        lazy.Observer = _observer;
        _lazy = lazy;
        lazy.Observer = _observer; // again: a setter that ran before _lazy was published wrote only _observer
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
        // Into 32-bit page counts at once: every 64-bit operation is several on a 32-bit interpreter.
        // A size or alignment of 0 wraps to the largest value in "- 1" and is refused with the too large.
        ulong lastByte = size - 1;
        if (lastByte >= _spanSize) return Refuse(Status.InvalidSize);
        ulong alignMask = align - 1;
        if (alignMask >= _spanSize || (align & alignMask) != 0) return Refuse(Status.InvalidAlignment);
        int pages = (int)(lastByte >> _pageShift) + 1;
        int alignPages = align > _pageSize ? (int)(align >> _pageShift) : 1;
        Status s = AllocValid(pages, alignPages, tag, out int page);
        if (s == Status.Ok) address = AddressOf(page);
        return s;
    }

    /// <summary>
    /// Page-level allocation: <paramref name="pages"/> pages starting on a page number that is
    /// a multiple of <paramref name="alignPages"/> in absolute terms. <paramref name="page"/> is
    /// relative to the span. On failure it is -1 and nothing is allocated.
    /// <list type="number">
    /// <item>Take a cached area of this core's zone, or carve one from the free tree (refilling
    /// the zone's cache on the way).</item>
    /// <item>No space or no record: purge (waiting for any running purge, zone purges included,
    /// and for space in transit), and retry.</item>
    /// <item>Still none, with zones: drain the cores in the drain mask, and retry. Steps 2 and 3
    /// go on while space came back during the round, or is lazy, cached or in transit.</item>
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
        return AllocValid(pages, alignPages, tag, out page);
    }

    /// <summary>The steps of <see cref="AllocPages"/>, for arguments already checked (by it or by <see cref="Alloc(ulong, ulong, int, out ulong)"/>: the interpreter pays for every check twice otherwise).</summary>
    private Status AllocValid(int pages, int alignPages, int tag, out int page)
    {
        int core = _cores.Current;
        if (core >= _coreCount) core %= _coreCount;

        // 1. A cached area, or carve one. (Flush failures are counted from here: one that
        //    happens after this step failed may be why space is short.)
        int flushFailures = _lazy.FlushFailures;
        Status s = TryAlloc(pages, alignPages, tag, core, out page);
        if (s != Status.Ok) s = Retry(pages, alignPages, tag, core, flushFailures, out page);
        if (s != Status.Ok) return s;

        // 5. Map, outside every lock. A map that fails installs nothing and leaves the range
        //    reserved but unusable: hand it back as a lazy area (the flush before its reuse is
        //    harmless) and report the failure.
        if (_mmu.Map(page, pages)) return Status.Ok;
        FreeLazily(page);
        Interlocked.Increment(ref _failMap);
        page = -1;
        return Status.MapFailed;
    }

    /// <summary>Steps 2 to 4 of <see cref="AllocPages"/>, after step 1 failed; <paramref name="flushFailures"/> is the count of failed flushes before step 1.</summary>
    private Status Retry(int pages, int alignPages, int tag, int core, int flushFailures, out int page)
    {
        page = -1;
        Status s = Status.NoSpace;
        bool timedOut = false;
        for (int round = 0; round < MaxPurgeRetries; round++)
        {
            // Under contention other threads take what came back, refill their caches and free
            // more meanwhile, so go on while anything came back or is still on its way.
            int progress = _carver.Returns;

            // 2. Purge, waiting for any running purge, and retry.
            _lazy.PurgeAndWait();
            s = TryAlloc(pages, alignPages, tag, core, out page);
            if (s == Status.Ok) return s;

            // 3. Drain the cores whose caches hold something, and retry.
            if (_caches != null && _mask.Bits != 0)
            {
                _mask.DrainForSpace(core, _caches, _board.Drain, this, _config.DrainTimeoutMs, out timedOut);
                s = TryAlloc(pages, alignPages, tag, core, out page);
                if (s == Status.Ok || timedOut) break;
            }
            if (NothingOnItsWay(progress)) break;
        }
        if (s == Status.Ok) return s;

        // 4. Fail, with the reason.
        page = -1;
        if (timedOut)
        {
            Interlocked.Increment(ref _failDrainTimeout);
            return Status.DrainTimeout;
        }
        if (_lazy.FlushFailures != flushFailures)
        {
            Interlocked.Increment(ref _failFlush);
            return Status.FlushFailed;
        }
        if (s == Status.NoRecords) Interlocked.Increment(ref _failNoRecords);
        else Interlocked.Increment(ref _failNoSpace);
        return s;
    }

    /// <summary>
    /// True when no space came back since <paramref name="progress"/> was read from
    /// <see cref="Carver.Returns"/>, and none is lazy, cached or in transit. Reads in the
    /// reverse of the order in which space comes back: whatever gives space back raises
    /// Returns before its lazy pages leave the counts, and ends a transit only after raising
    /// it; so when nothing is lazy or in transit, a Returns read after that shows all the
    /// progress there was.
    /// </summary>
    private bool NothingOnItsWay(int progress) => _lazy.LazyPages == 0 && _mask.Bits == 0 && !_lazy.AnyInTransit() && _carver.Returns == progress;

    /// <summary>Step 1: a hit in this core's zone cache, else a carve (with a refill of the cache for a cached class).</summary>
    private Status TryAlloc(int pages, int alignPages, int tag, int core, out int page)
    {
        if (_caches == null) return _carver.CarveArea(_zones[0], null, pages, alignPages, tag, core, 0, out page);
        Zone z = _zones[core];
        if (pages <= _caches.ClassLimit && _caches.TryHit(z, pages, alignPages, tag, out page)) return Status.Ok;
        return _carver.CarveArea(z, _caches, pages, alignPages, tag, core, _caches.RefillExtras(z, pages), out page);
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
        ulong offset = address - _spanStart; // wraps to a huge value below the span
        if (offset >= _spanSize || (offset & _pageMask) != 0)
        {
            Interlocked.Increment(ref _failNotAnArea);
            return Status.NotAnArea;
        }
        return FreeValid((int)(offset >> _pageShift));
    }

    /// <summary>
    /// Page-level <see cref="Free(ulong)"/>: <paramref name="page"/> is relative to the span.
    /// <list type="number">
    /// <item>Find the area by the boundary tag of its first page, take it off its zone's busy
    /// list and count its pages as lazy (one zone section); from here until step 3 it is in
    /// transit.</item>
    /// <item>Unmap it, outside every lock; a failed unmap puts it back on the busy list.</item>
    /// <item>Queue it on its zone's lazy list, and purge if that takes the backlog over the threshold.</item>
    /// </list>
    /// </summary>
    public Status FreePages(int page)
    {
        if (!_started) return Status.NotStarted;
        if (page < 0 || page >= _spanPages)
        {
            Interlocked.Increment(ref _failNotAnArea);
            return Status.NotAnArea;
        }
        return FreeValid(page);
    }

    /// <summary>The steps of <see cref="FreePages"/> for a page inside the span (checked by it or by <see cref="Free(ulong)"/>).</summary>
    private Status FreeValid(int page)
    {
        Zone z = UnlinkBusy(page, out int area, out int zoneLazy, out Transits transit);
        if (z == null)
        {
            Interlocked.Increment(ref _failNotAnArea);
            return Status.NotAnArea;
        }
        int pages = _pool.Size[area] - _guard;
        if (!_mmu.Unmap(page, pages))
        {
            // The translations are still live: the area stays allocated, the free failed.
            z.RelinkBusy(area, transit);
            Interlocked.Increment(ref _failUnmap);
            return Status.UnmapFailed;
        }
        _lazy.Queue(z, area, zoneLazy, transit);
        return Status.Ok;
    }

    /// <summary>Step 1 of a free: the zone whose busy list gave up the live area starting at <paramref name="page"/> (with the zone's lazy pages after), or null.</summary>
    private Zone UnlinkBusy(int page, out int area, out int zoneLazy, out Transits transit)
    {
        zoneLazy = 0;
        transit = null;
        area = _tags[page >> FreeSpace.TagShift][page & FreeSpace.TagMask];
        if (area == Nil) return null;
        int zone = _pool.Owner[area];
        if (zone < 0 || zone >= _zones.Length) return null;
        Zone z = _zones[zone];
        return z.UnlinkBusy(area, page, out zoneLazy, out transit) ? z : null;
    }

    /// <summary>
    /// Hands back a range whose map failed: off the busy list and straight onto its zone's lazy
    /// list (no unmap: nothing was installed), without the threshold check of a free, so the
    /// failed allocation returns at once; the next free or purge takes it.
    /// </summary>
    private void FreeLazily(int page)
    {
        Zone z = UnlinkBusy(page, out int area, out _, out Transits transit);
        if (z != null) z.QueueLazy(area, transit);
    }

    private Status Refuse(Status s)
    {
        Interlocked.Increment(ref _failInvalid);
        return s;
    }

    /// <summary>The address of span page <paramref name="page"/>.</summary>
    public ulong AddressOf(int page) => _spanStart + ((ulong)(uint)page << _pageShift);

    // ---- purges, drains, settings -------------------------------------------------------------

    /// <summary>
    /// Lazily freed pages allowed before a free triggers a purge. Takes effect on the next
    /// free; a value below the current backlog makes that free purge. Before Start the
    /// configuration's value applies (<see cref="VmapConfig.LazyMaxPages"/>).
    /// <para>With zones, each zone checks the total only once its own lazy pages pass an even
    /// share of the threshold, so frees do not read every other core's counter; with zone
    /// purges, that share is the zone's threshold and the total is not read at all.</para>
    /// </summary>
    public int LazyMaxPages
    {
        get => _started ? _lazy.Threshold : 0;
        set
        {
            if (_started) _lazy.SetThreshold(value < 0 ? 0 : value);
        }
    }

    /// <summary>Lazy areas merged per critical section of a purge (0: the whole batch at once). Takes effect on the next purge; no effect before Start.</summary>
    public int PurgeChunk
    {
        get => _started ? _carver.Chunk : 0;
        set
        {
            if (_started) Interlocked.Exchange(ref _carver.Chunk, value < 0 ? 0 : value);
        }
    }

    /// <summary>Pages freed and not yet handed back by a purge (all zones).</summary>
    public int LazyPages => _started ? _lazy.LazyPages : 0;

    /// <summary>
    /// Purges the lazy backlog now, waiting first for a purge that is already running
    /// (Linux purge_vmap_area_lazy). Returns when every area freed before the call is back,
    /// or <see cref="Status.FlushFailed"/> when the MMU's flush failed: the backlog is then
    /// still queued, whole, for the next purge.
    /// </summary>
    public Status Purge()
    {
        if (!_started) return Status.NotStarted;
        return _lazy.PurgeAndWait() ? Status.Ok : Status.FlushFailed;
    }

    /// <summary>
    /// Stops the purge thread (deferred purges only) after purging what is left. The allocator
    /// stays usable; threshold purges then run inline.
    /// </summary>
    public void Stop()
    {
        if (_started) _lazy.Stop();
    }

    /// <summary>
    /// Drain request handler (runs on <paramref name="core"/> or on its behalf): gives the
    /// core's whole cache back to the free tree.
    /// </summary>
    public void DrainCore(int core)
    {
        if (_caches != null && core >= 0 && core < _zones.Length) _caches.Drain(core);
    }

    /// <summary>
    /// Asks every core whose cache holds something to give it back to the free tree (Linux
    /// drain_all_pages), and only those. Returns <see cref="Status.DrainTimeout"/> when a core
    /// did not answer in time (its cache is intact), else Ok.
    /// </summary>
    public Status DrainCaches()
    {
        if (!_started) return Status.NotStarted;
        if (_caches == null) return Status.Ok;
        int self = _cores.Current;
        if (self >= _coreCount) self %= _coreCount;
        _mask.DrainForSpace(self, _caches, _board.Drain, this, _config.DrainTimeoutMs, out bool timedOut);
        return timedOut ? Status.DrainTimeout : Status.Ok;
    }

    /// <summary>The drain mask now: a bit per core whose cache holds something.</summary>
    public int DrainMask => _started ? _mask.Bits : 0;

    /// <summary>
    /// Fault injection for tests and soak runs: after <paramref name="after"/> more record
    /// takes, the next <paramref name="takes"/> find the pool empty, wherever they happen (a
    /// preload refill, a busy record, a cache refill).
    /// </summary>
    public void InjectPoolDry(int after, int takes)
    {
        if (!_started) return;
        lock (_locks.Tree) _pool.InjectDry(after, takes);
    }
}
