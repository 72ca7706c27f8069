using System.Text;

namespace Vmap;

// Observability: the counters (Stats), the vmallocinfo listing and the invariant checker.
public sealed partial class Allocator
{
    /// <summary>
    /// Copies every counter into <paramref name="s"/> without allocating (after the first call
    /// has created its meters). Consistent with itself: taken in one free-tree section.
    /// </summary>
    public void GetStats(Stats s)
    {
        if (!_started) return;
        long tps = _clock.TicksPerSecond;
        if (s.TreeLock == null)
        {
            s.TreeLock = new CsMeter("free-tree", tps, _config.CsBudgetMicros);
            s.ZoneLocks = new CsMeter("zones", tps, _config.CsBudgetMicros);
            s.DrainLock = new CsMeter("drain", tps, _config.CsBudgetMicros);
            s.AllLocks = new CsMeter("all", tps, _config.CsBudgetMicros);
        }
        lock (_treeLock)
        {
            long t0 = _clock.Ticks;
            s.Allocs = _allocs;
            s.Frees = _frees;
            for (int i = 0; i < 4; i++) s.Fits[i] = _fits[i];
            s.PreloadRefills = _preloadRefills;
            s.PreloadHits = _preloadHits;
            s.PreloadMisses = _preloadMisses;
            s.LiveAreas = _liveAreas;
            s.LivePages = _livePages;
            s.FreePages = _free.FreePages;
            s.LargestFreeBlock = _free.LargestBlock;
            s.FreeBlocks = _free.Tree.Count;
            s.PoolAvailable = _pool.Available;
            s.PoolCapacity = _pool.Capacity;
            _treeCs.Record(_clock.Ticks - t0);
            _treeCs.CopyTo(s.TreeLock);
        }
        s.FailNoSpace = _failNoSpace;
        s.FailNoRecords = _failNoRecords;
        s.FailInvalid = _failInvalid;
        s.FailNotAnArea = _failNotAnArea;
        s.LazyPages = LazyPages;
        s.LazyMaxPages = _lazyMaxPages;
        s.SpanPages = _spanPages;
        s.Purges = _purges;
        s.PurgedAreas = _purgedAreas;
        s.PurgedPages = _purgedPages;
        s.Flushes = _flushes;
        s.FlushedPages = _flushedPages;
        s.PurgeOverlaps = _purgeOverlaps;
        s.MaxPurgeTicks = _maxPurgeTicks;
        s.TicksPerSecond = tps;
        s.CachedPages = 0;
        s.GuardPages = s.LiveAreas * _guard;
        s.ZoneLocks.Reset();
        s.DrainLock.Reset();
        s.AllLocks.Reset();
        s.AllLocks.Add(s.TreeLock);
    }

    /// <summary>Forgets the critical-section timings recorded so far (to measure one phase alone).</summary>
    public void ResetLockStats()
    {
        if (!_started) return;
        lock (_treeLock)
        {
            _treeCs.Reset();
        }
        _maxPurgeTicks = 0;
    }

