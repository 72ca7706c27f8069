namespace Vmap.Hal;

/// <summary>
/// A managed page table for boards whose translation hardware is programmed by the native
/// firmware (the ESP32 cache MMU, the STM32 MPU): it keeps one entry per page of the span,
/// enforces the same contract as the simulated board's shadow MMU (no map over a mapped page,
/// no unmap of an unmapped page, no map before the flush after an unmap), and counts flushes.
/// A native interop module that writes the real MMU would sit behind the same three calls.
/// <para>
/// Failures: the table itself cannot fail, so every call returns true. A native module behind
/// these calls returns false for a genuine hardware failure, after undoing what it began (see
/// <see cref="IMmu"/>): the allocator turns that into a status. A broken contract still throws
/// (an <see cref="System.InvalidOperationException"/> naming the page), leaving the table as
/// it was: it is a bug in the allocator, never an expected outcome, and stopping loudly on the
/// board beats going on with a translation the allocator believes is gone.
/// </para>
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

    /// <summary>Contract violations seen (each also throws: a bug in the caller, not a hardware failure).</summary>
    public int Violations { get; private set; }

    /// <inheritdoc />
    public bool Map(int page, int count)
    {
        // One pass that checks and writes each entry (the interpreter pays per instruction, per
        // page); a refused page undoes the entries written before it, so a refusal changes nothing.
        byte[] state = _state;
        int end = page + count;
        for (int p = page; p < end; p++)
        {
            if (state[p] != Unmapped)
            {
                byte was = state[p];
                Restore(page, p, Unmapped);
                Fail("map", p, was == Mapped ? "still mapped" : "stale translation not flushed");
            }
            state[p] = Mapped;
        }
        return true;
    }

    /// <inheritdoc />
    public bool Unmap(int page, int count)
    {
        byte[] state = _state;
        int end = page + count;
        for (int p = page; p < end; p++)
        {
            if (state[p] != Mapped)
            {
                Restore(page, p, Mapped);
                Fail("unmap", p, "not mapped");
            }
            state[p] = Stale;
        }
        return true;
    }

    /// <inheritdoc />
    public bool FlushTlb(int page, int count)
    {
        byte[] state = _state;
        int end = page + count;
        for (int p = page; p < end; p++)
        {
            if (state[p] == Stale) state[p] = Unmapped;
        }
        Flushes++;
        return true;
    }

    /// <summary>Puts the entries of pages [<paramref name="from"/>, <paramref name="to"/>) back to <paramref name="entry"/> (what a refused call found there).</summary>
    private void Restore(int from, int to, byte entry)
    {
        for (int p = from; p < to; p++) _state[p] = entry;
    }

    private void Fail(string op, int page, string why)
    {
        Violations++;
        throw new System.InvalidOperationException("MMU: " + op + " of page " + page.ToString() + ": " + why);
    }
}
