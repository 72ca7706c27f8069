namespace Vmap.Hal;

/// <summary>
/// A managed page table for boards whose translation hardware is programmed by the native
/// firmware (the ESP32 cache MMU, the STM32 MPU): it keeps one entry per page of the span,
/// enforces the same contract as the simulated board's shadow MMU (no map over a mapped page,
/// no unmap of an unmapped page, no map before the flush after an unmap), and counts flushes.
/// A native interop module that writes the real MMU would sit behind the same three calls.
/// Callers serialise through the allocator (map/unmap of disjoint ranges, one purge at a time);
/// the counters are approximate under concurrent maps, the table is exact.
/// </summary>
public sealed class TableMmu : IMmu
{
    private const byte Unmapped = 0;
    private const byte Mapped = 1;
    private const byte Stale = 2;

    private readonly byte[] _state;

    /// <summary>A table for <paramref name="pages"/> pages.</summary>
    public TableMmu(int pages)
    {
        _state = HeapLimits.NewBytes(pages);
    }

    /// <summary>Flushes done.</summary>
    public int Flushes { get; private set; }

    /// <summary>Contract violations seen (each also throws).</summary>
    public int Violations { get; private set; }

    /// <inheritdoc />
    public void Map(int page, int count)
    {
        for (int p = page; p < page + count; p++)
        {
            if (_state[p] != Unmapped) Fail("map", p, _state[p] == Mapped ? "still mapped" : "stale translation not flushed");
        }
        for (int p = page; p < page + count; p++) _state[p] = Mapped;
    }

    /// <inheritdoc />
    public void Unmap(int page, int count)
    {
        for (int p = page; p < page + count; p++)
        {
            if (_state[p] != Mapped) Fail("unmap", p, "not mapped");
        }
        for (int p = page; p < page + count; p++) _state[p] = Stale;
    }

    /// <inheritdoc />
    public void FlushTlb(int page, int count)
    {
        for (int p = page; p < page + count; p++)
        {
            if (_state[p] == Stale) _state[p] = Unmapped;
        }
        Flushes++;
    }

    private void Fail(string op, int page, string why)
    {
        Violations++;
        throw new System.InvalidOperationException("MMU: " + op + " of page " + page.ToString() + ": " + why);
    }
}
