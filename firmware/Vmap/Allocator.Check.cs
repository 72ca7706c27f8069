using System.Text;

namespace Vmap;

// Observability: the counters (Stats), the vmallocinfo listing and the invariant checker.
public sealed partial class Allocator
{
    /// <summary>
    /// Copies every counter into <paramref name="s"/> without allocating (after the first call
    /// has created its meters): one free-tree section, then one section per zone.
    /// </summary>
    public void GetStats(Stats s)
    {
        if (s == null) throw new System.ArgumentNullException("s");
        if (!_started) return;
        long tps = _clock.TicksPerSecond;
        if (s.TreeLock == null)
        {
            s.TreeLock = new CsMeter("free-tree", tps, _config.CsBudgetMicros);
            s.ZoneLocks = new CsMeter("zones", tps, _config.CsBudgetMicros);
            s.DrainLock = new CsMeter("drain", tps, _config.CsBudgetMicros);
            s.AllLocks = new CsMeter("all", tps, _config.CsBudgetMicros);
        }
        s.Allocs = 0;
        s.Frees = 0;
        s.LiveAreas = 0;
        s.LivePages = 0;
        s.CachedAreas = 0;
        s.CachedPages = 0;
        s.ZoneHits = 0;
        s.ZoneRefills = 0;
        s.DecayedAreas = 0;
        s.ZoneLocks.Reset();
        if (_caches != null)
        {
            for (int i = 0; i < _zones.Length; i++)
            {
                Zone z = _zones[i];
                lock (z.Lock)
                {
                    long t0 = _clock.Ticks;
                    AddZoneCounters(s, z);
                    z.Cs.Record(_clock.Ticks - t0, 0);
                    s.ZoneLocks.Add(z.Cs);
                }
            }
        }
        lock (_locks.Tree)
        {
            long t0 = _clock.Ticks;
            if (_caches == null) AddZoneCounters(s, _zones[0]);
            for (int i = 0; i < 4; i++) s.Fits[i] = _carver.Fits[i];
            s.PreloadRefills = _carver.PreloadRefills;
            s.PreloadHits = _carver.PreloadHits;
            s.PreloadMisses = _carver.PreloadMisses;
            s.FreePages = _carver.Space.FreePages;
            s.LargestFreeBlock = _carver.Space.LargestBlock;
            s.FreeBlocks = _carver.Space.Tree.Count;
            s.PoolAvailable = _pool.Available;
            s.PoolCapacity = _pool.Capacity;
            _carver.Cs.Record(_clock.Ticks - t0, 0);
            _carver.Cs.CopyTo(s.TreeLock);
        }
        lock (_locks.Drain)
        {
            long t0 = _clock.Ticks;
            s.Drains = _mask.Drains;
            s.DrainRequestsSent = _mask.RequestsSent;
            s.DrainRequestsSaved = _mask.RequestsSaved;
            _mask.Cs.Record(_clock.Ticks - t0, 0);
            _mask.Cs.CopyTo(s.DrainLock);
        }
        s.FailNoSpace = _failNoSpace;
        s.FailNoRecords = _failNoRecords;
        s.FailInvalid = _failInvalid;
        s.FailNotAnArea = _failNotAnArea;
        s.FailDrainTimeout = _failDrainTimeout;
        s.FailFlush = _failFlush;
        s.FlushFailures = _lazy.FlushFailures;
        s.FailMap = _failMap;
        s.FailUnmap = _failUnmap;
        s.InjectedPoolFaults = _pool.InjectedFaults;
        s.LazyPages = _lazy.LazyPages;
        s.LazyMaxPages = _lazy.Threshold;
        s.SpanPages = _spanPages;
        s.Purges = 0;
        s.PurgedAreas = 0;
        s.PurgedPages = 0;
        s.PurgedToCaches = 0;
        s.Flushes = 0;
        s.FlushedPages = 0;
        s.MaxPurgeTicks = 0;
        AddPurgeCounters(s, _lazy.Purged);
        if (_caches != null)
        {
            for (int i = 0; i < _zones.Length; i++) AddPurgeCounters(s, _zones[i].Purged);
        }
        s.PurgeOverlaps = _lazy.Overlaps;
        s.TicksPerSecond = tps;
        s.DrainMask = _mask.Bits;
        s.GuardPages = s.LiveAreas * _guard;
        s.AllLocks.Reset();
        s.AllLocks.Add(s.TreeLock);
        s.AllLocks.Add(s.ZoneLocks);
        s.AllLocks.Add(s.DrainLock);
    }

