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
/// <item>Every critical section is bounded: an allocation or a free is O(log n) under the
/// free-tree lock, a purge merges at most <see cref="VmapConfig.PurgeChunk"/> areas per
/// section; each is timed with the board's clock (<see cref="Stats"/>).</item>
/// <item>A freed range is handed out again only after a TLB flush covering it has completed.</item>
/// <item>Bad input returns a status and changes nothing.</item>
/// </list>
/// <para>Locks, in the order they may be taken: the purge gate (a sleeping lock, see
/// <see cref="PurgeGate"/>), then the free-tree lock <c>_treeLock</c>. The free-tree lock
/// protects the free space, the busy tree, the record pool, the preload slots and the counters
/// that are not marked otherwise. HAL calls (map, unmap, flush, drain) are never made under it.</para>
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
    private readonly object _treeLock = new object();

    // Set once by Start, read-only afterwards.
    private VmapConfig _config;
    private AreaPool _pool;
    private FreeSpace _free;
    private AreaTree _busy;
    private CsMeter _treeCs;
    private int[] _preload;     // per core: a spare record for the no-edge split; free-tree lock
    private int _spanPages;
    private int _guard;
    private int _pageShift;
    private int _spanPageLow;   // the span's first absolute page number, low 30 bits (for alignment)
    private bool _started;

    // Counters protected by the free-tree lock.
    private int _allocs;
    private int _frees;
    private int _liveAreas;
    private int _livePages;
    private readonly int[] _fits = new int[4];
    private int _preloadRefills;
    private int _preloadHits;
    private int _preloadMisses;

    // Frees between leaving the busy tree and reaching the lazy list. Interlocked only.
    private int _freesInFlight;

    // Counters of refused calls: Interlocked only (they are counted outside every lock).
    private int _failNoSpace;
    private int _failNoRecords;
    private int _failInvalid;
    private int _failNotAnArea;

    /// <summary>Creates an allocator on <paramref name="board"/>; call <see cref="Start"/> before use.</summary>
    public Allocator(Board board)
    {
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
        if (problem == null && config.Cores > _board.Cores.Count)
            problem = "setting Cores = " + config.Cores + ": the board has only " + _board.Cores.Count + " logical cores";
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
        _lazyMaxPages = c.LazyMaxPages == VmapConfig.DefaultLazyMaxPages ? c.LinuxDefaultLazyMaxPages() : c.LazyMaxPages;
        _purgeChunk = c.PurgeChunk;

        _pool = new AreaPool(c.MaxAreas);
        _free = new FreeSpace(_pool, _spanPages);
        _busy = new AreaTree(_pool, false);
        _preload = new int[c.Cores];
        long tps = _clock.TicksPerSecond;
        _treeCs = new CsMeter("free-tree", tps, c.CsBudgetMicros);
        _purgeGate = new PurgeGate();
        if (c.DeferredPurge) StartPurgeThread();

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
    /// <paramref name="address"/> is 0 and nothing changed.
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
    /// relative to the span. On failure it is -1 and nothing changed.
    /// <list type="number">
    /// <item>Refill this core's preload slot outside the critical section.</item>
    /// <item>Carve from the free tree in one critical section.</item>
    /// <item>No space or no record: purge the lazy backlog (waiting for a running purge) and retry, again while purges bring space back.</item>
    /// <item>Map the range, outside every lock.</item>
    /// </list>
    /// </summary>
    public Status AllocPages(int pages, int alignPages, int tag, out int page)
    {
        page = -1;
        if (!_started) return Status.NotStarted;
        if (pages < 1 || pages > _spanPages) return Refuse(Status.InvalidSize);
        if (alignPages < 1 || alignPages > _spanPages || (alignPages & (alignPages - 1)) != 0) return Refuse(Status.InvalidAlignment);
        int core = _cores.Current;
        int generation = PurgeGeneration;
        Status s = TryAlloc(pages, alignPages, tag, core, out page);
        // 3. Out of space or records: what the lazy list holds comes back after a purge. Under
        //    contention other cores may take that space (and free more) before the retry, so
        //    retry as long as some purge has brought space back since the last attempt began;
        //    when none has, free space has not grown and the failure is real.
        for (int round = 0; s != Status.Ok && round < MaxPurgeRetries; round++)
        {
            PurgeAndWait();
            int now = PurgeGeneration;
            if (now == generation) break;
            generation = now;
            s = TryAlloc(pages, alignPages, tag, core, out page);
        }
        if (s != Status.Ok)
        {
            if (s == Status.NoRecords) Interlocked.Increment(ref _failNoRecords);
            else Interlocked.Increment(ref _failNoSpace);
            page = -1;
            return s;
        }
        _mmu.Map(page, pages);
        return Status.Ok;
    }

    private Status TryAlloc(int pages, int alignPages, int tag, int core, out int page)
    {
        if (_preload[core] == Nil) RefillPreload(core);
        Status s;
        lock (_treeLock)
        {
            long t0 = _clock.Ticks;
            s = CarveLocked(pages, alignPages, tag, core, out page);
            _treeCs.Record(_clock.Ticks - t0);
        }
        return s;
    }

    /// <summary>Step 1 (Linux ne_fit_preload): gives this core a spare record for a no-edge split.</summary>
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
            _treeCs.Record(_clock.Ticks - t0);
        }
    }

    /// <summary>
    /// Finds the lowest fit and carves the area out of it (Linux __alloc_vmap_area), then
    /// enters it in the busy tree. Secures every record it needs before changing anything.
    /// Caller holds the free-tree lock.
    /// </summary>
    private Status CarveLocked(int pages, int alignPages, int tag, int core, out int page)
    {
        page = -1;
        int reserve = pages + _guard;
        if (reserve > _spanPages) return Status.NoSpace;
        int alignOffset = _spanPageLow & (alignPages - 1);
        int block = _free.FindLowestFit(reserve, alignPages, alignOffset);
        if (block == Nil) return Status.NoSpace;
        int start = FreeSpace.AlignUp(_pool.Start[block], alignPages, alignOffset);
        FitType fit = _free.Classify(block, start, reserve);

        int area = block; // a full fit turns the free block's own record into the area
        int spare = Nil;
        if (fit != FitType.Full)
        {
            area = _pool.TakeLocked();
            if (area == Nil) return Status.NoRecords;
        }
        if (fit == FitType.NoEdge)
        {
            spare = _preload[core];
            if (spare == Nil)
            {
                _preloadMisses++;
                _pool.GiveLocked(area);
                return Status.NoRecords;
            }
            _preload[core] = Nil;
            _preloadHits++;
        }
        _free.Carve(block, fit, start, reserve, spare);
        MakeBusyLocked(area, start, reserve, tag, core);
        _fits[(int)fit]++;
        page = start;
        return Status.Ok;
    }

    /// <summary>Enters a reserved range into the busy tree and tags its first page. Caller holds the free-tree lock.</summary>
    private void MakeBusyLocked(int area, int start, int reserve, int tag, int core)
    {
        _pool.Start[area] = start;
        _pool.Size[area] = reserve;
        _pool.Aux[area] = tag;
        _pool.Prev[area] = core;
        _pool.SetState(area, AreaPool.BusyState);
        _busy.Insert(area);
        _free.Tags[start] = area;
        _allocs++;
        _liveAreas++;
        _livePages += reserve - _guard;
    }

    // ---- free ---------------------------------------------------------------------------------

    /// <summary>
    /// Frees the area that starts at <paramref name="address"/>: unmaps it at once and queues
    /// it for the next purge (Linux vfree: free_vmap_area_noflush). An address that is not the
    /// start of a live area returns <see cref="Status.NotAnArea"/> and changes nothing.
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
        int area = page >= 0 && page < _spanPages ? UnlinkBusy(page) : Nil;
        if (area == Nil)
        {
            Interlocked.Increment(ref _failNotAnArea);
            return Status.NotAnArea;
        }
        int pages = _pool.Size[area] - _guard;
        try
        {
            _mmu.Unmap(page, pages);
            QueueLazy(area, pages);
        }
        finally
        {
            // Counted up in UnlinkBusy: from there until the area is on the lazy list it is in
            // no structure, and an allocation that runs out of space waits for it (PurgeAndWait).
            Interlocked.Decrement(ref _freesInFlight);
        }
        return Status.Ok;
    }

    /// <summary>
    /// Takes the area starting at <paramref name="page"/> out of the busy tree, or returns nil.
    /// The page's boundary tag finds the record in O(1); its state and start confirm it.
    /// </summary>
    private int UnlinkBusy(int page)
    {
        int area;
        lock (_treeLock)
        {
            long t0 = _clock.Ticks;
            area = _free.Tags[page];
            if (area != Nil && _pool.IsBusy(area) && _pool.Start[area] == page)
            {
                Interlocked.Increment(ref _freesInFlight);
                _busy.Remove(area);
                _pool.SetState(area, 0);
                _frees++;
                _liveAreas--;
                _livePages -= _pool.Size[area] - _guard;
            }
            else
            {
                area = Nil;
            }
            _treeCs.Record(_clock.Ticks - t0);
        }
        return area;
    }

    private Status Refuse(Status s)
    {
        Interlocked.Increment(ref _failInvalid);
        return s;
    }

    /// <summary>The address of span page <paramref name="page"/>.</summary>
    public ulong AddressOf(int page) => _config.SpanStart + ((ulong)(uint)page << _pageShift);
}
