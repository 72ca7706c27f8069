using System.Threading;
using Vmap.Hal;

namespace Vmap;

/// <summary>
/// The free-tree side of the allocator: the record pool, the free space and the preload slots,
/// under the free-tree lock (<see cref="Locks.Tree"/>). Carves ranges out of free space
/// (Linux __alloc_vmap_area) and merges ranges back in sections of <see cref="Chunk"/> areas.
/// </summary>
internal sealed class Carver
{
    private const int Nil = AreaPool.Nil;

    public readonly object Lock;
    public readonly CsMeter Cs;
    public readonly AreaPool Pool;
    public readonly FreeSpace Space;
    private readonly AreaTree _tree;
    private readonly IClock _clock;
    private readonly int[] _preload;    // per core: a spare record for the no-edge split
    private readonly int _spanPages;
    private readonly int _spanPageLow;  // the span's first absolute page number, low 30 bits (for alignment)
    private readonly int _guard;

    /// <summary>Areas merged per free-tree section (<see cref="VmapConfig.PurgeChunk"/>; 0: a whole list at once). Written by the allocator's setter.</summary>
    public int Chunk;

    /// <summary>
    /// Sections that gave space back so far: merges into the free tree, returns to a cache,
    /// drains. Only grows (Interlocked). An allocation that found no space compares it before
    /// and after a purge or a drain to tell whether space can have grown.
    /// </summary>
    public int Returns;

    // Counters: free-tree lock.
    public readonly int[] Fits = new int[4];
    public int PreloadRefills;
    public int PreloadHits;
    public int PreloadMisses;

    public Carver(object treeLock, CsMeter meter, VmapConfig c, IClock clock, int spanPageLow)
    {
        Lock = treeLock;
        Cs = meter;
        _clock = clock;
        _spanPages = c.SpanPages;
        _spanPageLow = spanPageLow;
        _guard = c.GuardPages;
        _preload = new int[c.Cores];
        Chunk = c.PurgeChunk;
        Pool = new AreaPool(c.PoolCapacity());
        Space = new FreeSpace(Pool, _spanPages);
        _tree = Space.Tree;
        for (int i = 0; i < _preload.Length; i++) _preload[i] = Pool.TakeLocked();
        int whole = Pool.TakeLocked();
        Pool.Start[whole] = 0;
        Pool.Size[whole] = _spanPages;
        Space.AddInitial(whole);
    }

    /// <summary>The preload slots, for the invariant checker (free-tree lock).</summary>
    public int[] PreloadSlots => _preload;

    /// <summary>
    /// An allocation's slow path: carves <paramref name="pages"/> pages plus the guard and
    /// enters the area in zone <paramref name="z"/>'s busy list in ONE free-tree section (one
    /// per step of an aligned search in a fragmented span). With zones (<paramref name="caches"/>
    /// not null) the zone lock nests inside, and the same section refills the zone's cache with
    /// up to <paramref name="extras"/> more areas of the size, so the carved space is never
    /// outside both trees and the cache; with zones off the zone's lock is this one.
    /// </summary>
    public Status CarveArea(Zone z, ZoneCaches caches, int pages, int alignPages, int tag, int core, int extras, out int page)
    {
        int reserve = pages + _guard;
        Status s;
        int from = 0;
        do
        {
            lock (Lock)
            {
                long t0 = _clock.Ticks;
                int w0 = _tree.Work;
                int zoneWork = 0;
                s = CarveLocked(reserve, alignPages, core, ref from, out int area, out page);
                if (s == Status.Ok)
                {
                    if (caches == null)
                    {
                        z.EnterBusyLocked(area, page, reserve, tag);
                        zoneWork = 1;
                    }
                    else
                    {
                        zoneWork = caches.EnterAndRefillLocked(z, area, page, pages, tag, core, extras);
                    }
                }
                Cs.Record(_clock.Ticks - t0, _tree.Work - w0 + zoneWork);
            }
        }
        while (from >= 0);
        return s;
    }

