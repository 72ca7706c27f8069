namespace Vmap;

/// <summary>
/// A snapshot of the allocator's counters (the vmstat counters of the kernel), filled by
/// <c>Allocator.GetStats</c> without allocating, so a board can poll it in a loop.
/// </summary>
public sealed class Stats
{
    /// <summary>Successful allocations.</summary>
    public int Allocs;
    /// <summary>Successful frees.</summary>
    public int Frees;
    /// <summary>Allocations that failed with no fitting range after purging and draining.</summary>
    public int FailNoSpace;
    /// <summary>Allocations that failed because the record pool was empty after purging.</summary>
    public int FailNoRecords;
    /// <summary>Allocations that failed because a drain request was not answered in time.</summary>
    public int FailDrainTimeout;
    /// <summary>Allocations that failed because a purge's TLB flush failed.</summary>
    public int FailFlush;
    /// <summary>Purges whose TLB flush failed (their batch was queued again).</summary>
    public int FlushFailures;
    /// <summary>Allocations whose map failed (<c>Status.MapFailed</c>; the range went back lazily).</summary>
    public int FailMap;
    /// <summary>Frees whose unmap failed (<c>Status.UnmapFailed</c>; the area stayed allocated).</summary>
    public int FailUnmap;
    /// <summary>Pool records the fault injection refused (tests and soak only).</summary>
    public int InjectedPoolFaults;
    /// <summary>Calls refused for a bad size or alignment.</summary>
    public int FailInvalid;
    /// <summary>Frees of an address that is not a live area's start.</summary>
    public int FailNotAnArea;

    /// <summary>Allocations per fit type, indexed by <see cref="FitType"/>.</summary>
    public readonly int[] Fits = new int[4];

    /// <summary>Preload slots refilled from the pool before a critical section.</summary>
    public int PreloadRefills;
    /// <summary>No-edge splits served by the core's preload slot.</summary>
    public int PreloadHits;
    /// <summary>No-edge splits that found the slot empty (pool dry at refill time).</summary>
    public int PreloadMisses;

    /// <summary>Live (busy) areas and their pages (without guard pages).</summary>
    public int LiveAreas;
    /// <summary>Pages of live areas, guard pages excluded.</summary>
    public int LivePages;
    /// <summary>Pages in the free tree.</summary>
    public int FreePages;
    /// <summary>Blocks in the free tree (fragmentation: 1 when all free space is one range).</summary>
    public int FreeBlocks;
    /// <summary>The largest block in the free tree, in pages.</summary>
    public int LargestFreeBlock;
    /// <summary>Pages freed lazily and not yet purged (a free counts from the moment it takes its area off the busy list, before its unmap).</summary>
    public int LazyPages;
    /// <summary>Areas held in zone caches.</summary>
    public int CachedAreas;
    /// <summary>Pages held in zone caches (guard pages included).</summary>
    public int CachedPages;
    /// <summary>Guard pages reserved behind the live areas.</summary>
    public int GuardPages;
    /// <summary>Pages in the span.</summary>
    public int SpanPages;
    /// <summary>The current lazy threshold.</summary>
    public int LazyMaxPages;

    /// <summary>Purges that found something to purge.</summary>
    public int Purges;
    /// <summary>Areas merged back by purges.</summary>
    public int PurgedAreas;
    /// <summary>Pages merged back by purges.</summary>
    public int PurgedPages;
    /// <summary>Lazy areas a purge handed back to their zone's cache instead of the free tree.</summary>
    public int PurgedToCaches;
    /// <summary>TLB flushes issued.</summary>
    public int Flushes;
    /// <summary>Pages covered by those flushes.</summary>
    public long FlushedPages;
    /// <summary>Times a purge found another one running (must stay 0).</summary>
    public int PurgeOverlaps;
    /// <summary>The longest purge from taking the list to the last merge, in clock ticks (a sleeping section).</summary>
    public long MaxPurgeTicks;

    /// <summary>Drains run because space ran out while cores cached areas.</summary>
    public int Drains;
    /// <summary>Drain requests sent to other cores in the drain mask (a core drains its own cache itself).</summary>
    public int DrainRequestsSent;
    /// <summary>Drain requests not sent to other cores because they cached nothing.</summary>
    public int DrainRequestsSaved;
    /// <summary>The drain mask when the snapshot was taken: a bit per core whose cache holds something.</summary>
    public int DrainMask;
    /// <summary>Areas served from a zone cache without touching the free tree.</summary>
    public int ZoneHits;
    /// <summary>Zone cache refills from the free tree.</summary>
    public int ZoneRefills;
    /// <summary>Cached areas decay gave back to the free tree (idle beyond a refill's worth; drains not counted).</summary>
    public int DecayedAreas;

    /// <summary>Records left in the pool, and its capacity.</summary>
    public int PoolAvailable;
    /// <summary>The pool's capacity.</summary>
    public int PoolCapacity;

    /// <summary>Clock ticks per second, to turn the tick figures into time.</summary>
    public long TicksPerSecond;

    /// <summary>Critical sections of the free-tree lock (the global lock).</summary>
    public CsMeter TreeLock;
    /// <summary>Critical sections of every zone lock together.</summary>
    public CsMeter ZoneLocks;
    /// <summary>Critical sections of the drain lock.</summary>
    public CsMeter DrainLock;
    /// <summary>Every critical section of the allocator together.</summary>
    public CsMeter AllLocks;

    /// <summary>Failed allocations of either no-memory kind.</summary>
    public int NoMemory => FailNoSpace + FailNoRecords;
}
