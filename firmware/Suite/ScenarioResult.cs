namespace Vmap.Suite;

/// <summary>
/// What one scenario of the latency suite measured: its operations, its time on the board's
/// clock and every critical section the allocator ran meanwhile.
/// </summary>
public sealed class ScenarioResult
{
    /// <summary>The scenario's name (fix_size, ...).</summary>
    public string Name;
    /// <summary>Allocations and frees counted together.</summary>
    public int Ops;
    /// <summary>Successful allocations.</summary>
    public int Allocs;
    /// <summary>Successful frees.</summary>
    public int Frees;
    /// <summary>Allocations that failed (no memory).</summary>
    public int Failures;
    /// <summary>Purges that ran during the scenario.</summary>
    public int Purges;
    /// <summary>TLB flushes during the scenario.</summary>
    public int Flushes;
    /// <summary>Elapsed time in microseconds on the board's clock.</summary>
    public long ElapsedMicros;
    /// <summary>Critical sections during the scenario.</summary>
    public int CsCount;
    /// <summary>The longest of them in microseconds (rounded down).</summary>
    public long CsMaxMicros;
    /// <summary>The longest of them in nanoseconds.</summary>
    public long CsMaxNanos;
    /// <summary>How many went over the budget.</summary>
    public int CsOverBudget;
    /// <summary>Their histogram, buckets as in <see cref="CsMeter"/>.</summary>
    public int[] Histogram = new int[CsMeter.Buckets];
    /// <summary>The work units of the longest section (see <see cref="CsMeter.Record(long, int)"/>).</summary>
    public int CsMaxNanosUnits;
    /// <summary>The most work units one section did (the longest section in modeled board time).</summary>
    public int CsMaxUnits;
    /// <summary>The time of that section in nanoseconds (the shortest, when several did as many).</summary>
    public long CsMaxUnitsNanos;
    /// <summary>Work units of every section together.</summary>
    public long CsTotalUnits;
    /// <summary>Sections per unit bucket, buckets as in <see cref="CsMeter"/>.</summary>
    public int[] UnitHistogram = new int[CsMeter.UnitBuckets];
    /// <summary>False for a result read from a log printed before sections counted units.</summary>
    public bool HasUnits = true;
    /// <summary>Pages covered by the scenario's TLB flushes.</summary>
    public long FlushedPages;
    /// <summary>Pages lazily held (freed, not yet purged) at most, sampled after each free.</summary>
    public int MaxLazyPages;
    /// <summary>Null when the invariant check after the scenario passed, else its finding.</summary>
    public string Problem;

    /// <summary>Operations per second.</summary>
    public long OpsPerSecond => ElapsedMicros <= 0 ? 0 : (long)Ops * 1000000L / ElapsedMicros;
}
