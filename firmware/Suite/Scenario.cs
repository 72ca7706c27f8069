namespace Vmap.Suite;

/// <summary>
/// One portable scenario of the latency suite: plain code, no test framework, the same on the
/// board, on the simulated board and in both test projects. Sizes scale with the span, so the
/// 64 pages of an ESP32 PSRAM window run the same cases as a 1 GiB simulated span.
/// </summary>
public abstract class Scenario
{
    private Allocator _a;
    private ScenarioResult _r;
    private int[] _scratch;

    /// <summary>The name printed in the log and accepted by <c>run --scenario</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line on what the scenario exercises.</summary>
    public abstract string Description { get; }

    /// <summary>Pages in the span the scenario runs on.</summary>
    protected int SpanPages { get; private set; }

    /// <summary>Runs about <paramref name="ops"/> operations. Every area it allocates it frees again.</summary>
    protected abstract void Body(int ops, Rng rng);

    /// <summary>Runs the scenario on <paramref name="a"/>; counts go into <paramref name="r"/>.</summary>
    public void Run(Allocator a, int ops, Rng rng, ScenarioResult r, int[] scratch)
    {
        _a = a;
        _r = r;
        _scratch = scratch;
        SpanPages = a.Config.SpanPages;
        Body(ops, rng);
    }

    /// <summary>A preallocated array of handles the scenario may use for its live set.</summary>
    protected int[] Live => _scratch;

    /// <summary>Allocates; returns the page or -1 (a failure is counted, not an error).</summary>
    protected int Alloc(int pages, int align)
    {
        _r.Ops++;
        if (_a.AllocPages(pages, align, 0, out int page) == Status.Ok)
        {
            _r.Allocs++;
            return page;
        }
        _r.Failures++;
        return -1;
    }

    /// <summary>Frees an area this scenario allocated (ignores -1).</summary>
    protected void Free(int page)
    {
        if (page < 0) return;
        _r.Ops++;
        if (_a.FreePages(page) == Status.Ok) _r.Frees++;
        int lazy = _a.LazyPages;
        if (lazy > _r.MaxLazyPages) _r.MaxLazyPages = lazy;
    }

    /// <summary>Purges on demand.</summary>
    protected void Purge() => _a.Purge();

    /// <summary>The largest power of two not above <paramref name="x"/> (x at least 1).</summary>
    protected static int FloorPow2(int x)
    {
        int p = 1;
        while (p <= x / 2) p *= 2;
        return p;
    }

    /// <summary>Bounds <paramref name="x"/> to [<paramref name="low"/>, <paramref name="high"/>].</summary>
    protected static int Clamp(int x, int low, int high) => x < low ? low : (x > high ? high : x);
}
