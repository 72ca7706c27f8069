namespace Vmap;

/// <summary>
/// What the purges of one purger have done: the global purge (under the purge gate) or one
/// zone's own purges (under its purge flag). Each instance has one writer at a time; the
/// statistics add them up.
/// </summary>
internal sealed class PurgeCounters
{
    public int Purges;
    public int Areas;
    public int Pages;
    public int ToCaches;       // lazy areas handed back to their zone's cache
    public int Flushes;
    public long FlushedPages;
    public long MaxTicks;      // longest purge, in clock ticks

    // The batch being purged, or the last one (for the purge observer).
    public int LastAreas;
    public int LastPages;
    public int LastLow;        // first page of the covering range
    public int LastHigh;       // page after the covering range

    /// <summary>Counts a purge that took <paramref name="ticks"/> from taking its batch to its last merge or decay.</summary>
    public void Took(long ticks)
    {
        if (ticks > MaxTicks) MaxTicks = ticks;
    }

    /// <summary>Starts describing a new batch: empty, with an empty covering range.</summary>
    public void StartBatch()
    {
        LastAreas = 0;
        LastPages = 0;
        LastLow = int.MaxValue;
        LastHigh = 0;
    }
}