    /// <summary>
    /// Finds the lowest fit for <paramref name="reserve"/> pages (guard included) at or above
    /// page <paramref name="from"/> and carves it out of free space. Secures every record it
    /// needs before changing anything. Returns the record that now holds the range. Caller
    /// holds the free-tree lock.
    /// <para>An aligned search runs in bounded steps (<see cref="FreeSpace.FindLowestFit"/>):
    /// when this step stopped short, the result is NoSpace and <paramref name="from"/> is where
    /// the caller's next section goes on; otherwise <paramref name="from"/> is -1.</para>
    /// </summary>
    public Status CarveLocked(int reserve, int alignPages, int core, ref int from, out int area, out int start)
    {
        area = Nil;
        start = -1;
        if (reserve > _spanPages)
        {
            from = -1;
            return Status.NoSpace;
        }
        int alignOffset = _spanPageLow & (alignPages - 1);
        int block = Space.FindLowestFit(reserve, alignPages, alignOffset, from, out from);
        if (block == Nil) return Status.NoSpace;
        int at = FreeSpace.AlignUp(Pool.Start[block], alignPages, alignOffset);
        FitType fit = Space.Classify(block, at, reserve);

        int record = block; // a full fit turns the free block's own record into the area
        int spare = Nil;
        if (fit != FitType.Full)
        {
            record = Pool.TakeLocked();
            if (record == Nil) return Status.NoRecords;
        }
        if (fit == FitType.NoEdge)
        {
            // The core's preload slot, refilled at the end of every section that used it. Empty
            // only when the pool was (or a take was refused by fault injection): then take a
            // record from the pool here, which never waits (Linux falls back to a GFP_NOWAIT
            // allocation inside the lock the same way, seed 001).
            spare = _preload[core];
            if (spare != Nil)
            {
                _preload[core] = Nil;
                PreloadHits++;
            }
            else
            {
                PreloadMisses++;
                spare = Pool.TakeLocked();
                if (spare == Nil)
                {
                    Pool.GiveLocked(record);
                    return Status.NoRecords;
                }
            }
        }
        Space.Carve(block, fit, at, reserve, spare);
        Pool.Start[record] = at;
        Pool.Size[record] = reserve;
        Fits[(int)fit]++;
        if (fit == FitType.NoEdge)
        {
            // Linux ne_fit_preload refills the slot before taking the lock because its
            // allocation may sleep; a take from this pool never waits, so the refill is part of
            // this section (O(1)) and costs no second lock round trip.
            spare = Pool.TakeLocked();
            _preload[core] = spare;
            if (spare != Nil) PreloadRefills++;
        }
        area = record;
        start = at;
        return Status.Ok;
    }

    /// <summary>
    /// Merges up to <see cref="Chunk"/> areas of the list at <paramref name="cursor"/> (linked
    /// through Next) into free space in one free-tree section, and returns the first area not
    /// merged (nil at the end). For lazy areas, each one's mapped pages are added to
    /// <paramref name="lazyDelta"/> at its zone, for the caller to take off the lazy counts
    /// (null: not lazy). Counts the progress in <see cref="Returns"/> after the section.
    /// </summary>
    public int MergeSection(int cursor, int[] lazyDelta)
    {
        int[] next = Pool.Next;
        int[] owner = Pool.Owner;
        int[] size = Pool.Size;
        int chunk = Chunk;
        lock (Lock)
        {
            long t0 = _clock.Ticks;
            int w0 = _tree.Work;
            // Invariant: the areas before cursor are merged; cursor and what follows are not.
            for (int k = 0; cursor != Nil && (chunk == 0 || k < chunk); k++)
            {
                int following = next[cursor];
                if (lazyDelta != null) lazyDelta[owner[cursor]] += size[cursor] - _guard;
                Space.Release(cursor);
                cursor = following;
            }
            Cs.Record(_clock.Ticks - t0, _tree.Work - w0);
        }
        // Space is back: allocations that found none may retry (counted before the caller drops
        // the lazy counts, so none can see "nothing lazy" without seeing this progress).
        Interlocked.Increment(ref Returns);
        return cursor;
    }

    /// <summary>Merges a whole list of areas that are not lazy (a drain or a decay), <see cref="Chunk"/> per section.</summary>
    public void MergeList(int list)
    {
        while (list != Nil) list = MergeSection(list, null);
    }
}
