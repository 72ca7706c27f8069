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
/// Every flush is charged the board's cost (fixed part plus a part per page, busy-waited on the
/// clock) and counted. Two bitmaps of one bit per page; thread-safe with one lock, which models
/// the page-table lock of a real MMU driver and is not an allocator lock.
/// </summary>
public sealed class ShadowMmu : IMmu
{
    private readonly ulong[] _mapped;
    private readonly ulong[] _stale;
    private readonly object _lock = new();
    private readonly IClock _clock;
    private readonly ulong _spanStart;
    private readonly int _pageSize;
    private readonly int _pages;
    private long _flushes;
    private long _flushedPages;
    private long _mappedPages;

    /// <summary>A shadow MMU for a span of <paramref name="pages"/> pages at <paramref name="spanStart"/>.</summary>
    public ShadowMmu(ulong spanStart, int pageSize, int pages, IClock clock, double flushFixedMicros = 0, double flushPerPageMicros = 0)
    {
        _spanStart = spanStart;
        _pageSize = pageSize;
        _pages = pages;
        _clock = clock;
        _mapped = new ulong[(pages + 63) / 64];
        _stale = new ulong[(pages + 63) / 64];
        FlushFixedMicros = flushFixedMicros;
        FlushPerPageMicros = flushPerPageMicros;
    }

    /// <summary>Fixed cost of one flush, in microseconds (busy-waited).</summary>
    public double FlushFixedMicros { get; set; }

    /// <summary>Cost per flushed page, in microseconds (busy-waited).</summary>
    public double FlushPerPageMicros { get; set; }

    /// <summary>When set, the next flush throws this exception instead of flushing (fault injection).</summary>
    public Func<int, int, Exception?>? FlushFault { get; set; }

    /// <summary>Flushes done.</summary>
    public long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>Pages covered by flushes.</summary>
    public long FlushedPages => Interlocked.Read(ref _flushedPages);

    /// <summary>Pages mapped right now.</summary>
    public long MappedPages => Interlocked.Read(ref _mappedPages);

    /// <inheritdoc />
    public void Map(int page, int count)
    {
        CheckRange(page, count, "map");
        lock (_lock)
        {
            // One pass checks both bitmaps word by word; a second sets the bits only when the
            // whole range passed, so a violation changes nothing.
            if (AnySetEither(page, count))
            {
                // Off the fast path: name the first offending page, mapped pages first.
                int bad = FirstMatch(_mapped, page, count, false);
                if (bad >= 0) throw Violation("map", bad, "the page is still mapped");
                bad = FirstMatch(_stale, page, count, false);
                throw Violation("map", bad, "its stale translation has not been flushed since it was unmapped");
            }
            SetBits(_mapped, page, count, true);
            _mappedPages += count;
        }
    }

    /// <inheritdoc />
    public void Unmap(int page, int count)
    {
        CheckRange(page, count, "unmap");
        lock (_lock)
        {
            int bad = FirstClear(_mapped, page, count);
            if (bad >= 0) throw Violation("unmap", bad, "the page is not mapped");
            MoveMappedToStale(page, count);
            _mappedPages -= count;
        }
    }

    /// <inheritdoc />
    public void FlushTlb(int page, int count)
    {
        CheckRange(page, count, "flush");
        Exception? fault = FlushFault?.Invoke(page, count);
        if (fault != null) throw fault;
        lock (_lock)
        {
            ClearRange(_stale, page, count);
        }
        Interlocked.Increment(ref _flushes);
        Interlocked.Add(ref _flushedPages, count);
        double micros = FlushFixedMicros + FlushPerPageMicros * count;
        if (micros > 0) BusyWait(micros);
    }

    /// <summary>Pages whose stale translation still waits for a flush.</summary>
    public int StalePages()
    {
        lock (_lock)
        {
            int n = 0;
            foreach (ulong w in _stale) n += BitOperations.PopCount(w);
            return n;
        }
    }

    /// <summary>True when <paramref name="page"/> is mapped.</summary>
    public bool IsMapped(int page)
    {
        lock (_lock) return (_mapped[page >> 6] & (1UL << (page & 63))) != 0;
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

    private static void SetBits(ulong[] bits, int page, int count, bool value)
    {
        int end = page + count;
        while (page < end)
        {
            int w = page >> 6;
            int to = Math.Min(64, end - (w << 6));
            ulong m = Mask(page & 63, to);
            if (value) bits[w] |= m; else bits[w] &= ~m;
            page = (w + 1) << 6;
        }
    }

    /// <summary>True when a page of the range is mapped or stale (one pass over both bitmaps).</summary>
    private bool AnySetEither(int page, int count)
    {
        ulong[] mapped = _mapped, stale = _stale;
        int end = page + count;
        while (page < end)
        {
            int w = page >> 6;
            int to = Math.Min(64, end - (w << 6));
            ulong m = Mask(page & 63, to);
            if (((mapped[w] | stale[w]) & m) != 0) return true;
            page = (w + 1) << 6;
        }
        return false;
    }

    /// <summary>Clears the mapped bits of the range and sets its stale bits, in one pass.</summary>
    private void MoveMappedToStale(int page, int count)
    {
        ulong[] mapped = _mapped, stale = _stale;
        int end = page + count;
        while (page < end)
        {
            int w = page >> 6;
            int to = Math.Min(64, end - (w << 6));
            ulong m = Mask(page & 63, to);
            mapped[w] &= ~m;
            stale[w] |= m;
            page = (w + 1) << 6;
        }
    }

    /// <summary>Clears the bits of the range: partial words by mask, whole words in one vectorised fill.</summary>
    private static void ClearRange(ulong[] bits, int page, int count)
    {
        if (count <= 0) return;
        int end = page + count;
        int firstWord = page >> 6;
        int lastWord = (end - 1) >> 6;
        if (firstWord == lastWord)
        {
            bits[firstWord] &= ~Mask(page & 63, end - (firstWord << 6));
            return;
        }
        bits[firstWord] &= ~Mask(page & 63, 64);
        bits[lastWord] &= ~Mask(0, end - (lastWord << 6));
        if (lastWord > firstWord + 1) Array.Clear(bits, firstWord + 1, lastWord - firstWord - 1);
    }

    private static int FirstClear(ulong[] bits, int page, int count) => FirstMatch(bits, page, count, true);

    private static int FirstMatch(ulong[] bits, int page, int count, bool invert)
    {
        int end = page + count;
        while (page < end)
        {
            int w = page >> 6;
            int to = Math.Min(64, end - (w << 6));
            ulong word = invert ? ~bits[w] : bits[w];
            ulong hit = word & Mask(page & 63, to);
            if (hit != 0) return (w << 6) + BitOperations.TrailingZeroCount(hit);
            page = (w + 1) << 6;
        }
        return -1;
    }
}

/// <summary>The allocator broke the MMU contract (see <see cref="ShadowMmu"/>).</summary>
public sealed class MmuViolationException(string message) : Exception(message);