    /// <summary>
    /// The busy areas in address order, one line each (Linux /proc/vmallocinfo):
    /// <c>0x&lt;start&gt;-0x&lt;end&gt; &lt;bytes&gt; pages=&lt;n&gt; core=&lt;c&gt; tag=&lt;t&gt;</c>,
    /// end exclusive and without the guard pages. Allocates: a diagnostic, not a hot path.
    /// </summary>
    public string VmallocInfo()
    {
        if (!_started) return "";
        var sb = new StringBuilder();
        lock (_treeLock)
        {
            long t0 = _clock.Ticks;
            for (int a = _busy.First(); a != Nil; a = _busy.NextOf(a))
            {
                int pages = _pool.Size[a] - _guard;
                ulong start = AddressOf(_pool.Start[a]);
                ulong end = AddressOf(_pool.Start[a] + pages);
                sb.Append("0x").Append(Hex.Format(start)).Append("-0x").Append(Hex.Format(end))
                  .Append(' ').Append((end - start).ToString())
                  .Append(" pages=").Append(pages.ToString())
                  .Append(" core=").Append(_pool.Prev[a].ToString())
                  .Append(" tag=").Append(_pool.Aux[a].ToString())
                  .Append('\n');
            }
            _treeCs.Record(_clock.Ticks - t0);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Checks every invariant; returns null when all hold, else the first violation. Call it at
    /// a quiescent point (no operation in flight on any core):
    /// <list type="bullet">
    /// <item>both trees are valid red-black trees; free-tree maxima are right;</item>
    /// <item>the free list is sorted, coalesced and holds exactly the tree's blocks;</item>
    /// <item>free, busy and lazy ranges do not overlap and tile the span exactly;</item>
    /// <item>every record is in exactly one place: a tree, the lazy list, a preload slot or the pool;</item>
    /// <item>the counters agree with the structures.</item>
    /// </list>
    /// Allocates and takes O(n log n): for tests and the soak run, not for production paths.
    /// </summary>
    public string Validate()
    {
        if (!_started) return null;
        lock (_treeLock)
        {
            return ValidateLocked();
        }
    }

    private string ValidateLocked()
    {
        int cap = _pool.Capacity;
        var seen = new bool[cap + 1];
        string p = _free.Tree.Validate(seen);
        if (p != null) return "free tree: " + p;
        p = _busy.Validate(seen);
        if (p != null) return "busy tree: " + p;
        p = CheckFreeList();
        if (p != null) return p;
        p = CheckTagsAndStates();
        if (p != null) return p;

        // Collect every range that holds pages: free, busy, lazy.
        int[] starts = new int[cap];
        int[] sizes = new int[cap];
        int n = 0;
        for (int b = _free.ListHead; b != Nil; b = _pool.Next[b]) Collect(b, starts, sizes, ref n);
        int livePages = 0;
        for (int a = _busy.First(); a != Nil; a = _busy.NextOf(a))
        {
            Collect(a, starts, sizes, ref n);
            livePages += _pool.Size[a] - _guard;
        }
        int lazyPages = 0;
        for (int a = _lazyHead; a != Nil; a = _pool.Next[a])
        {
            if (seen[a]) return "lazy area " + a + " is also elsewhere (or the lazy list loops)";
            seen[a] = true;
            Collect(a, starts, sizes, ref n);
            lazyPages += _pool.Size[a] - _guard;
        }
        p = CheckTiling(starts, sizes, n);
        if (p != null) return p;

        for (int c = 0; c < _preload.Length; c++)
        {
            int r = _preload[c];
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
            if (!seen[r] && !pooled[r]) return "record " + r + " is lost (in no tree, list, slot or pool)";
        }

        if (_busy.Count != _liveAreas) return "live areas: counter " + _liveAreas + ", busy tree " + _busy.Count;
        if (livePages != _livePages) return "live pages: counter " + _livePages + ", busy tree " + livePages;
        if (lazyPages != LazyPages) return "lazy pages: counter " + LazyPages + ", lazy list " + lazyPages;
        return null;
    }

    private string CheckTagsAndStates()
    {
        int[] tags = _free.Tags;
        for (int b = _free.ListHead; b != Nil; b = _pool.Next[b])
        {
            if (!_pool.IsFree(b) || _pool.IsBusy(b)) return "free block " + b + " does not carry the free state";
            if (tags[_pool.Start[b]] != b) return "free block " + b + " is not tagged at its first page " + _pool.Start[b];
            if (tags[_pool.Start[b] + _pool.Size[b] - 1] != b) return "free block " + b + " is not tagged at its last page";
        }
        for (int a = _busy.First(); a != Nil; a = _busy.NextOf(a))
        {
            if (!_pool.IsBusy(a) || _pool.IsFree(a)) return "busy area " + a + " does not carry the busy state";
            if (tags[_pool.Start[a]] != a) return "busy area " + a + " is not tagged at its first page " + _pool.Start[a];
        }
        for (int a = _lazyHead; a != Nil; a = _pool.Next[a])
        {
            if ((_pool.ParentColor[a] & AreaPool.StateMask) != 0) return "lazy area " + a + " still carries a free or busy state";
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
        for (int b = _free.ListHead; b != Nil; b = _pool.Next[b])
        {
            if (++count > _free.Tree.Count) return "free list is longer than the free tree";
            if (_pool.Prev[b] != prev) return "free block " + b + " has a wrong back link";
            if (_free.Tree.Find(_pool.Start[b]) != b) return "free block " + b + " is on the list but not in the tree";
            if (_pool.Size[b] < 1) return "free block " + b + " is empty";
            if (_pool.Start[b] <= prevEnd) return "free block " + b + " touches or overlaps the block before it (not coalesced)";
            prevEnd = _pool.Start[b] + _pool.Size[b];
            pages += _pool.Size[b];
            prev = b;
        }
        if (count != _free.Tree.Count) return "free list holds " + count + " blocks, the tree " + _free.Tree.Count;
        if (pages != _free.FreePages) return "free pages: counter " + _free.FreePages + ", free list " + pages;
        return null;
    }

    /// <summary>Sorts the ranges by start (heap sort: no BCL sort on the device) and checks they tile the span.</summary>
    private string CheckTiling(int[] starts, int[] sizes, int n)
    {
        for (int i = n / 2 - 1; i >= 0; i--) SiftDown(starts, sizes, i, n);
        for (int end = n - 1; end > 0; end--)
        {
            Swap(starts, sizes, 0, end);
            SiftDown(starts, sizes, 0, end);
        }
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
