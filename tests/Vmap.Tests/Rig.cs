using Vmap.Hal.Sim;

namespace Vmap.Tests;

/// <summary>
/// The reusable test rig: an allocator on a simulated board, with a purge log. Every helper
/// asserts what it did; <see cref="Check"/> runs the invariant checker.
/// </summary>
public sealed class Rig : IPurgeObserver
{
    public Rig(VmapConfig config, double flushFixedMicros = 0, double flushPerPageMicros = 0)
    {
        Config = config;
        Sim = SimBoard.For(config, flushFixedMicros, flushPerPageMicros);
        A = new Allocator(Sim.Board) { PurgeObserver = this };
        Status s = A.Start(config);
        Assert.True(s == Status.Ok, $"start failed: {s}: {A.ConfigProblem}");
    }

    public VmapConfig Config { get; }
    public SimBoard Sim { get; }
    public Allocator A { get; }
    public List<(int Areas, int Pages, ulong Start, ulong End)> Purges { get; } = [];
    public Action? OnPurgeHook { get; set; }

    /// <summary>A small configuration: 4 KiB pages, the span at 0x40000000.</summary>
    public static VmapConfig Small(int spanPages = 1024, int guard = 0, int maxAreas = 4096, int lazyMaxPages = -1, int cores = 1, bool zones = false) => new()
    {
        Zones = zones,
        PageSize = 4096,
        SpanStart = 0x4000_0000,
        SpanSize = (ulong)spanPages * 4096,
        GuardPages = guard,
        MaxAreas = maxAreas,
        LazyMaxPages = lazyMaxPages,
        Cores = cores,
    };

    public void OnPurge(int areas, int pages, ulong flushStart, ulong flushEnd)
    {
        lock (Purges) Purges.Add((areas, pages, flushStart, flushEnd));
        OnPurgeHook?.Invoke();
    }

    /// <summary>Allocates pages and asserts success; returns the span page.</summary>
    public int Alloc(int pages, int align = 1, int tag = 0)
    {
        Status s = A.AllocPages(pages, align, tag, out int page);
        Assert.True(s == Status.Ok, $"alloc {pages} pages align {align}: {s}");
        return page;
    }

    public void Free(int page) => Assert.Equal(Status.Ok, A.FreePages(page));

    public Stats Stats()
    {
        var s = new Stats();
        A.GetStats(s);
        return s;
    }

    public void Check(string context = "")
    {
        string? problem = A.Validate();
        Assert.True(problem == null, $"invariant broken {context}: {problem}");
    }
}
