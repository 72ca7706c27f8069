using Vmap.Sim.Soak;

namespace Vmap.Tests.Reliability;

/// <summary>Regime: long random runs on many cores; everything freed at the end must leave the span one free block.</summary>
public sealed class LongRunTests
{
    [Theory]
    [InlineData(4, false, 11)]
    [InlineData(4, true, 12)]
    [InlineData(8, true, 13)]
    public void A_short_soak_has_no_violations_and_ends_with_one_free_block(int cores, bool faults, int seed)
    {
        var soak = new SoakRun(new SoakRun.Options(cores, Seconds: 30, Seed: seed, Faults: faults, MaxOperations: 120_000));
        SoakRun.Result r = soak.Run(CancellationToken.None);
        Assert.True(r.Violations.Count == 0, string.Join("\n", r.Violations.Take(10)));
        Assert.True(r.Checks >= 12, $"only {r.Checks} checks");
        Assert.Equal(r.Stats.SpanPages, r.Stats.FreePages);
        Assert.Equal(1, r.Stats.FreeBlocks);
        Assert.Equal(r.Stats.Allocs, r.Stats.Frees);
        if (faults) Assert.True(r.FaultsInjected > 0);
    }
}
