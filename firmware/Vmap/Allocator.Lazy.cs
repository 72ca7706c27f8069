using System.Threading;

namespace Vmap;

// Lazy freeing and the purge (Linux free_vmap_area_noflush, __purge_vmap_area_lazy).
//
// A free unmaps its range at once but leaves it out of the free tree: the TLB may still hold
// its translations. Freed areas collect on the lazy list; a purge flushes the range covering
// all of them once and only then merges them back. Batching the flush is what makes vmalloc
// fast; merging the whole batch in one preempt-off section is what cost the set-top box of
// seed 000 26.5 ms. Here the merge runs in chunks of PurgeChunk areas, each its own critical
// section, so the longest section does not grow with the backlog.
public sealed partial class Allocator
{
    // The lazy list: a lock-free stack of area records linked through Next (Linux llist).
    // Pushed by frees with CompareExchange; taken whole by a purge with Exchange, so there is
    // no single-element pop and no ABA problem. Interlocked only.
    private int _lazyHead;

    // Pages on the lazy list or taken by a running purge and not yet merged back. Added after
    // the push, subtracted only after the areas are in the free tree, each chunk once: never
    // twice, never early (seed 000). Interlocked only.
    private int _lazyPages;

    private int _lazyMaxPages;  // written by the LazyMaxPages setter, read by every free
    private int _purgeChunk;
    private PurgeGate _purgeGate;

    // Purge counters: written only by the holder of the purge gate.
    private int _purges;        // also read by allocations (PurgeGeneration): Interlocked
    private int _purgedAreas;
    private int _purgedPages;
    private int _flushes;
    private long _flushedPages;
    private long _maxPurgeTicks;
    private int _purgeOverlaps;
    private int _purgesRunning; // Interlocked only: a check that the gate works

    /// <summary>
    /// Lazily freed pages allowed before a free triggers a purge. Takes effect on the next
    /// free; a value below the current backlog makes that free purge.
    /// </summary>
    public int LazyMaxPages
    {
        get => _lazyMaxPages;
        set => Interlocked.Exchange(ref _lazyMaxPages, value < 0 ? 0 : value);
    }

    /// <summary>Lazy areas merged per critical section of a purge (0: the whole batch at once). Takes effect on the next purge.</summary>
    public int PurgeChunk
    {
        get => _purgeChunk;
        set => Interlocked.Exchange(ref _purgeChunk, value < 0 ? 0 : value);
    }

    /// <summary>Purges that merged something back so far; only grows. Lets an allocation tell
    /// whether free space can have grown since it last looked.</summary>
    private int PurgeGeneration => Interlocked.CompareExchange(ref _purges, 0, 0);

    /// <summary>Pages freed and not yet merged back by a purge.</summary>
    public int LazyPages => Interlocked.CompareExchange(ref _lazyPages, 0, 0);

