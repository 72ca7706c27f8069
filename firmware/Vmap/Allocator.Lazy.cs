using System.Threading;

namespace Vmap;

// Lazy freeing and the purge (Linux free_vmap_area_noflush, __purge_vmap_area_lazy).
//
// A free unmaps its range at once but leaves it out of free space: the TLB may still hold its
// translations. Freed areas collect on their zone's lazy list; a purge flushes the range
// covering all of them once and only then hands them back. Batching the flush is what makes
// vmalloc fast; merging the whole batch in one preempt-off section is what cost the set-top
// box of seed 000 26.5 ms. Here the merge runs in chunks of PurgeChunk areas, each its own
// critical section, so the longest section does not grow with the backlog.
public sealed partial class Allocator
{
    // How many times a purge for space yields waiting for one zone's transits to end.
    private const int MaxTransitWaits = 1000;

    private int _lazyMaxPages;  // written by the LazyMaxPages setter, read by every free
    private int _lazyShare;     // LazyMaxPages / zones: a zone under it skips the global check
    private int _purgeChunk;
    private PurgeGate _purgeGate;
    private int[] _zoneDelta;   // lazy pages merged per zone in one chunk; purge gate

    // Purge counters: written only by the holder of the purge gate.
    private int _purges;
    private int _purgedAreas;
    private int _purgedPages;
    private int _purgedToCaches;
    private int _flushes;
    private long _flushedPages;
    private long _maxPurgeTicks;
    private int _purgeOverlaps;
    private int _flushFailures;   // purge gate

    // Purges and drains that gave space back so far; only grows (Interlocked). An allocation
    // compares it before and after its purge or drain to tell whether space can have grown.
    private int _returns;
    private int _purgesRunning; // Interlocked only: a check that the gate works

    /// <summary>
    /// Lazily freed pages allowed before a free triggers a purge. Takes effect on the next
    /// free; a value below the current backlog makes that free purge. No effect before Start.
    /// <para>With zones, each zone checks the total only once its own lazy pages pass an even
    /// share of the threshold, so frees do not read every other core's counter.</para>
    /// </summary>
    public int LazyMaxPages
    {
        get => _lazyMaxPages;
        set
        {
            // Before Start the configuration's value applies (VmapConfig.LazyMaxPages).
            if (_started) SetLazyMax(value < 0 ? 0 : value);
        }
    }

    private void SetLazyMax(int value)
    {
        Interlocked.Exchange(ref _lazyShare, value / _zones.Length);
        Interlocked.Exchange(ref _lazyMaxPages, value);
    }

    /// <summary>Lazy areas merged per critical section of a purge (0: the whole batch at once). Takes effect on the next purge; no effect before Start.</summary>
    public int PurgeChunk
    {
        get => _purgeChunk;
        set
        {
            // Before Start the configuration's value applies (VmapConfig.PurgeChunk).
            if (_started) Interlocked.Exchange(ref _purgeChunk, value < 0 ? 0 : value);
        }
    }

    /// <summary>Pages freed and not yet handed back by a purge (all zones).</summary>
    public int LazyPages
    {
        get
        {
            if (!_started) return 0;
            int total = 0;
            for (int i = 0; i < _zones.Length; i++) total += _zones[i].LazyPages;
            return total;
        }
    }

    /// <summary>
    /// Pushes a freed, unmapped area on its zone's lazy list (its pages are counted first, as
    /// Linux does, so a purge that takes it at once never drives a count below zero), then ends
    /// the free's transit. Returns the zone's lazy pages.
    /// </summary>
    private int QueueLazy(Zone z, int area, int pages)
    {
        int mine = AddLazyPages(z, pages);
        int[] next = _pool.Next;
        int head;
        do
        {
            head = z.LazyHead;
            next[area] = head;
        }
        while (Interlocked.CompareExchange(ref z.LazyHead, area, head) != head);
        Interlocked.Decrement(ref z.InTransit);
        return mine;
    }

    /// <summary>After a free: purges (or wakes the purge thread) when the lazy pages exceed the threshold.</summary>
    private void PurgeIfOverThreshold(int zoneLazyPages)
    {
        if (zoneLazyPages <= _lazyShare || LazyPages <= _lazyMaxPages) return;
        AutoResetEvent wanted = _purgeWanted; // read once: Stop may clear it meanwhile
        if (wanted != null)
        {
            wanted.Set(); // deferred: the purge thread takes it from here
        }
        else if (_purgeGate.TryEnter())
        {
            // Threshold purge: only if none runs; the running one will take this area too.
            try
            {
                PurgeHoldingGate();
            }
            finally
            {
                _purgeGate.Exit();
            }
        }
    }

    private static int AddLazyPages(Zone z, int delta)
    {
        int old;
        do
        {
            old = z.LazyPages;
        }
        while (Interlocked.CompareExchange(ref z.LazyPages, old + delta, old) != old);
        return old + delta;
    }