    private static void AddZoneCounters(Stats s, Zone z)
    {
        s.Allocs += z.Allocs;
        s.Frees += z.Frees;
        s.LiveAreas += z.Allocs - z.Frees;
        s.LivePages += z.LivePages;
        s.CachedAreas += z.CachedAreas;
        s.CachedPages += z.CachedPages;
        s.ZoneHits += z.Hits;
        s.ZoneRefills += z.Refills;
        s.DecayedAreas += z.Decayed;
    }

    private static void AddPurgeCounters(Stats s, PurgeCounters c)
    {
        s.Purges += c.Purges;
        s.PurgedAreas += c.Areas;
        s.PurgedPages += c.Pages;
        s.PurgedToCaches += c.ToCaches;
        s.Flushes += c.Flushes;
        s.FlushedPages += c.FlushedPages;
        if (c.MaxTicks > s.MaxPurgeTicks) s.MaxPurgeTicks = c.MaxTicks;
    }

    /// <summary>Forgets the critical-section timings recorded so far (to measure one phase alone).</summary>
    public void ResetLockStats()
    {
        if (!_started) return;
        lock (_locks.Tree)
        {
            _carver.Cs.Reset();
        }
        if (_caches != null)
        {
            for (int i = 0; i < _zones.Length; i++)
            {
                lock (_zones[i].Lock) _zones[i].Cs.Reset();
            }
        }
        lock (_locks.Drain) _mask.Cs.Reset();
        _lazy.Purged.MaxTicks = 0;
        for (int i = 0; i < _zones.Length; i++) _zones[i].Purged.MaxTicks = 0;
    }

