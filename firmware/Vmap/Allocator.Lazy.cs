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
//
// With zones and PurgeMode.Zones, the free that takes the backlog over the threshold
// purges only its zone's list (PurgeZone), as Linux 6.9 merges each vmap node's areas on its
// own CPU: zones purge side by side and no core walks another core's records, at the price of
// a flush per zone. Otherwise, and always for a purge for space, an explicit Purge and the
// purge thread, one purge takes every zone's list under the purge gate, with one flush.
public sealed partial class Allocator
{
    // How many times a purge for space yields waiting for one zone's transits to end.
    private const int MaxTransitWaits = 1000;

    private int _lazyMaxPages;  // written by the LazyMaxPages setter, read by every free
    private int _lazyShare;     // LazyMaxPages / zones: a zone under it skips the global check
    private int _purgeChunk;
    private PurgeGate _purgeGate;
    private int[] _zoneDelta;   // lazy pages merged per zone in one chunk; purge gate

    // Counters of the purges run under the purge gate (each zone counts its own: Zone.Purged).
    private PurgeCounters _purged;
    private int _purgeOverlaps;   // purge gate
    private int _flushFailures;   // Interlocked: purges of several zones may fail at once

    // Purges and drains that gave space back so far; only grows (Interlocked). An allocation
    // compares it before and after its purge or drain to tell whether space can have grown.
    private int _returns;
    private int _purgesRunning; // Interlocked only: a check that the gate works

    /// <summary>
    /// Lazily freed pages allowed before a free triggers a purge. Takes effect on the next
    /// free; a value below the current backlog makes that free purge. No effect before Start.
    /// <para>With zones, each zone checks the total only once its own lazy pages pass an even
    /// share of the threshold, so frees do not read every other core's counter; with zone
    /// purges, that share is the zone's threshold and the total is not read at all.</para>
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

