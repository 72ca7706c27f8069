using System.Numerics;

namespace Vmap.Hal.Sim;

/// <summary>
/// The simulated board's MMU: a shadow page table that checks the allocator's use of the
/// translation hardware and fails loudly (an <see cref="MmuViolationException"/> naming the
/// page and the operation) on
/// <list type="bullet">
/// <item>mapping a page that is still mapped,</item>
/// <item>unmapping a page that is not mapped,</item>
/// <item>mapping a page whose stale translation has not been flushed since its unmap (the
///   reuse-before-purge bug lazy freeing must never have).</item>
/// </list>
/// Those are bugs in the allocator, so they throw; a hardware failure is a false return (see
/// <see cref="IMmu"/>), which the shadow MMU gives only when a test injects one
/// (<see cref="FlushFault"/>).
/// Every flush is charged the board's cost (fixed part plus a part per page, busy-waited on the
/// clock) and counted. Two bitmaps of one bit per page, updated a 64-bit word at a time with
/// atomic and/or (an unmap of a whole word: one compare-and-swap and a store), so cores mapping
/// disjoint areas never wait for each other (an MMU driver that
/// takes a global lock would serialise the very cores the zones keep apart). For the same
/// reason no map or unmap writes a shared counter: <see cref="MappedPages"/> counts the bitmap
/// when asked, and a flush writes only the words that hold stale pages, so it does not take
/// away from other cores the cache lines they are mapping in.
/// <para>
/// The bitmaps stay packed (512 pages a cache line). A line of its own per 64 pages, as
/// per-page table entries would give, spares neighbouring cores' maps and unmaps from sharing
/// lines, but a flush then reads eight times as many lines, most last written by other cores:
/// counted on the contention benchmark's loops, cache-line transfers per map or unmap went
/// from 0.17 to 0.19 on 2 cores and from 0.30 to 0.64 on 8.
/// </para>
/// </summary>
public sealed class ShadowMmu : IMmu
{
    // The bitmaps' words are elements Pad.. of their arrays, with Pad spare words after the
    // last: an array's length word, read by the bounds check of every call on every core,
    // would otherwise share a cache line with the first words, and the next array's with the
    // last words. The zones of a pair of cores allocate from opposite ends of the span, so
    // those words are the hottest of one core: without the pads, every map and unmap on that
    // core took from the other the line its next bounds check reads. On the contention
    // benchmark's loops, 2 cores, the median time per operation went from 91-110 ns to
    // 82-90 ns with the pads.
    private const int Pad = 8;
    private readonly ulong[] _mapped;
    private readonly ulong[] _stale;
    private readonly IClock _clock;
    private readonly ulong _spanStart;
    private readonly int _pageSize;
    private readonly int _pages;
    private long _flushes;
    private long _flushedPages;

    /// <summary>A shadow MMU for a span of <paramref name="pages"/> pages at <paramref name="spanStart"/>.</summary>
    public ShadowMmu(ulong spanStart, int pageSize, int pages, IClock clock, double flushFixedMicros = 0, double flushPerPageMicros = 0)
    {
        _spanStart = spanStart;
        _pageSize = pageSize;
        _pages = pages;
        _clock = clock;
        _mapped = new ulong[Pad + (pages + 63) / 64 + Pad];
        _stale = new ulong[Pad + (pages + 63) / 64 + Pad];
        FlushFixedMicros = flushFixedMicros;
        FlushPerPageMicros = flushPerPageMicros;
    }

    /// <summary>Fixed cost of one flush, in microseconds (busy-waited).</summary>
    public double FlushFixedMicros { get; set; }

    /// <summary>Cost per flushed page, in microseconds (busy-waited).</summary>
    public double FlushPerPageMicros { get; set; }

    /// <summary>
    /// When set, called with the range at the start of every flush (fault injection): true fails
    /// that flush, which then returns false having flushed nothing. A hook may also block, to
    /// hold a flush open.
    /// </summary>
    public Func<int, int, bool>? FlushFault { get; set; }

    /// <summary>Flushes done.</summary>
    public long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>Pages covered by flushes.</summary>
    public long FlushedPages => Interlocked.Read(ref _flushedPages);

    /// <summary>Pages mapped right now (counted over the bitmap: a check, not a hot path).</summary>
    public long MappedPages
    {
        get
        {
            long n = 0;
            for (int i = 0; i < _mapped.Length; i++) n += BitOperations.PopCount(Volatile.Read(ref _mapped[i]));
            return n;
        }
    }

    /// <inheritdoc />
    public bool Map(int page, int count)
    {
        CheckRange(page, count, "map");
        int end = page + count;
        for (int p = page; p < end; p = ((p >> 6) + 1) << 6)
        {
            int w = p >> 6;
            int x = Pad + w;
            ulong m = Mask(p & 63, Math.Min(64, end - (w << 6)));
            ulong stale = Volatile.Read(ref _stale[x]) & m;
            if (stale != 0)
            {
                UndoMap(page, p);
                throw Violation("map", (w << 6) + BitOperations.TrailingZeroCount(stale), "its stale translation has not been flushed since it was unmapped");
            }
            ulong old = Interlocked.Or(ref _mapped[x], m);
            if ((old & m) != 0)
            {
                Interlocked.And(ref _mapped[x], ~m | old); // keep what was mapped before
                UndoMap(page, p);
                throw Violation("map", (w << 6) + BitOperations.TrailingZeroCount(old & m), "the page is still mapped");
            }
        }
        return true;
    }

