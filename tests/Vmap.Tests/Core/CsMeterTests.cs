namespace Vmap.Tests.Core;

/// <summary>Regime: the critical-section meter's unit fields (the contract with the allocator's sections): Record, CopyTo, Add, Reset.</summary>
public sealed class CsMeterTests
{
    private static CsMeter Meter() => new("t", 1_000_000, 100); // a tick is a microsecond

    [Fact]
    public void Record_keeps_the_most_units_the_longest_sections_units_the_total_and_the_unit_histogram()
    {
        CsMeter m = Meter();
        m.Record(5, 3);
        m.Record(50, 2);    // longest in ticks, not in units
        m.Record(9, 40);    // most units
        m.Record(7, 40);    // as many units, shorter: the shorter time is kept
        m.Record(1, 0);
        Assert.Equal(5, m.Count);
        Assert.Equal(50, m.MaxTicks);
        Assert.Equal(2, m.MaxTicksUnits);
        Assert.Equal(40, m.MaxUnits);
        Assert.Equal(7, m.MaxUnitsTicks);
        Assert.Equal(85, m.TotalUnits);
        // Buckets: 0 units; [1,2); [2,4) holds 2 and 3; [32,64) holds both 40s.
        Assert.Equal(1, m.UnitHistogram[0]);
        Assert.Equal(2, m.UnitHistogram[2]);
        Assert.Equal(2, m.UnitHistogram[6]);
        Assert.Equal(m.Count, m.UnitHistogram.Sum());
    }

    /// <summary>
    /// The halving steps of Record against the buckets' definition (powers of
    /// two: a value's bucket is its bit length, capped at the last), at every boundary and
    /// either side of it, and at seeded random values.
    /// </summary>
    [Fact]
    public void The_halving_bucket_searches_agree_with_the_bit_length_definition()
    {
        static int BitLength(long v) => v <= 0 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)v);
        var values = new List<long> { 0, 1, int.MaxValue, long.MaxValue };
        for (int k = 1; k < 40; k++) values.AddRange([(1L << k) - 1, 1L << k, (1L << k) + 1]);
        const int Seed = 20261204;
        var random = new Random(Seed);
        for (int i = 0; i < 10_000; i++) values.Add(random.NextInt64(0, 1L << random.Next(1, 40)));
        foreach (long v in values)
        {
            CsMeter m = Meter(); // a tick is a microsecond: bucket k holds [2^(k-1), 2^k) us
            int units = (int)Math.Min(v, int.MaxValue);
            m.Record(v, units);
            int expected = Math.Min(CsMeter.Buckets - 1, BitLength(v));
            Assert.True(m.Histogram[expected] == 1, $"ticks {v}: expected bucket {expected}, histogram {string.Join(",", m.Histogram)} (seed {Seed})");
            int expectedUnits = Math.Min(CsMeter.UnitBuckets - 1, BitLength(units));
            Assert.True(m.UnitHistogram[expectedUnits] == 1, $"units {units}: expected bucket {expectedUnits}, histogram {string.Join(",", m.UnitHistogram)} (seed {Seed})");
        }
    }

    [Fact]
    public void CopyTo_Add_and_Reset_cover_the_unit_fields()
    {
        CsMeter a = Meter(), b = Meter(), sum = Meter(), copy = Meter();
        a.Record(10, 5);
        b.Record(3, 9);
        b.Record(4, 1);
        sum.Add(a);
        sum.Add(b);
        Assert.Equal(3, sum.Count);
        Assert.Equal(9, sum.MaxUnits);
        Assert.Equal(3, sum.MaxUnitsTicks);
        Assert.Equal(10, sum.MaxTicks);
        Assert.Equal(5, sum.MaxTicksUnits);
        Assert.Equal(15, sum.TotalUnits);
        Assert.Equal(3, sum.UnitHistogram.Sum());
        sum.CopyTo(copy);
        Assert.Equal((sum.MaxUnits, sum.MaxUnitsTicks, sum.TotalUnits, sum.MaxTicksUnits),
            (copy.MaxUnits, copy.MaxUnitsTicks, copy.TotalUnits, copy.MaxTicksUnits));
        Assert.Equal(sum.UnitHistogram, copy.UnitHistogram);
        copy.Reset();
        Assert.Equal((0, 0L, 0L, 0, 0), (copy.MaxUnits, copy.MaxUnitsTicks, copy.TotalUnits, copy.Count, copy.UnitHistogram.Sum()));
    }
}
