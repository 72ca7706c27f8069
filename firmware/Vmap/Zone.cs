namespace Vmap;

/// <summary>
/// A core zone (Linux 6.9's vmap node): what one logical core keeps for itself so that cores
/// stop meeting on the free-tree lock (seed 003).
/// <list type="bullet">
/// <item>A cache of free areas in size classes, one class per page count from 1 to the
///   board's SizeClassLimit, each a stack through <c>Next</c>. Cached areas are carved already
///   (with their guard pages) and belong to no tree.</item>
/// <item>The busy list of the areas this core handed out; a free finds the zone through the
///   area's record, whichever core frees it.</item>
/// <item>Its own lazy list (lock-free, like the global one of Linux) and lazy page count.</item>
/// </list>
/// With zones off there is one zone, whose lock is the free-tree lock and which caches nothing:
/// the plain global-lock allocator.
/// </summary>
internal sealed class Zone
{
    public Zone(int index, object lockObject, CsMeter meter, AreaPool pool, int classLimit, int[] classCaps)
    {
        CacheCap = classCaps;
        Index = index;
        Lock = lockObject;
        Cs = meter;
        Busy = new BusyList(pool);
        CacheHead = new int[classLimit + 1];
        CacheCount = new int[classLimit + 1];
        CacheLow = new int[classLimit + 1];
    }

    /// <summary>The core this zone belongs to (0 with zones off).</summary>
    public readonly int Index;

    /// <summary>The zone lock: protects the busy list, the cache and the counters below.</summary>
    public readonly object Lock;

    /// <summary>Timing of this lock's critical sections.</summary>
    public readonly CsMeter Cs;

    /// <summary>Live areas handed out by this core, by start page.</summary>
    public readonly BusyList Busy;

    /// <summary>Per size class (pages): the top of the stack of cached areas; zone lock.</summary>
    public readonly int[] CacheHead;

    /// <summary>Per size class: how many areas the stack holds; zone lock.</summary>
    public readonly int[] CacheCount;

    /// <summary>Per size class: the fewest areas the stack held since the last decay (its idle bottom); zone lock.</summary>
    public readonly int[] CacheLow;

    /// <summary>Per size class: most areas the stack may hold (more go back to the free tree); read-only, shared by the zones.</summary>
    public readonly int[] CacheCap;

    // Counters: zone lock.
    public int CachedAreas;
    public int CachedPages;   // reserved pages, guard pages included
    public int Allocs;
    public int Frees;
    public int LiveAreas;
    public int LivePages;     // guard pages excluded
    public int Hits;
    public int Refills;
    public int Drained;
    public int Decayed;       // areas decay gave back to the free tree
    public int CapRefusals;   // returns the zone-wide caps turned away since the last decay

    /// <summary>The zone's own purges (<see cref="Allocator"/> PurgeZone): written by the holder of <see cref="PurgeGate"/>.</summary>
    public readonly PurgeCounters Purged = new PurgeCounters();

    /// <summary>
    /// Held while this zone's own purge (<see cref="PurgeMode.Zones"/>) or a global purge's decay
    /// of its cache runs. A zone purge only tries it; a global purge waits for it, so an
    /// allocation that purges for space also waits for the zone purges already on their way.
    /// </summary>
    public readonly PurgeGate PurgeGate = new PurgeGate();

    // Interlocked only.
    public int LazyHead;      // lock-free stack of freed, unmapped areas through Next
    public int LazyPages;     // mapped pages on this zone's lazy list or in a running purge
    public int InTransit;     // operations holding this zone's space in no structure: a free between
                              // the busy list and the lazy list, a drain or decay between the cache
                              // and the free tree (a refill moves space under both locks: never)
}
