using Vmap.Hal;

namespace Vmap.Suite;

/// <summary>
/// The calibration run: sections over a spread of work units, each paired with its time on the
/// board's clock, printed as <c>VMAP CAL</c> lines for <c>report --calibrate</c>, which fits the
/// board's cost model (fixed + units x per unit) to them. It uses only the allocator's public
/// API, on allocators of its own (started one after the other on the same board, after the
/// suite's allocator stopped), with the board's configuration except:
/// <list type="bullet">
/// <item>PurgeChunk 0, so a purge of n areas is one section, and LazyMaxPages the whole span,
/// so only the purges asked for run;</item>
/// <item>kinds: <c>purge</c> (n scattered one-page areas purged at once, n = 1, 2, 4 ... 64 as the
/// span allows), <c>search</c> (a two-page allocation past n one-page holes: a deeper free tree
/// at each n), <c>drain</c> (zones only: a core's cache of n areas drained).</item>
/// </list>
/// Each sample is the section of the operation with the most units (<see cref="CsMeter.MaxUnits"/>)
/// and its ticks, taken between a lock-stats reset and a snapshot; every case runs
/// <see cref="Repeats"/> times, so an interrupt that lengthens one section leaves the others.
/// Leaves the board's MMU as it found it: everything allocated is freed and purged.
/// </summary>
public sealed class Calibration
{
    /// <summary>Samples per case.</summary>
    public const int Repeats = 3;

    /// <summary>The largest batch a case uses (purge and drain of 64 areas).</summary>
    public const int MaxAreas = 64;

    private readonly Board _board;
    private readonly VmapConfig _base;
    private readonly SuiteLog _log;
    private readonly Stats _stats = new Stats();
    private int[] _live;
    private long _tps;

    /// <summary>A calibration on <paramref name="board"/> with <paramref name="config"/>'s shape, printed to <paramref name="log"/>.</summary>
    public Calibration(Board board, VmapConfig config, SuiteLog log)
    {
        _board = board;
        _base = config;
        _log = log;
    }

    /// <summary>Runs every case; returns the number of samples printed (0 when the allocator refused the configuration).</summary>
    public int Run()
    {
        int spanPages = _base.SpanPages;
        _live = new int[2 * MaxAreas + 2];
        _tps = _board.Clock.TicksPerSecond;
        int samples = 0;
        samples += RunKind("purge", spanPages);
        samples += RunKind("search", spanPages);
        if (_base.Cores > 1) samples += RunKind("drain", spanPages);
        return samples;
    }

    private int RunKind(string kind, int spanPages)
    {
        VmapConfig c = _base.Clone();
        c.PurgeChunk = 0;
        c.LazyMaxPages = spanPages;
        c.Zones = kind == "drain" ? true : _base.Zones;
        var a = new Allocator(_board);
        if (a.Start(c) != Status.Ok) return 0;
        int samples = 0;
        // Two pages per area pair plus room for the two-page search target and guard pages.
        int room = spanPages / (2 * (1 + c.GuardPages)) - 2;
        for (int n = 1; n <= MaxAreas && n <= room; n *= 2)
        {
            for (int k = 0; k < Repeats; k++)
            {
                if (Sample(a, kind, n)) samples++;
            }
        }
        a.Purge();
        a.Stop();
        return samples;
    }

    /// <summary>One sample of <paramref name="kind"/> on <paramref name="n"/> areas; false when the set-up found no space.</summary>
    private bool Sample(Allocator a, string kind, int n)
    {
        int[] live = _live;
        bool ok = true;
        for (int i = 0; i < 2 * n; i++)
        {
            if (a.AllocPages(1, 1, 0, out live[i]) != Status.Ok)
            {
                live[i] = -1;
                ok = false;
            }
        }
        // Every other area goes: n scattered lazy areas (purge) or holes (search, drain).
        for (int i = 0; i < 2 * n; i += 2) FreeIf(a, live, i);
        if (kind != "purge") a.Purge();
        int extra = -1;
        a.ResetLockStats();
        if (kind == "purge") a.Purge();
        else if (kind == "search") a.AllocPages(2, 1, 0, out extra);
        else a.DrainCaches();
        a.GetStats(_stats);
        CsMeter all = _stats.AllLocks;
        if (ok && all.Count > 0) _log.Calibration(kind, n, all.MaxUnits, all.MaxUnitsTicks * 1000000000L / _tps);
        if (extra >= 0) a.FreePages(extra);
        for (int i = 1; i < 2 * n; i += 2) FreeIf(a, live, i);
        a.Purge();
        a.DrainCaches();
        return ok && all.Count > 0;
    }

    private static void FreeIf(Allocator a, int[] live, int i)
    {
        if (live[i] >= 0) a.FreePages(live[i]);
        live[i] = -1;
    }
}