    /// <summary>
    /// The busy areas in address order, one line each (Linux /proc/vmallocinfo):
    /// <c>0x&lt;start&gt;-0x&lt;end&gt; &lt;bytes&gt; pages=&lt;n&gt; core=&lt;c&gt; tag=&lt;t&gt;</c>,
    /// end exclusive and without the guard pages; core is the zone that holds the area (the
    /// allocating core with zones on, 0 with zones off). Allocates: a diagnostic, not a hot path.
    /// </summary>
    public string VmallocInfo()
    {
        if (!_started) return "";
        int[] starts = new int[_pool.Capacity];
        int[] handles = new int[_pool.Capacity];
        int n = 0;
        for (int i = 0; i < _zones.Length; i++)
        {
            Zone z = _zones[i];
            lock (z.Lock)
            {
                long t0 = _clock.Ticks;
                int first = n;
                for (int a = z.Busy.Head; a != Nil; a = z.Busy.NextOf(a))
                {
                    starts[n] = _pool.Start[a];
                    handles[n] = a;
                    n++;
                }
                z.Cs.Record(_clock.Ticks - t0, n - first); // a unit per area listed: a diagnostic's section is metered too
            }
        }
        HeapSort(starts, handles, n);
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            int a = handles[i];
            int pages = _pool.Size[a] - _guard;
            ulong start = AddressOf(starts[i]);
            ulong end = AddressOf(starts[i] + pages);
            sb.Append("0x").Append(Hex.Format(start)).Append("-0x").Append(Hex.Format(end))
              .Append(' ').Append((end - start).ToString())
              .Append(" pages=").Append(pages.ToString())
              .Append(" core=").Append(_pool.Owner[a].ToString())
              .Append(" tag=").Append(_pool.CallerTag[a].ToString())
              .Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// Checks every invariant; returns null when all hold, else the first violation. Call it at
    /// a quiescent point (no operation in flight on any core):
    /// <list type="bullet">
    /// <item>all trees are valid red-black trees; free-tree maxima are right;</item>
    /// <item>the free list is sorted, coalesced and holds exactly the tree's blocks;</item>
    /// <item>boundary tags and record states match every free block and busy area;</item>
    /// <item>free, busy, lazy and cached ranges do not overlap and tile the span exactly
    /// (free + busy + lazy + cached + guard = span);</item>
    /// <item>every record is in exactly one place: a tree, a lazy list, a cache, a preload
    /// slot or the pool;</item>
    /// <item>the counters agree with the structures, and the drain mask has a core's bit set
    /// exactly when its cache holds something.</item>
    /// </list>
    /// Allocates and takes O(n log n): for tests and the soak run, not for production paths.
    /// </summary>
    public string Validate()
    {
        if (!_started) return null;
        lock (_locks.Tree) return ValidateZonesLocked(0);
    }

    // Takes the free-tree lock, then every zone lock, in the allocator's lock order (a cache
    // miss takes its zone lock inside the free-tree lock; nothing holds two zone locks), and
    // checks with all of them held. With zones off the one zone's lock is the free-tree lock,
    // taken again (monitors are reentrant).
    private string ValidateZonesLocked(int i)
    {
        if (i == _zones.Length) return ValidateLocked();
        lock (_zones[i].Lock) return ValidateZonesLocked(i + 1);
    }

    private string ValidateLocked()
    {
        int cap = _pool.Capacity;
        var seen = new bool[cap + 1];
        string p = _carver.Space.Tree.Validate(seen);
        if (p != null) return "free tree: " + p;
        for (int i = 0; i < _zones.Length; i++)
        {
            p = _zones[i].Busy.Validate(seen);
            if (p != null) return "busy list of zone " + i + ": " + p;
        }
        p = CheckFreeList();
        if (p != null) return p;
        p = CheckTagsAndStates();
        if (p != null) return p;

        // Collect every range that holds pages: free, busy, lazy, cached.
        int[] starts = new int[cap];
        int[] sizes = new int[cap];
        int n = 0;
        for (int b = _carver.Space.ListHead; b != Nil; b = _pool.Next[b]) Collect(b, starts, sizes, ref n);
        for (int i = 0; i < _zones.Length; i++)
        {
            Zone z = _zones[i];
            int livePages = 0;
            for (int a = z.Busy.Head; a != Nil; a = z.Busy.NextOf(a))
            {
                Collect(a, starts, sizes, ref n);
                livePages += _pool.Size[a] - _guard;
                if (_pool.Owner[a] != i) return "busy area " + a + " of zone " + i + " names zone " + _pool.Owner[a];
            }
            if (z.Busy.Count != z.Allocs - z.Frees) return "zone " + i + " live areas: allocations less frees " + (z.Allocs - z.Frees) + ", busy list " + z.Busy.Count;
            if (livePages != z.LivePages) return "zone " + i + " live pages: counter " + z.LivePages + ", busy list " + livePages;

            int lazyPages = 0;
            for (int a = z.LazyHead; a != Nil; a = _pool.Next[a])
            {
                if (seen[a]) return "lazy area " + a + " is also elsewhere (or the lazy list loops)";
                seen[a] = true;
                Collect(a, starts, sizes, ref n);
                lazyPages += _pool.Size[a] - _guard;
            }
            if (lazyPages != z.LazyPages) return "zone " + i + " lazy pages: counter " + z.LazyPages + ", lazy list " + lazyPages;

            p = CheckCache(z, seen, starts, sizes, ref n);
            if (p != null) return p;
        }
        p = CheckTiling(starts, sizes, n);
        if (p != null) return p;

        for (int c = 0; c < _carver.PreloadSlots.Length; c++)
        {
            int r = _carver.PreloadSlots[c];
            if (r == Nil) continue;
            if (seen[r]) return "preload record " + r + " of core " + c + " is also elsewhere";
            seen[r] = true;
        }
        var pooled = new bool[cap + 1];
        int inPool = _pool.MarkPooled(pooled);
        if (inPool != _pool.Available) return "pool counts " + _pool.Available + " records but holds " + inPool;
        for (int r = 1; r <= cap; r++)
        {
            if (seen[r] && pooled[r]) return "record " + r + " is in use and in the pool";
            if (!seen[r] && !pooled[r]) return "record " + r + " is lost (in no tree, list, cache, slot or pool)";
        }
        return null;
    }

    private string CheckCache(Zone z, bool[] seen, int[] starts, int[] sizes, ref int n)
    {
        int areas = 0;
        int pages = 0;
        int classLimit = _caches != null ? _caches.ClassLimit : 0;
        for (int cls = 1; cls <= classLimit; cls++)
        {
            int count = 0;
            for (int a = z.CacheHead[cls]; a != Nil; a = _pool.Next[a])
            {
                if (seen[a]) return "cached area " + a + " of zone " + z.Index + " is also elsewhere (or its class list loops)";
                seen[a] = true;
                if (_pool.Size[a] != cls + _guard) return "cached area " + a + " of zone " + z.Index + " has " + _pool.Size[a] + " pages in class " + cls;
                if ((_pool.ParentColor[a] & AreaPool.StateMask) != 0) return "cached area " + a + " carries a free or busy state";
                Collect(a, starts, sizes, ref n);
                count++;
                pages += _pool.Size[a];
            }
            if (count != z.CacheCount[cls]) return "zone " + z.Index + " class " + cls + ": counter " + z.CacheCount[cls] + ", list " + count;
            if (count > z.CacheCap[cls]) return "zone " + z.Index + " class " + cls + " holds " + count + " areas, over the cap";
            if (z.CacheLow[cls] < 0 || z.CacheLow[cls] > count) return "zone " + z.Index + " class " + cls + ": idle mark " + z.CacheLow[cls] + " outside 0.." + count;
            areas += count;
        }
        if (areas != z.CachedAreas || pages != z.CachedPages) return "zone " + z.Index + " cache counters disagree with its lists";
        if (_caches == null) return null;
        if (areas > _caches.ZoneAreaCap) return "zone " + z.Index + " caches " + areas + " areas, over its share of the pool (" + _caches.ZoneAreaCap + ")";
        if (pages > _caches.ZonePageCap) return "zone " + z.Index + " caches " + pages + " pages, over its cap (" + _caches.ZonePageCap + ")";
        bool bit = (_mask.Bits & (1 << z.Index)) != 0;
        if (bit != (areas > 0)) return "drain mask bit of core " + z.Index + " is " + (bit ? "set" : "clear") + " but its cache holds " + areas + " areas";
        return null;
    }

    private string CheckTagsAndStates()
    {
        for (int b = _carver.Space.ListHead; b != Nil; b = _pool.Next[b])
        {
            if (!_pool.IsFree(b) || _pool.IsBusy(b)) return "free block " + b + " does not carry the free state";
            if (_carver.Space.Tag(_pool.Start[b]) != b) return "free block " + b + " is not tagged at its first page " + _pool.Start[b];
            if (_carver.Space.Tag(_pool.Start[b] + _pool.Size[b] - 1) != b) return "free block " + b + " is not tagged at its last page";
        }
        for (int i = 0; i < _zones.Length; i++)
        {
            for (int a = _zones[i].Busy.Head; a != Nil; a = _zones[i].Busy.NextOf(a))
            {
                if (!_pool.IsBusy(a) || _pool.IsFree(a)) return "busy area " + a + " does not carry the busy state";
                if (_carver.Space.Tag(_pool.Start[a]) != a) return "busy area " + a + " is not tagged at its first page " + _pool.Start[a];
            }
            for (int a = _zones[i].LazyHead; a != Nil; a = _pool.Next[a])
            {
                if ((_pool.ParentColor[a] & AreaPool.StateMask) != 0) return "lazy area " + a + " still carries a free or busy state";
            }
        }
        return null;
    }

    private void Collect(int a, int[] starts, int[] sizes, ref int n)
    {
        starts[n] = _pool.Start[a];
        sizes[n] = _pool.Size[a];
        n++;
    }

    private string CheckFreeList()
    {
        int count = 0;
        int pages = 0;
        int prev = Nil;
        int prevEnd = -1;
        for (int b = _carver.Space.ListHead; b != Nil; b = _pool.Next[b])
        {
            if (++count > _carver.Space.Tree.Count) return "free list is longer than the free tree";
            if (_pool.Prev[b] != prev) return "free block " + b + " has a wrong back link";
            if (_carver.Space.Tree.Find(_pool.Start[b]) != b) return "free block " + b + " is on the list but not in the tree";
            if (_pool.Size[b] < 1) return "free block " + b + " is empty";
            if (_pool.Start[b] <= prevEnd) return "free block " + b + " touches or overlaps the block before it (not coalesced)";
            prevEnd = _pool.Start[b] + _pool.Size[b];
            pages += _pool.Size[b];
            prev = b;
        }
        if (count != _carver.Space.Tree.Count) return "free list holds " + count + " blocks, the tree " + _carver.Space.Tree.Count;
        if (pages != _carver.Space.FreePages) return "free pages: counter " + _carver.Space.FreePages + ", free list " + pages;
        return null;
    }

    /// <summary>Sorts the ranges by start (heap sort: no BCL sort on the device) and checks they tile the span.</summary>
    private string CheckTiling(int[] starts, int[] sizes, int n)
    {
        HeapSort(starts, sizes, n);
        long expected = 0;
        for (int i = 0; i < n; i++)
        {
            if (starts[i] < expected) return "ranges overlap at page " + starts[i];
            if (starts[i] > expected) return "pages " + expected + " to " + (starts[i] - 1) + " are lost (in no free, busy or lazy range)";
            expected = (long)starts[i] + sizes[i];
        }
        if (expected != _spanPages) return "pages from " + expected + " to the span's end (" + _spanPages + ") are lost";
        return null;
    }

    private static void HeapSort(int[] keys, int[] vals, int n)
    {
        for (int i = n / 2 - 1; i >= 0; i--) SiftDown(keys, vals, i, n);
        for (int end = n - 1; end > 0; end--)
        {
            Swap(keys, vals, 0, end);
            SiftDown(keys, vals, 0, end);
        }
    }

    private static void SiftDown(int[] keys, int[] vals, int i, int n)
    {
        while (true)
        {
            int big = i;
            int l = 2 * i + 1;
            int r = l + 1;
            if (l < n && keys[l] > keys[big]) big = l;
            if (r < n && keys[r] > keys[big]) big = r;
            if (big == i) return;
            Swap(keys, vals, i, big);
            i = big;
        }
    }

    private static void Swap(int[] keys, int[] vals, int i, int j)
    {
        int k = keys[i];
        keys[i] = keys[j];
        keys[j] = k;
        int v = vals[i];
        vals[i] = vals[j];
        vals[j] = v;
    }
}
