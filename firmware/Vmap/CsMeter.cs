namespace Vmap;

/// <summary>
/// The timing of one lock's critical sections: how many, the longest, a histogram and how many
/// went over the board's budget. A critical section is what the kernel runs with preemption
/// off; on a set-top box an unbounded one cost 26.5 ms (seed 000). Every field is written only
/// by the holder of the lock it meters, at the end of its section.
/// <para>
/// Histogram buckets are powers of two in microseconds: bucket 0 holds sections under 1 µs,
/// bucket k (1 to <see cref="Buckets"/> - 2) those in [2^(k-1), 2^k) µs, and the last bucket
/// everything from 2^(Buckets-2) µs up (16.4 ms and more).
/// </para>
/// </summary>
public sealed class CsMeter
{
    /// <summary>Number of histogram buckets.</summary>
    public const int Buckets = 16;

    private readonly long[] _bucketEnds;
    private readonly long _budgetTicks;
    private readonly long _ticksPerSecond;

    /// <summary>Sections recorded.</summary>
    public int Count;

    /// <summary>The longest section, in clock ticks.</summary>
    public long MaxTicks;

    /// <summary>Sections longer than the budget.</summary>
    public int OverBudget;

    /// <summary>Sections the clock measured as negative (it went backwards); counted as 0.</summary>
    public int ClockAnomalies;

    /// <summary>Section counts per bucket (see the class remarks).</summary>
    public readonly int[] Histogram = new int[Buckets];

    /// <summary>Creates a meter for the lock called <paramref name="name"/>.</summary>
    public CsMeter(string name, long ticksPerSecond, int budgetMicros)
    {
        Name = name;
        _ticksPerSecond = ticksPerSecond;
        _budgetTicks = MicrosToTicks(budgetMicros, ticksPerSecond);
        _bucketEnds = new long[Buckets - 1];
        for (int k = 0; k < Buckets - 1; k++) _bucketEnds[k] = MicrosToTicks(1L << k, ticksPerSecond);
    }

    /// <summary>The lock's name, as shown in reports ("free-tree", "zone", "drain", ...).</summary>
    public string Name { get; }

    /// <summary>The budget in microseconds this meter counts against.</summary>
    public long BudgetMicros => _budgetTicks * 1000000 / _ticksPerSecond;

    /// <summary>The longest section in microseconds.</summary>
    public double MaxMicros => MaxTicks * 1000000.0 / _ticksPerSecond;

    private static long MicrosToTicks(long micros, long ticksPerSecond) => (micros * ticksPerSecond + 999999) / 1000000;

    /// <summary>Work units of the section with the most units.</summary>
    public int MaxUnits;

    /// <summary>Records one section of <paramref name="ticks"/> that did <paramref name="units"/> work units. Caller still holds the lock.</summary>
    public void Record(long ticks, int units)
    {
        if (units > MaxUnits) MaxUnits = units;
        if (ticks < 0)
        {
            // The clock went backwards (a jumping clock): the section's length is unknown.
            ClockAnomalies++;
            ticks = 0;
        }
        Count++;
        if (ticks > MaxTicks) MaxTicks = ticks;
        if (ticks > _budgetTicks) OverBudget++;
        int b = 0;
        long[] ends = _bucketEnds;
        while (b < ends.Length && ticks >= ends[b]) b++;
        Histogram[b]++;
    }

    /// <summary>Copies the counts into <paramref name="into"/> (same lock held, or a quiescent allocator).</summary>
    public void CopyTo(CsMeter into)
    {
        into.Count = Count;
        into.MaxTicks = MaxTicks;
        into.OverBudget = OverBudget;
        into.ClockAnomalies = ClockAnomalies;
        System.Array.Copy(Histogram, into.Histogram, Buckets);
    }

    /// <summary>Forgets every section recorded so far.</summary>
    public void Reset()
    {
        Count = 0;
        MaxTicks = 0;
        OverBudget = 0;
        ClockAnomalies = 0;
        System.Array.Clear(Histogram, 0, Buckets);
    }

    /// <summary>Adds <paramref name="other"/>'s counts to this one (for totals over several locks).</summary>
    public void Add(CsMeter other)
    {
        Count += other.Count;
        if (other.MaxTicks > MaxTicks) MaxTicks = other.MaxTicks;
        OverBudget += other.OverBudget;
        ClockAnomalies += other.ClockAnomalies;
        for (int i = 0; i < Buckets; i++) Histogram[i] += other.Histogram[i];
    }
}