    /// <summary>
    /// Purges the lazy backlog now, waiting first for a purge that is already running
    /// (Linux purge_vmap_area_lazy). Returns when every area freed before the call is back,
    /// or <see cref="Status.FlushFailed"/> when the MMU's flush failed: the backlog is then
    /// still queued, whole, for the next purge.
    /// </summary>
    public Status Purge()
    {
        if (!_started) return Status.NotStarted;
        int failures = _flushFailures;
        PurgeAndWait();
        return _flushFailures == failures ? Status.Ok : Status.FlushFailed;
    }

    /// <summary>Purges after any running purge and after every free in flight has reached its lazy list.</summary>
    private void PurgeAndWait()
    {
        _purgeGate.Enter();
        try
        {
            WaitForTransitsAndPurge();
        }
        finally
        {
            _purgeGate.Exit();
        }
    }

    private void WaitForTransitsAndPurge()
    {
        // A free that has left the busy list but not yet reached the lazy list (or a drain or
        // decay between a cache and the tree) holds space no purge or drain can see; it is a
        // few instructions away from landing, so wait for it rather than report no memory for
        // space that is about to come back.
        // Bounded: under a steady stream of frees a zone may never be seen idle; after the bound
        // the purge goes ahead and an allocation that still finds nothing retries (AllocPages).
        for (int i = 0; i < _zones.Length; i++)
        {
            for (int spin = 0; spin < MaxTransitWaits && Interlocked.CompareExchange(ref _zones[i].InTransit, 0, 0) != 0; spin++) Thread.Sleep(0);
        }
        PurgeHoldingGate();
    }

    /// <summary>
    /// One purge. Caller holds the purge gate.
    /// <list type="number">
    /// <item>Take every zone's lazy list, each in one atomic step, and chain them.</item>
    /// <item>Walk the chain for the covering range and the page count (the records are ours now).</item>
    /// <item>Flush the covering range once, outside every lock.</item>
    /// <item>Zones on: hand small areas back to their zone's cache.</item>
    /// <item>Merge the rest into the free tree in chunks of PurgeChunk, one critical section
    /// each, and only then subtract their pages from the lazy counts.</item>
    /// <item>Zones on: decay every cache by a quarter.</item>
    /// </list>
    /// Returns true when it handed anything back.
    /// </summary>
    private bool PurgeHoldingGate()
    {
        if (Interlocked.Increment(ref _purgesRunning) != 1) _purgeOverlaps++;
        long t0 = _clock.Ticks;
        int[] start = _pool.Start;
        int[] size = _pool.Size;
        int[] next = _pool.Next;

        // 1. and 2.
        int list = Nil;
        int areas = 0;
        int pages = 0;
        int low = int.MaxValue;
        int high = 0;
        for (int i = 0; i < _zones.Length; i++)
        {
            int head = Interlocked.Exchange(ref _zones[i].LazyHead, Nil);
            int tail = Nil;
            for (int a = head; a != Nil; a = next[a])
            {
                int mapped = size[a] - _guard;
                areas++;
                pages += mapped;
                if (start[a] < low) low = start[a];
                if (start[a] + mapped > high) high = start[a] + mapped;
                tail = a;
            }
            if (tail != Nil)
            {
                next[tail] = list;
                list = head;
            }
        }
        if (list == Nil)
        {
            Interlocked.Decrement(ref _purgesRunning);
            return false;
        }

        // 3. A flush that fails leaves the translations possibly cached: nothing may be handed
        //    back. The whole batch returns to the lazy lists, unchanged, for the next purge.
        try
        {
            _mmu.FlushTlb(low, high - low);
        }
        catch (System.Exception)
        {
            Requeue(list);
            _flushFailures++;
            Interlocked.Decrement(ref _purgesRunning);
            return false;
        }
        _flushes++;
        _flushedPages += high - low;

        // 4. and 5.
        if (_zonesOn) list = ReturnToCaches(list);
        MergeIntoTree(list, true);
        if (_zonesOn) DecayCaches();

        _purgedAreas += areas;
        _purgedPages += pages;
        long took = _clock.Ticks - t0;
        if (took > _maxPurgeTicks) _maxPurgeTicks = took;
        _purges++;
        Interlocked.Increment(ref _returns);
        Interlocked.Decrement(ref _purgesRunning);
        IPurgeObserver observer = PurgeObserver;
        if (observer != null) observer.OnPurge(areas, pages, AddressOf(low), AddressOf(high));
        return true;
    }

    /// <summary>Puts a taken batch back on the lazy lists of the zones the areas belong to (their counts never left).</summary>
    private void Requeue(int list)
    {
        int[] next = _pool.Next;
        while (list != Nil)
        {
            int following = next[list];
            Zone z = _zones[_zonesOn ? _pool.Prev[list] : 0];
            int head;
            do
            {
                head = z.LazyHead;
                next[list] = head;
            }
            while (Interlocked.CompareExchange(ref z.LazyHead, list, head) != head);
            list = following;
        }
    }

