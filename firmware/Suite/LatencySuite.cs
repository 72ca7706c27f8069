using Vmap.Hal;

namespace Vmap.Suite;

/// <summary>
/// Runs the portable scenarios on a started allocator and measures each one on the board's
/// clock: operations, time, and every critical section of the allocator meanwhile. Before a
/// scenario the allocator is purged and drained and its lock timings reset; after it, the
/// backlog is purged (outside the timed part) and the invariant checker runs.
/// </summary>
public sealed class LatencySuite
{
    /// <summary>Live areas a scenario may hold at once (the scratch array's size).</summary>
    public const int DefaultLiveCapacity = 16384;

    private readonly Allocator _a;
    private readonly IClock _clock;
    private readonly int[] _scratch;
    private readonly Stats _before = new Stats();
    private readonly Stats _after = new Stats();

    /// <summary>A suite on <paramref name="allocator"/>, timed with <paramref name="clock"/>.</summary>
    public LatencySuite(Allocator allocator, IClock clock, int liveCapacity)
    {
        _a = allocator;
        _clock = clock;
        _scratch = new int[liveCapacity];
    }

    /// <summary>Every scenario, in the order the suite runs them.</summary>
    public static Scenario[] All()
    {
        return new Scenario[]
        {
            new FixSize(), new FullFit(), new LongBusyList(), new RandomSize(),
            new FixAlign(), new RandomSizeAlign(), new PurgeBacklog(), new Soak(),
        };
    }

    /// <summary>The scenario called <paramref name="name"/>, or null.</summary>
    public static Scenario Find(string name)
    {
        Scenario[] all = All();
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i].Name == name) return all[i];
        }
        return null;
    }

    /// <summary>Runs one scenario for about <paramref name="ops"/> operations with <paramref name="seed"/>.</summary>
    public ScenarioResult Run(Scenario scenario, int ops, int seed)
    {
        var r = new ScenarioResult();
        r.Name = scenario.Name;
        _a.Purge();
        _a.DrainCaches();
        _a.ResetLockStats();
        _a.GetStats(_before);

        long t0 = _clock.Ticks;
        scenario.Run(_a, ops, new Rng(seed), r, _scratch);
        long t1 = _clock.Ticks;

        _a.GetStats(_after);
        _a.Purge();
        long tps = _clock.TicksPerSecond;
        r.ElapsedMicros = (t1 - t0) * 1000000L / tps;
        CsMeter all = _after.AllLocks;
        r.CsCount = all.Count;
        r.CsMaxMicros = all.MaxTicks * 1000000L / tps;
        r.CsMaxNanos = all.MaxTicks * 1000000000L / tps;
        r.CsOverBudget = all.OverBudget;
        for (int i = 0; i < CsMeter.Buckets; i++) r.Histogram[i] = all.Histogram[i];
        r.CsMaxNanosUnits = all.MaxTicksUnits;
        r.CsMaxUnits = all.MaxUnits;
        r.CsMaxUnitsNanos = all.MaxUnitsTicks * 1000000000L / tps;
        r.CsTotalUnits = all.TotalUnits;
        for (int i = 0; i < CsMeter.UnitBuckets; i++) r.UnitHistogram[i] = all.UnitHistogram[i];
        r.FlushedPages = _after.FlushedPages - _before.FlushedPages;
        r.Purges = _after.Purges - _before.Purges;
        r.Flushes = _after.Flushes - _before.Flushes;
        r.Problem = _a.Validate();
        return r;
    }
}
