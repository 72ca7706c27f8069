namespace Vmap;

/// <summary>
/// The timing and the work of one lock's critical sections: how many, the longest, a histogram
/// and how many went over the board's budget, in clock ticks; and, for each section, the work
/// units it did (see <see cref="Record(long, int)"/>), with the most, the total and a histogram.
/// A critical section is what the kernel runs with preemption off; on a set-top box an
/// unbounded one cost 26.5 ms (seed 000). Every field is written only by the holder of the lock
/// it meters, at the end of its section.
/// <para>
/// Why units as well as ticks: ticks are the time of whatever ran the code. On a board that is
/// the board's time; on the simulated board it is the host's, which varies with the host's load
/// and is 20 to 100 times shorter than the nanoCLR interpreter's. Units are deterministic: the
/// host turns them into modeled board time with the board's cost model (fixed + units x per
/// unit, see the runner's CostModel), and the board's capture pairs them with measured time to
/// calibrate that model. The meter knows no model: modeled time is monotone in units, so the
/// section with the most units is the longest in modeled time, and sections over a budget in
/// modeled time are those over a unit limit, which the host reads off <see cref="UnitHistogram"/>
/// (exactly 0 when <see cref="MaxUnits"/> is within the limit).
/// </para>
/// <para>
/// Histogram buckets are powers of two in microseconds: bucket 0 holds sections under 1 µs,
/// bucket k (1 to <see cref="Buckets"/> - 2) those in [2^(k-1), 2^k) µs, and the last bucket
/// everything from 2^(Buckets-2) µs up (16.4 ms and more). Unit buckets are powers of two in
/// units: bucket 0 holds sections of 0 units, bucket k (1 to <see cref="UnitBuckets"/> - 2)
/// those of [2^(k-1), 2^k) units, the last everything from 2^(UnitBuckets-2) units up.
/// </para>
/// </summary>
public sealed class CsMeter
{
    /// <summary>Number of histogram buckets (time). <see cref="Record"/> finds a bucket in four halving steps, which cover exactly 16.</summary>
    public const int Buckets = 16;

    /// <summary>Number of unit histogram buckets (0, then powers of two up to 2^18 and more).</summary>
    public const int UnitBuckets = 20;

    private readonly int[] _bucketEnds; // in ticks, capped at int.MaxValue: the histogram works in 32 bits
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

    /// <summary>The work units of the longest section (the one of <see cref="MaxTicks"/>).</summary>
    public int MaxTicksUnits;

    /// <summary>The most work units one section did: the longest section in modeled board time.</summary>
    public int MaxUnits;

    /// <summary>The ticks of the section of <see cref="MaxUnits"/> units (the shortest, when several did as many).</summary>
    public long MaxUnitsTicks;

    /// <summary>Work units of every section together (modeled time: Count x fixed + TotalUnits x per unit).</summary>
    public long TotalUnits;

    /// <summary>Section counts per unit bucket (see the class remarks).</summary>
    public readonly int[] UnitHistogram = new int[UnitBuckets];

    /// <summary>Creates a meter for the lock called <paramref name="name"/>.</summary>
    public CsMeter(string name, long ticksPerSecond, int budgetMicros)
    {
        Name = name;
        _ticksPerSecond = ticksPerSecond;
        _budgetTicks = MicrosToTicks(budgetMicros, ticksPerSecond);
        _bucketEnds = new int[Buckets - 1];
        for (int k = 0; k < Buckets - 1; k++)
        {
            long end = MicrosToTicks(1L << k, ticksPerSecond);
            _bucketEnds[k] = end > int.MaxValue ? int.MaxValue : (int)end;
        }
    }

    /// <summary>The lock's name, as shown in reports ("free-tree", "zone", "drain", ...).</summary>
    public string Name { get; }

    /// <summary>The budget in microseconds this meter counts against.</summary>
    public long BudgetMicros => _budgetTicks * 1000000 / _ticksPerSecond;

    /// <summary>The longest section in microseconds.</summary>
    public double MaxMicros => MaxTicks * 1000000.0 / _ticksPerSecond;

    private static long MicrosToTicks(long micros, long ticksPerSecond) => (micros * ticksPerSecond + 999999) / 1000000;