    /// <inheritdoc />
    public bool Unmap(int page, int count)
    {
        CheckRange(page, count, "unmap");
        int end = page + count;
        for (int p = page; p < end; p = ((p >> 6) + 1) << 6)
        {
            int w = p >> 6;
            int x = Pad + w;
            ulong m = Mask(p & 63, Math.Min(64, end - (w << 6)));
            if (m == ulong.MaxValue)
            {
                // A whole word: its 64 pages are this range's alone, mapped (checked by the
                // swap, which changes nothing otherwise) and so not stale. A store sets their
                // stale bits: a racing flush's and-not (or store of 0) leaves either state, both right.
                ulong was = Interlocked.CompareExchange(ref _mapped[x], 0UL, ulong.MaxValue);
                if (was != ulong.MaxValue)
                {
                    UndoUnmap(page, p);
                    throw Violation("unmap", (w << 6) + BitOperations.TrailingZeroCount(~was), "the page is not mapped");
                }
                Volatile.Write(ref _stale[x], ulong.MaxValue);
                continue;
            }
            ulong old = Interlocked.And(ref _mapped[x], ~m);
            if ((old & m) != m)
            {
                Interlocked.Or(ref _mapped[x], old & m); // put back what this call cleared
                UndoUnmap(page, p);
                throw Violation("unmap", (w << 6) + BitOperations.TrailingZeroCount(~old & m), "the page is not mapped");
            }
            Interlocked.Or(ref _stale[x], m);
        }
        return true;
    }

    /// <inheritdoc />
    public bool FlushTlb(int page, int count)
    {
        CheckRange(page, count, "flush");
        Func<int, int, bool>? fault = FlushFault;
        if (fault != null && fault(page, count)) return false; // injected: nothing flushed
        // Every page of the range unmapped before the flush began is flushed. A page another
        // core unmaps while it runs may or may not be, as on hardware; it is never part of the
        // batch being purged, and leaving it stale only makes the check stricter.
        int end = page + count;
        for (int p = page; p < end; p = ((p >> 6) + 1) << 6)
        {
            int w = p >> 6;
            int x = Pad + w;
            ulong m = Mask(p & 63, Math.Min(64, end - (w << 6)));
            if ((Volatile.Read(ref _stale[x]) & m) == 0) continue; // nothing stale: leave the line alone
            if (m == ulong.MaxValue) Volatile.Write(ref _stale[x], 0UL);
            else Interlocked.And(ref _stale[x], ~m);
        }
        Interlocked.Increment(ref _flushes);
        Interlocked.Add(ref _flushedPages, count);
        double micros = FlushFixedMicros + FlushPerPageMicros * count;
        if (micros > 0) BusyWait(micros);
        return true;
    }

    /// <summary>Rolls back the words of [from, upTo) a refused map changed: their pages are unmapped again.</summary>
    private void UndoMap(int from, int upTo)
    {
        for (int p = from; p < upTo; p = ((p >> 6) + 1) << 6)
        {
            int w = p >> 6;
            int x = Pad + w;
            Interlocked.And(ref _mapped[x], ~Mask(p & 63, Math.Min(64, upTo - (w << 6))));
        }
    }

    /// <summary>
    /// Rolls back the words of [from, upTo) a refused unmap changed: their pages are mapped again
    /// and not stale (a mapped page never is: a map of a stale page is refused).
    /// </summary>
    private void UndoUnmap(int from, int upTo)
    {
        for (int p = from; p < upTo; p = ((p >> 6) + 1) << 6)
        {
            int w = p >> 6;
            int x = Pad + w;
            ulong m = Mask(p & 63, Math.Min(64, upTo - (w << 6)));
            Interlocked.And(ref _stale[x], ~m);
            Interlocked.Or(ref _mapped[x], m);
        }
    }

    /// <summary>Pages whose stale translation still waits for a flush.</summary>
    public int StalePages()
    {
        int n = 0;
        for (int i = 0; i < _stale.Length; i++) n += BitOperations.PopCount(Volatile.Read(ref _stale[i]));
        return n;
    }

    /// <summary>True when <paramref name="page"/> is mapped.</summary>
    public bool IsMapped(int page)
    {
        CheckRange(page, 1, "query");
        return (Volatile.Read(ref _mapped[Pad + (page >> 6)]) & (1UL << (page & 63))) != 0;
    }

    private void BusyWait(double micros)
    {
        long until = _clock.Ticks + (long)(micros * _clock.TicksPerSecond / 1e6);
        while (_clock.Ticks < until) Thread.SpinWait(8);
    }

    private void CheckRange(int page, int count, string op)
    {
        if (page < 0 || count < 0 || (long)page + count > _pages)
            throw new MmuViolationException($"{op} of pages {page}..{(long)page + count - 1} runs outside the span of {_pages} pages");
    }

    private MmuViolationException Violation(string op, int page, string why)
    {
        ulong address = _spanStart + (ulong)page * (ulong)_pageSize;
        return new MmuViolationException($"shadow MMU: {op} of page {page} (0x{address:x}): {why}");
    }

    // Word-at-a-time bit range helpers: an area of 256 pages is four 64-bit words.

    private static ulong Mask(int from, int to) // bits [from, to) of one word, 0 <= from < to <= 64
        => (to == 64 ? ulong.MaxValue : (1UL << to) - 1) & ~((1UL << from) - 1);

}

/// <summary>The allocator broke the MMU contract (see <see cref="ShadowMmu"/>).</summary>
public sealed class MmuViolationException(string message) : Exception(message);