    /// <summary>
    /// Purge step 4: each lazy area of a cached class goes back to the cache of the zone that
    /// freed it (its <c>Prev</c> is that zone), at most PurgeChunk per zone section; what a
    /// full class cannot take, and every larger area, is returned for the free tree.
    /// </summary>
    private int ReturnToCaches(int list)
    {
        int[] next = _pool.Next;
        int rest = Nil;
        int a = list;
        while (a != Nil)
        {
            // Take the run of areas from a's zone that starts here, up to a chunk.
            Zone z = _zones[_pool.Prev[a]];
            int chunk = _purgeChunk;
            int moved = 0;
            lock (z.Lock)
            {
                long t0 = _clock.Ticks;
                for (int k = 0; a != Nil && (chunk == 0 || k < chunk) && _zones[_pool.Prev[a]] == z; k++)
                {
                    int following = next[a];
                    int cls = _pool.Size[a] - _guard;
                    if (cls <= _classLimit && HasCacheRoom(z, cls))
                    {
                        PushCachedLocked(z, a);
                        moved += cls;
                        _purgedToCaches++;
                    }
                    else
                    {
                        // A class with room turned away by the zone-wide caps: decay must make room.
                        if (cls <= _classLimit && z.CacheCount[cls] < z.CacheCap[cls]) z.CapRefusals++;
                        next[a] = rest;
                        rest = a;
                    }
                    a = following;
                }
                z.Cs.Record(_clock.Ticks - t0);
            }
            Interlocked.Increment(ref _returns);
            AddLazyPages(z, -moved);
        }
        return rest;
    }

    /// <summary>
    /// Merges a list of areas (linked through Next) into the free tree, PurgeChunk per
    /// free-tree section (all at once when 0). For lazy areas (<paramref name="lazy"/>), each
    /// chunk's pages leave their zones' lazy counts once the chunk is in the tree.
    /// </summary>
    private void MergeIntoTree(int list, bool lazy)
    {
        int[] next = _pool.Next;
        int cursor = list;
        while (cursor != Nil)
        {
            int chunk = _purgeChunk;
            lock (_treeLock)
            {
                long t0 = _clock.Ticks;
                // Invariant: the areas before cursor are merged; cursor and what follows are not.
                for (int k = 0; cursor != Nil && (chunk == 0 || k < chunk); k++)
                {
                    int following = next[cursor];
                    if (lazy) _zoneDelta[_zonesOn ? _pool.Prev[cursor] : 0] += _pool.Size[cursor] - _guard;
                    _free.Release(cursor);
                    cursor = following;
                }
                _treeCs.Record(_clock.Ticks - t0);
            }
            // Space is back in the tree: allocations that found none may retry (before the lazy
            // counts drop, so none can see "nothing lazy" without seeing this progress).
            Interlocked.Increment(ref _returns);
            if (!lazy) continue;
            for (int i = 0; i < _zoneDelta.Length; i++)
            {
                if (_zoneDelta[i] == 0) continue;
                AddLazyPages(_zones[i], -_zoneDelta[i]);
                _zoneDelta[i] = 0;
            }
        }
    }

    // ---- the purge thread (VmapConfig.DeferredPurge) ---------------------------------------

    private AutoResetEvent _purgeWanted; // set by frees over the threshold; null when purges run inline
    private Thread _purgeThread;
    private bool _stopping;              // written once by Stop, then the event is set

    private void StartPurgeThread()
    {
        _purgeWanted = new AutoResetEvent(false);
        _purgeThread = new Thread(PurgeThreadLoop);
#if !NANOFRAMEWORK_1_0
        _purgeThread.IsBackground = true; // a host process may exit without calling Stop
#endif
        _purgeThread.Start();
    }

    private void PurgeThreadLoop()
    {
        AutoResetEvent wanted = _purgeWanted; // Stop clears the field; the thread keeps its event
        while (true)
        {
            wanted.WaitOne();
            if (_stopping) return;
            // A threshold purge: if an allocation's purge runs already, it takes the backlog.
            if (LazyPages > _lazyMaxPages && _purgeGate.TryEnter())
            {
                try
                {
                    PurgeHoldingGate();
                }
                catch (System.Exception)
                {
                    // A throwing purge observer must not end the purge thread; the purge is done.
                }
                finally
                {
                    _purgeGate.Exit();
                }
            }
        }
    }

    /// <summary>
    /// Stops the purge thread (deferred purges only) after purging what is left. The allocator
    /// stays usable; threshold purges then run inline.
    /// </summary>
    public void Stop()
    {
        if (!_started || _purgeWanted == null) return;
        AutoResetEvent wanted = _purgeWanted;
        _purgeWanted = null;
        _stopping = true;
        wanted.Set();
        _purgeThread.Join();
        PurgeAndWait();
    }
}