    /// <summary>
    /// After a free to zone <paramref name="z"/>, once the zone is over its share of the
    /// threshold: with zone purges (and no purge thread), the zone purges its own list
    /// (<see cref="PurgeZone"/>); otherwise, when all zones together are over the threshold,
    /// the one global purge runs (or the purge thread is woken).
    /// </summary>
    private void PurgeIfOverThreshold(Zone z, int zoneLazyPages)
    {
        if (zoneLazyPages <= _lazyShare) return;
        AutoResetEvent wanted = _purgeWanted; // read once: Stop may clear it meanwhile
        if (_zonePurges && wanted == null)
        {
            // The share is the zone's own threshold. Waiting for the total as well would read
            // every other core's counter on each free, and let a busy zone next to a quiet one
            // run up to the whole threshold: a purge bigger than its class caps, whose
            // overflow goes through the free tree and comes back by refills.
            PurgeZone(z);
            return;
        }
        if (LazyPages <= _lazyMaxPages) return;
        if (wanted != null)
        {
            wanted.Set(); // deferred: the purge thread takes it from here
        }
        else if (_purgeGate.TryEnter())
        {
            // Threshold purge: only if none runs. The running one takes this area only if it
            // took the lists after it was queued; otherwise it waits for the next free over the
            // threshold (the backlog stays above it, so that free purges).
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

    /// <summary>True when some zone holds space in no structure (see <see cref="Zone.InTransit"/>).</summary>
    private bool AnyInTransit()
    {
        for (int i = 0; i < _zones.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _zones[i].InTransit, 0, 0) != 0) return true;
        }
        return false;
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
    /// One global purge: every zone's lazy list (Linux __purge_vmap_area_lazy). Caller holds
    /// the purge gate; this takes every zone's gate as well. Takes each zone's list in one
    /// atomic step and chains them, then <see cref="PurgeList"/>; with zones, decays every
    /// cache. Returns true when it handed anything back.
    /// </summary>
    private bool PurgeHoldingGate()
    {
        // Wait for every zone purge that is running (their space is on its way back), and keep
        // new ones out: lock order purge gate, then the zone gates in index order.
        for (int i = 0; i < _zones.Length; i++) _zones[i].PurgeGate.Enter();
        try
        {
            return PurgeAllZones();
        }
        finally
        {
            for (int i = 0; i < _zones.Length; i++) _zones[i].PurgeGate.Exit();
        }
    }

    /// <summary>The global purge proper (see <see cref="PurgeHoldingGate"/>). Caller holds the purge gate and every zone's gate.</summary>
    private bool PurgeAllZones()
    {
        if (Interlocked.Increment(ref _purgesRunning) != 1) _purgeOverlaps++;
        long t0 = _clock.Ticks;
        int list = Nil;
        _purged.StartBatch();
        for (int i = 0; i < _zones.Length; i++)
        {
            int head = Interlocked.Exchange(ref _zones[i].LazyHead, Nil);
            if (head == Nil) continue;
            _pool.Next[Survey(head, _purged)] = list;
            list = head;
        }
        bool merged = list != Nil && PurgeList(list, null, _purged);
        if (merged && _zonesOn)
        {
            for (int i = 0; i < _zones.Length; i++) DecayCache(_zones[i]);
        }
        if (merged) _purged.Took(_clock.Ticks - t0);
        Interlocked.Decrement(ref _purgesRunning);
        if (merged) NotifyPurge(_purged);
        return merged;
    }

    /// <summary>
    /// A zone's own threshold purge (Linux 6.9 purges each vmap node's list on its own CPU):
    /// takes only zone <paramref name="z"/>'s lazy list, flushes its range, hands its small
    /// areas back to its cache, merges the rest into the free tree and decays its cache. Zones
    /// purge side by side, so no core walks another's records and a purge never stalls the
    /// other zones. It runs on the core whose free took the zone over its share: the zone's
    /// own core, unless that free came from another core. Skipped when the zone's gate is
    /// held (its own purge, or a global purge): an area queued after that purge took the list
    /// waits for the zone's next free, which still finds the zone over its share. A global
    /// purge, and so an allocation that finds no space, waits for it on the zone's gate.
    /// </summary>
    private void PurgeZone(Zone z)
    {
        if (!z.PurgeGate.TryEnter()) return;
        try
        {
            long t0 = _clock.Ticks;
            int list = Interlocked.Exchange(ref z.LazyHead, Nil);
            if (list == Nil) return;
            z.Purged.StartBatch();
            Survey(list, z.Purged);
            if (!PurgeList(list, z, z.Purged)) return;
            DecayCache(z);
            z.Purged.Took(_clock.Ticks - t0);
            NotifyPurge(z.Purged);
        }
        finally
        {
            z.PurgeGate.Exit();
        }
    }

    /// <summary>
    /// Adds the batch starting at <paramref name="head"/> (linked through Next) to the batch
    /// <paramref name="c"/> describes: its areas, pages and covering range. Returns its last area.
    /// </summary>
    private int Survey(int head, PurgeCounters c)
    {
        int[] start = _pool.Start;
        int[] size = _pool.Size;
        int[] next = _pool.Next;
        int tail = head;
        for (int a = head; a != Nil; a = next[a])
        {
            int mapped = size[a] - _guard;
            c.LastAreas++;
            c.LastPages += mapped;
            if (start[a] < c.LastLow) c.LastLow = start[a];
            if (start[a] + mapped > c.LastHigh) c.LastHigh = start[a] + mapped;
            tail = a;
        }
        return tail;
    }

    /// <summary>
    /// Purges a taken batch (linked through Next; of zone <paramref name="only"/>, or of any
    /// zone when null) that <see cref="Survey"/> described in <paramref name="counters"/>, and
    /// counts it there; the caller owns the counters:
    /// <list type="number">
    /// <item>Flush the covering range once, outside every lock.</item>
    /// <item>Zones on: hand small areas back to their zone's cache.</item>
    /// <item>Merge the rest into the free tree in chunks of PurgeChunk, one critical section
    /// each, and only then subtract their pages from the lazy counts.</item>
    /// </list>
    /// Returns false when the flush failed: the whole batch is back on the lazy lists.
    /// </summary>
    private bool PurgeList(int list, Zone only, PurgeCounters counters)
    {
        int low = counters.LastLow;
        int high = counters.LastHigh;

        // 1. A flush that fails leaves the translations possibly cached: nothing may be handed
        //    back. The whole batch returns to the lazy lists, unchanged, for the next purge.
        if (!_mmu.FlushTlb(low, high - low))
        {
            Requeue(list);
            Interlocked.Increment(ref _flushFailures);
            return false;
        }
        counters.Flushes++;
        counters.FlushedPages += high - low;

        // 2. and 3. (each counts its progress in _returns)
        if (_zonesOn) list = ReturnToCaches(list, only, counters);
        MergeIntoTree(list, true, only);

        counters.Areas += counters.LastAreas;
        counters.Pages += counters.LastPages;
        counters.Purges++;
        return true;
    }

    /// <summary>Tells the purge observer about the purge just counted in <paramref name="counters"/>.</summary>
    private void NotifyPurge(PurgeCounters counters)
    {
        IPurgeObserver observer = PurgeObserver;
        if (observer != null) observer.OnPurge(counters.LastAreas, counters.LastPages, AddressOf(counters.LastLow), AddressOf(counters.LastHigh));
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
    /// Purge step 2: each lazy area of a cached class goes back to the cache of the zone that
    /// freed it (its <c>Prev</c> is that zone), at most PurgeChunk per zone section; what a
    /// full class cannot take, and every larger area, is returned for the free tree. The batch
    /// is zone <paramref name="only"/>'s (a zone's own purge), or of any zone (caller holds the
    /// purge gate).
    /// <para>Progress is published once, after the last section: every allocation reads
    /// <c>_returns</c>, so an increment per section would take its cache line from every core
    /// that many times per purge. The lazy counts drop only after it (see MergeIntoTree).</para>
    /// </summary>
    private int ReturnToCaches(int list, Zone only, PurgeCounters counters)
    {
        int[] next = _pool.Next;
        int rest = Nil;
        int ownMoved = 0;
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
                        counters.ToCaches++;
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
                z.Cs.Record(_clock.Ticks - t0, 1);
            }
            if (only != null) ownMoved += moved;
            else _zoneDelta[z.Index] += moved;
        }
        Interlocked.Increment(ref _returns);
        if (only != null) AddLazyPages(only, -ownMoved);
        else DropZoneDeltas();
        return rest;
    }

