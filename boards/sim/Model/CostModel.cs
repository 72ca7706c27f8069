using Vmap.Suite;

namespace Vmap.Sim.Model;

/// <summary>
/// A board's cost model of a critical section: modeled board time = <see cref="FixedMicros"/> +
/// work units x <see cref="UnitMicros"/> (profile keys <c>cs_fixed_us</c> and <c>cs_unit_us</c>).
/// Units are what each section counts (<see cref="CsMeter.Record(long, int)"/>): deterministic,
/// so modeled figures do not move with the host's load, and monotone, so the section with the
/// most units is the longest in modeled time.
/// </summary>
public sealed record CostModel(double FixedMicros, double UnitMicros)
{
    /// <summary>Modeled board time of a section of <paramref name="units"/> units, in µs.</summary>
    public double Micros(long units) => FixedMicros + units * UnitMicros;

    /// <summary>
    /// The most units a section may do within <paramref name="budgetMicros"/>:
    /// floor((budget - fixed) / per unit); -1 when even an empty section is over, int.MaxValue
    /// when units cost nothing.
    /// </summary>
    public long UnitLimit(double budgetMicros)
    {
        if (FixedMicros > budgetMicros) return -1;
        if (UnitMicros <= 0) return int.MaxValue;
        // A hair of slack so that a section modeled exactly at the budget counts as within it.
        return (long)Math.Floor((budgetMicros - FixedMicros) / UnitMicros + 1e-9);
    }

    /// <summary>The modeled longest section of a scenario, in µs.</summary>
    public double MaxMicros(ScenarioResult s) => Micros(s.CsMaxUnits);

    /// <summary>
    /// Modeled board time of every section of a scenario plus its TLB flushes with the board's
    /// flush cost: Count x fixed + TotalUnits x per unit + flushes x flush fixed + flushed pages x
    /// flush per page, in µs. What <c>tune</c> divides the operations by for modeled throughput.
    /// </summary>
    public double BusyMicros(ScenarioResult s, double flushFixedMicros, double flushPerPageMicros) =>
        s.CsCount * FixedMicros + s.CsTotalUnits * UnitMicros + s.Flushes * flushFixedMicros + s.FlushedPages * flushPerPageMicros;

    /// <summary>
    /// Sections of <paramref name="s"/> over <paramref name="budgetMicros"/> in modeled time,
    /// read off the unit histogram against <see cref="UnitLimit"/>: exactly 0 when the most
    /// units are within the limit; otherwise the sections in buckets wholly over the limit (at
    /// least the one with the most units), exact when no bucket holding sections straddles it.
    /// </summary>
    public int SectionsOver(ScenarioResult s, double budgetMicros, out bool exact)
    {
        exact = true;
        long limit = UnitLimit(budgetMicros);
        if (s.CsMaxUnits <= limit) return 0;
        int n = 0;
        for (int k = 0; k < s.UnitHistogram.Length; k++)
        {
            if (s.UnitHistogram[k] == 0) continue;
            long low = k == 0 ? 0 : 1L << (k - 1);
            long high = k == 0 ? 0 : (k == s.UnitHistogram.Length - 1 ? long.MaxValue : (1L << k) - 1);
            if (low > limit) n += s.UnitHistogram[k];
            else if (high > limit) exact = false;
        }
        return Math.Max(n, 1);
    }
}
