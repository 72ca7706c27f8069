using System.Threading;
using Vmap.Hal;

namespace Vmap;

/// <summary>
/// Lazy freeing and the purge (Linux free_vmap_area_noflush, __purge_vmap_area_lazy).
/// <para>A free unmaps its range at once but leaves it out of free space: the TLB may still hold
/// its translations. Freed areas collect on their zone's lazy list; a purge flushes the range
/// covering all of them once and only then hands them back. Batching the flush is what makes
/// vmalloc fast; merging the whole batch in one preempt-off section is what cost the set-top box
/// of seed 000 26.5 ms. Here the merge runs in chunks of PurgeChunk areas, each its own critical
/// section, so the longest section does not grow with the backlog.</para>
/// <para>Who purges (<see cref="PurgeMode"/>): the free that takes the backlog over the
/// threshold runs one global purge of every zone's list (Global), or only its own zone's list
/// (Zones, as Linux 6.9 purges each vmap node on its own CPU), or wakes the purge thread
/// (Deferred). A purge for space, an explicit purge and the purge thread always run the global
/// purge, after any running purge (<see cref="Locks"/>).</para>
/// </summary>
internal sealed class LazyPurge
{
    private const int Nil = AreaPool.Nil;

    private readonly Locks _locks;
    private readonly Zone[] _zones;
    private readonly Carver _carver;
    private readonly ZoneCaches _caches;   // null with zones off
    private readonly AreaPool _pool;
    private readonly IMmu _mmu;
    private readonly IClock _clock;
    private readonly int _guard;
    private readonly bool _zonePurges;      // zones on and PurgeMode.Zones
    private readonly int[] _zoneDelta;      // lazy pages a global purge merged per zone; purge gate

    private int _lazyMaxPages; // written by SetThreshold, read by every free
    private int _lazyShare;    // LazyMaxPages / zones: a zone under it skips the global check

    /// <summary>Counters of the global purges (each zone counts its own: <see cref="Zone.Purged"/>); purge gate.</summary>
    public readonly PurgeCounters Purged = new PurgeCounters();

    /// <summary>Global purges that found another purge running (0 when the gate works); purge gate.</summary>
    public int Overlaps;

    /// <summary>Flushes that failed; Interlocked (zone purges may fail side by side).</summary>
    public int FlushFailures;

    private int _running; // Interlocked only: a check that the gate works

    /// <summary>Receives a call for every purge (null for none).</summary>
    public IPurgeObserver Observer;

    /// <summary>Maps a span page to its address for the observer.</summary>
    private readonly ulong _spanStart;
    private readonly int _pageShift;

    public LazyPurge(Locks locks, Zone[] zones, Carver carver, ZoneCaches caches, IMmu mmu, IClock clock, VmapConfig c, int pageShift)
    {
        _locks = locks;
        _zones = zones;
        _carver = carver;
        _caches = caches;
        _pool = carver.Pool;
        _mmu = mmu;
        _clock = clock;
        _guard = c.GuardPages;
        _zonePurges = c.Zones && c.PurgeMode == PurgeMode.Zones;
        _zoneDelta = new int[zones.Length];
        _spanStart = c.SpanStart;
        _pageShift = pageShift;
        for (int i = 0; i < zones.Length; i++) zones[i].PurgeDelta = new int[zones.Length];
        SetThreshold(c.EffectiveLazyMaxPages());
        if (c.PurgeMode == PurgeMode.Deferred) StartThread();
    }

    /// <summary>The lazy threshold in pages (<see cref="Allocator.LazyMaxPages"/>).</summary>
    public int Threshold => _lazyMaxPages;

    /// <summary>Sets the threshold (and each zone's even share of it); takes effect on the next free.</summary>
    public void SetThreshold(int value)
    {
        Interlocked.Exchange(ref _lazyShare, value / _zones.Length);
        Interlocked.Exchange(ref _lazyMaxPages, value);
    }

    /// <summary>Pages freed and not yet handed back (all zones).</summary>
    public int LazyPages
    {
        get
        {
            int total = 0;
            for (int i = 0; i < _zones.Length; i++) total += _zones[i].LazyPages;
            return total;
        }
    }

    /// <summary>True when some zone holds space in no structure (see <see cref="Transits"/>).</summary>
    public bool AnyInTransit()
    {
        for (int i = 0; i < _zones.Length; i++)
        {
            if (_zones[i].InTransit()) return true;
        }
        return false;
    }

    // ---- the free's side ---------------------------------------------------------------------