    /// <summary>Subtracts the pages gathered in _zoneDelta from their zones' lazy counts and clears it. Purge gate.</summary>
    private void DropZoneDeltas()
    {
        for (int i = 0; i < _zoneDelta.Length; i++)
        {
            if (_zoneDelta[i] == 0) continue;
            AddLazyPages(_zones[i], -_zoneDelta[i]);
            _zoneDelta[i] = 0;
        }
    }

    /// <summary>
    /// Merges a list of areas (linked through Next) into the free tree, PurgeChunk per
    /// free-tree section (all at once when 0). For lazy areas (<paramref name="lazy"/>), each
    /// chunk's pages leave their zones' lazy counts once the chunk is in the tree: all of zone
    /// <paramref name="only"/> (a zone's own purge), or of any zone (caller holds the purge gate).
    /// </summary>
    private void MergeIntoTree(int list, bool lazy, Zone only)
    {
        int[] next = _pool.Next;
        int cursor = list;
        while (cursor != Nil)
        {
            int chunk = _purgeChunk;
            int ownPages = 0;
            lock (_treeLock)
            {
                long t0 = _clock.Ticks;
                // Invariant: the areas before cursor are merged; cursor and what follows are not.
                for (int k = 0; cursor != Nil && (chunk == 0 || k < chunk); k++)
                {
                    int following = next[cursor];
                    if (lazy)
                    {
                        int mapped = _pool.Size[cursor] - _guard;
                        if (only != null) ownPages += mapped;
                        else _zoneDelta[_zonesOn ? _pool.Prev[cursor] : 0] += mapped;
                    }
                    _free.Release(cursor);
                    cursor = following;
                }
                _treeCs.Record(_clock.Ticks - t0, 1);
            }
            // Space is back in the tree: allocations that found none may retry (before the lazy
            // counts drop, so none can see "nothing lazy" without seeing this progress).
            Interlocked.Increment(ref _returns);
            if (!lazy) continue;
            if (only != null) AddLazyPages(only, -ownPages);
            else DropZoneDeltas();
        }
    }

    // ---- the purge thread (PurgeMode.Deferred) ---------------------------------------

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