    /// <summary>Pushes a freed, unmapped area on the lazy list; purges when over the threshold.</summary>
    private void QueueLazy(int area, int pages)
    {
        int[] next = _pool.Next;
        int head;
        do
        {
            head = _lazyHead;
            next[area] = head;
        }
        while (Interlocked.CompareExchange(ref _lazyHead, area, head) != head);
        int lazy = AddLazyPages(pages);
        if (lazy <= _lazyMaxPages) return;
        if (_purgeWanted != null)
        {
            _purgeWanted.Set(); // deferred: the purge thread takes it from here
        }
        else if (_purgeGate.TryEnter())
        {
            // Threshold purge: only if none runs; the running one will take this area too.
            PurgeHoldingGate();
            _purgeGate.Exit();
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
        while (true)
        {
            _purgeWanted.WaitOne();
            if (_stopping) return;
            // A threshold purge: if an allocation's purge runs already, it takes the backlog.
            if (LazyPages > _lazyMaxPages && _purgeGate.TryEnter())
            {
                PurgeHoldingGate();
                _purgeGate.Exit();
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

    private int AddLazyPages(int delta)
    {
        int old;
        do
        {
            old = _lazyPages;
        }
        while (Interlocked.CompareExchange(ref _lazyPages, old + delta, old) != old);
        return old + delta;
    }

    /// <summary>
    /// Purges the lazy backlog now, waiting first for a purge that is already running
    /// (Linux purge_vmap_area_lazy). Returns when every area freed before the call is back in
    /// free space.
    /// </summary>
    public void Purge()
    {
        if (!_started) return;
        PurgeAndWait();
    }

    /// <summary>Purges after any running purge; returns true when it merged anything back.</summary>
    private bool PurgeAndWait()
    {
        _purgeGate.Enter();
        // A free that has left the busy tree but not yet reached the lazy list holds space no
        // purge can see; it is a few instructions and one unmap away, so wait for it rather
        // than report no memory for space that is about to come back.
        while (Interlocked.CompareExchange(ref _freesInFlight, 0, 0) != 0) Thread.Sleep(0);
        bool merged = PurgeHoldingGate();
        _purgeGate.Exit();
        return merged;
    }

    /// <summary>
    /// One purge. Caller holds the purge gate.
    /// <list type="number">
    /// <item>Take the whole lazy list in one atomic step.</item>
    /// <item>Walk it for the covering range and the page count (the records are ours now).</item>
    /// <item>Flush the covering range once, outside every lock.</item>
    /// <item>Merge the areas back in chunks of PurgeChunk, one critical section each, and only
    /// then subtract their pages from the lazy count.</item>
    /// </list>
    /// </summary>
    private bool PurgeHoldingGate()
    {
        if (Interlocked.Increment(ref _purgesRunning) != 1) _purgeOverlaps++;
        long t0 = _clock.Ticks;
        int list = Interlocked.Exchange(ref _lazyHead, Nil);
        if (list != Nil)
        {
            int[] start = _pool.Start;
            int[] size = _pool.Size;
            int[] next = _pool.Next;
            int areas = 0;
            int pages = 0;
            int low = int.MaxValue;
            int high = 0;
            for (int a = list; a != Nil; a = next[a])
            {
                int mapped = size[a] - _guard;
                areas++;
                pages += mapped;
                if (start[a] < low) low = start[a];
                if (start[a] + mapped > high) high = start[a] + mapped;
            }

            _mmu.FlushTlb(low, high - low);
            _flushes++;
            _flushedPages += high - low;

            int cursor = list;
            while (cursor != Nil)
            {
                int merged;
                lock (_treeLock)
                {
                    long c0 = _clock.Ticks;
                    cursor = MergeChunkLocked(cursor, _purgeChunk, out merged);
                    _treeCs.Record(_clock.Ticks - c0);
                }
                AddLazyPages(-merged);
            }

            Interlocked.Increment(ref _purges);
            _purgedAreas += areas;
            _purgedPages += pages;
            long took = _clock.Ticks - t0;
            if (took > _maxPurgeTicks) _maxPurgeTicks = took;
            Interlocked.Decrement(ref _purgesRunning);
            IPurgeObserver observer = PurgeObserver;
            if (observer != null) observer.OnPurge(areas, pages, AddressOf(low), AddressOf(high));
            return true;
        }
        Interlocked.Decrement(ref _purgesRunning);
        return false;
    }

    /// <summary>
    /// Merges up to <paramref name="chunk"/> areas (all when 0) of the purge list starting at
    /// <paramref name="cursor"/> back into free space; returns where the next chunk starts and
    /// the mapped pages merged. Caller holds the free-tree lock.
    /// </summary>
    private int MergeChunkLocked(int cursor, int chunk, out int mergedPages)
    {
        int[] next = _pool.Next;
        int[] size = _pool.Size;
        mergedPages = 0;
        // Invariant: the areas before cursor are merged; cursor and what follows are not.
        for (int k = 0; cursor != Nil && (chunk == 0 || k < chunk); k++)
        {
            int following = next[cursor];
            mergedPages += size[cursor] - _guard;
            _free.Release(cursor);
            cursor = following;
        }
        return cursor;
    }
}