    /// <summary>
    /// Queues a freed, unmapped area of zone <paramref name="z"/> (ending the free's <paramref name="transit"/>)
    /// and, when <paramref name="zoneLazy"/> (the zone's lazy pages, counted when the free
    /// unlinked the area) passes the zone's share of the threshold: with zone purges, purges
    /// the zone's own list; otherwise, when all zones together are over the threshold, runs
    /// the global purge if none runs (or wakes the purge thread).
    /// </summary>
    public void Queue(Zone z, int area, int zoneLazy, Transits transit)
    {
        z.QueueLazy(area, transit);
        if (zoneLazy <= _lazyShare) return;
        AutoResetEvent wanted = _wanted; // read once: Stop may clear it meanwhile
        if (_zonePurges && wanted == null)
        {
            // The share is the zone's own threshold: waiting for the total as well would read
            // every other core's counter on each free. Read again: the zone's own purge may
            // have taken the backlog while this free was unmapping.
            if (z.LazyPages > _lazyShare) PurgeZone(z);
            return;
        }
        if (LazyPages <= _lazyMaxPages) return;
        if (wanted != null) wanted.Set(); // deferred: the purge thread takes it from here
        else TryPurge();
    }

    /// <summary>
    /// A threshold purge: runs only if no purge runs. The running one takes the new backlog if
    /// it took the lists after the area was queued; otherwise the next free over the threshold
    /// purges (the backlog stays above it).
    /// </summary>
    private void TryPurge()
    {
        if (!_locks.Purge.TryEnter()) return;
        try
        {
            PurgeAllZones();
        }
        finally
        {
            _locks.Purge.Exit();
        }
    }

    // ---- purges that wait ----------------------------------------------------------------------

    /// <summary>
    /// Purges after any running purge (zone purges included) and after the frees, drains and
    /// decays in transit have landed (Linux purge_vmap_area_lazy). Returns false when the flush
    /// failed: the backlog is then still queued, whole, for the next purge.
    /// </summary>
    public bool PurgeAndWait()
    {
        int failures = FlushFailures;
        _locks.Purge.Enter();
        try
        {
            _locks.WaitForTransits(_zones);
            PurgeAllZones();
        }
        finally
        {
            _locks.Purge.Exit();
        }
        return FlushFailures == failures;
    }

    /// <summary>
    /// One global purge: every zone's lazy list (Linux __purge_vmap_area_lazy). Caller holds
    /// the purge gate; this waits for and holds every zone's purge gate. Takes each zone's list
    /// in one atomic step and chains them, purges the chain and, with zones, decays every cache.
    /// </summary>
    private void PurgeAllZones()
    {
        _locks.EnterZonePurges();
        try
        {
            if (Interlocked.Increment(ref _running) != 1) Overlaps++;
            long t0 = _clock.Ticks;
            int list = Nil;
            Purged.StartBatch();
            for (int i = 0; i < _zones.Length; i++)
            {
                int head = Interlocked.Exchange(ref _zones[i].LazyHead, Nil);
                if (head == Nil) continue;
                _pool.Next[Survey(head, Purged)] = list;
                list = head;
            }
            bool merged = list != Nil && PurgeList(list, _zoneDelta, Purged);
            if (merged && _caches != null)
            {
                for (int i = 0; i < _zones.Length; i++) _caches.Decay(_zones[i]);
            }
            Interlocked.Decrement(ref _running);
            if (merged) Finish(Purged, t0);
        }
        finally
        {
            _locks.ExitZonePurges();
        }
    }

    /// <summary>
    /// A zone's own threshold purge (Linux 6.9 purges each vmap node's list on its own CPU):
    /// only zone <paramref name="z"/>'s lazy list, its flush, its cache and its decay. Skipped
    /// when the zone's purge gate is held (its own purge, or a global purge): an area queued
    /// after that purge took the list waits for the zone's next free, which still finds the
    /// zone over its share. A global purge, and so an allocation that finds no space, waits for it.
    /// </summary>
    private void PurgeZone(Zone z)
    {
        PurgeGate gate = _locks.ZonePurges[z.Index];
        if (!gate.TryEnter()) return;
        try
        {
            long t0 = _clock.Ticks;
            int list = Interlocked.Exchange(ref z.LazyHead, Nil);
            if (list == Nil) return;
            z.Purged.StartBatch();
            Survey(list, z.Purged);
            if (!PurgeList(list, z.PurgeDelta, z.Purged)) return;
            _caches.Decay(z);
            Finish(z.Purged, t0);
        }
        finally
        {
            gate.Exit();
        }
    }