    /// <summary>
    /// Records one section of <paramref name="ticks"/> that did <paramref name="units"/> work
    /// units: deterministic steps the interpreter pays for (a tree level visited, a rotation, a
    /// record split or merged, a boundary tag written, a list link changed, a cache entry
    /// moved, a drain-mask bit), counted by the section itself. Caller still holds the lock.
    /// Allocates nothing.
    /// </summary>
    public void Record(long ticks, int units)
    {
        if (ticks < 0)
        {
            // The clock went backwards (a jumping clock): the section's length is unknown.
            ClockAnomalies++;
            ticks = 0;
        }
        if (units < 0) units = 0;
        Count++;
        if (ticks > MaxTicks)
        {
            MaxTicks = ticks;
            MaxTicksUnits = units;
        }
        if (ticks > _budgetTicks) OverBudget++;
        // The time bucket in 32-bit arithmetic (a 64-bit operation is several on a 32-bit
        // interpreter, and this runs once per section): the number of ends at or below the
        // section, found by halving the 16 buckets in four fixed steps.
        int t = ticks > int.MaxValue ? int.MaxValue : (int)ticks;
        int[] ends = _bucketEnds;
        int b = t >= ends[7] ? 8 : 0;
        if (t >= ends[b + 3]) b += 4;
        if (t >= ends[b + 1]) b += 2;
        if (t >= ends[b]) b++;
        Histogram[b]++;

        if (units > MaxUnits || Count == 1)
        {
            MaxUnits = units;
            MaxUnitsTicks = ticks;
        }
        else if (units == MaxUnits && ticks < MaxUnitsTicks)
        {
            MaxUnitsTicks = ticks;
        }
        TotalUnits += units;
        // The unit bucket: the bit length of the count, capped at the last bucket. Most
        // sections do fewer than SmallUnits units: one table load; the rest halve in fixed steps.
        if (units < SmallUnits)
        {
            UnitHistogram[_smallUnitBuckets[units]]++;
            return;
        }
        if (units >= 1 << (UnitBuckets - 2))
        {
            UnitHistogram[UnitBuckets - 1]++;
            return;
        }
        int u = units >> 6; // 1 to 4095: SmallUnits is 2^6
        int ub = 6;
        if (u >= 1 << 8)
        {
            ub += 8;
            u >>= 8;
        }
        if (u >= 1 << 4)
        {
            ub += 4;
            u >>= 4;
        }
        if (u >= 1 << 2)
        {
            ub += 2;
            u >>= 2;
        }
        if (u >= 1 << 1)
        {
            ub += 1;
            u >>= 1;
        }
        UnitHistogram[ub + u]++; // u is 1 now
    }

    // Unit counts below this find their bucket in a table: the bit length of 0 to 63, one table
    // for all meters, reached through each (so it exists once the first meter does: no section
    // ever builds it).
    private const int SmallUnits = 64;
    private static readonly byte[] s_smallUnitBuckets = SmallUnitBuckets();
    private readonly byte[] _smallUnitBuckets = s_smallUnitBuckets;

    private static byte[] SmallUnitBuckets()
    {
        byte[] table = new byte[SmallUnits];
        for (int u = 1; u < SmallUnits; u++) table[u] = (byte)(table[u >> 1] + 1);
        return table;
    }

    /// <summary>Copies the counts into <paramref name="into"/> (same lock held, or a quiescent allocator).</summary>
    public void CopyTo(CsMeter into)
    {
        into.Count = Count;
        into.MaxTicks = MaxTicks;
        into.OverBudget = OverBudget;
        into.ClockAnomalies = ClockAnomalies;
        System.Array.Copy(Histogram, into.Histogram, Buckets);
        into.MaxTicksUnits = MaxTicksUnits;
        into.MaxUnits = MaxUnits;
        into.MaxUnitsTicks = MaxUnitsTicks;
        into.TotalUnits = TotalUnits;
        System.Array.Copy(UnitHistogram, into.UnitHistogram, UnitBuckets);
    }

    /// <summary>Forgets every section recorded so far.</summary>
    public void Reset()
    {
        Count = 0;
        MaxTicks = 0;
        OverBudget = 0;
        ClockAnomalies = 0;
        System.Array.Clear(Histogram, 0, Buckets);
        MaxTicksUnits = 0;
        MaxUnits = 0;
        MaxUnitsTicks = 0;
        TotalUnits = 0;
        System.Array.Clear(UnitHistogram, 0, UnitBuckets);
    }

    /// <summary>
    /// Adds <paramref name="other"/>'s counts to this one (for totals over several locks).
    /// </summary>
    public void Add(CsMeter other)
    {
        if (other.Count == 0) return;
        bool first = Count == 0;
        Count += other.Count;
        if (other.MaxTicks > MaxTicks || first)
        {
            MaxTicks = other.MaxTicks;
            MaxTicksUnits = other.MaxTicksUnits;
        }
        OverBudget += other.OverBudget;
        ClockAnomalies += other.ClockAnomalies;
        for (int i = 0; i < Buckets; i++) Histogram[i] += other.Histogram[i];
        if (other.MaxUnits > MaxUnits || first)
        {
            MaxUnits = other.MaxUnits;
            MaxUnitsTicks = other.MaxUnitsTicks;
        }
        else if (other.MaxUnits == MaxUnits && other.MaxUnitsTicks < MaxUnitsTicks)
        {
            MaxUnitsTicks = other.MaxUnitsTicks;
        }
        TotalUnits += other.TotalUnits;
        for (int i = 0; i < UnitBuckets; i++) UnitHistogram[i] += other.UnitHistogram[i];
    }
}