    /// <summary>Adds the batch at <paramref name="head"/> (linked through Next) to the one <paramref name="c"/> describes: areas, pages, covering range. Returns its last area.</summary>
    private int Survey(int head, PurgeCounters c)
    {
        int[] start = _pool.Start;
        int[] size = _pool.Size;
        int[] next = _pool.Next;
        int tail = head;
        int areas = 0;
        int pages = 0;
        int low = c.LastLow;
        int high = c.LastHigh;
        for (int a = head; a != Nil; a = next[a])
        {
            int first = start[a];
            int end = first + size[a] - _guard;
            areas++;
            pages += end - first;
            if (first < low) low = first;
            if (end > high) high = end;
            tail = a;
        }
        c.LastAreas += areas;
        c.LastPages += pages;
        c.LastLow = low;
        c.LastHigh = high;
        return tail;
    }

    /// <summary>
    /// Purges a taken batch that <see cref="Survey"/> described in <paramref name="counters"/>:
    /// <list type="number">
    /// <item>Flush the covering range once, outside every lock. A failed flush leaves the
    /// translations possibly cached: the whole batch goes back to the lazy lists, unchanged.</item>
    /// <item>With zones, hand small areas back to their zone's cache.</item>
    /// <item>Merge the rest into the free tree, a chunk per section; after each, take the
    /// merged pages off the lazy counts (gathered per zone in <paramref name="lazyDelta"/>).</item>
    /// </list>
    /// Returns false when the flush failed.
    /// </summary>
    private bool PurgeList(int list, int[] lazyDelta, PurgeCounters counters)
    {
        int low = counters.LastLow;
        int high = counters.LastHigh;
        if (!_mmu.FlushTlb(low, high - low))
        {
            int[] next = _pool.Next;
            while (list != Nil)
            {
                int following = next[list];
                _zones[_pool.Owner[list]].Requeue(list);
                list = following;
            }
            Interlocked.Increment(ref FlushFailures);
            return false;
        }
        counters.Flushes++;
        counters.FlushedPages += high - low;

        if (_caches != null)
        {
            list = _caches.ReturnLazy(list, counters, lazyDelta);
            DropLazy(lazyDelta);
        }
        while (list != Nil)
        {
            list = _carver.MergeSection(list, lazyDelta);
            DropLazy(lazyDelta);
        }

        counters.Areas += counters.LastAreas;
        counters.Pages += counters.LastPages;
        counters.Purges++;
        return true;
    }

    /// <summary>Takes the pages gathered in <paramref name="lazyDelta"/> off their zones' lazy counts and clears it.</summary>
    private void DropLazy(int[] lazyDelta)
    {
        for (int i = 0; i < lazyDelta.Length; i++)
        {
            if (lazyDelta[i] == 0) continue;
            _zones[i].DropLazy(lazyDelta[i]);
            lazyDelta[i] = 0;
        }
    }

    /// <summary>Counts the purge's time and tells the observer about it.</summary>
    private void Finish(PurgeCounters counters, long t0)
    {
        counters.Took(_clock.Ticks - t0);
        IPurgeObserver observer = Observer;
        if (observer != null) observer.OnPurge(counters.LastAreas, counters.LastPages, AddressOf(counters.LastLow), AddressOf(counters.LastHigh));
    }

    private ulong AddressOf(int page) => _spanStart + ((ulong)(uint)page << _pageShift);

    // ---- the purge thread (PurgeMode.Deferred) ---------------------------------------------

    private AutoResetEvent _wanted; // set by frees over the threshold; null when purges run inline
    private Thread _thread;
    private bool _stopping;         // written once by Stop, then the event is set

    private void StartThread()
    {
        _wanted = new AutoResetEvent(false);
        _thread = new Thread(ThreadLoop);
#if !NANOFRAMEWORK_1_0
        _thread.IsBackground = true; // a host process may exit without calling Stop
#endif
        _thread.Start();
    }

    private void ThreadLoop()
    {
        AutoResetEvent wanted = _wanted; // Stop clears the field; the thread keeps its event
        while (true)
        {
            wanted.WaitOne();
            if (_stopping) return;
            if (LazyPages <= _lazyMaxPages) continue;
            try
            {
                TryPurge();
            }
            catch (System.Exception)
            {
                // A throwing purge observer must not end the purge thread; the purge is done.
            }
        }
    }

    /// <summary>Stops the purge thread (deferred purges only) after purging what is left; threshold purges then run inline.</summary>
    public void Stop()
    {
        if (_wanted == null) return;
        AutoResetEvent wanted = _wanted;
        _wanted = null;
        _stopping = true;
        wanted.Set();
        _thread.Join();
        PurgeAndWait();
    }
}
