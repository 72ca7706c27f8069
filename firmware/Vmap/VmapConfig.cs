using Vmap.Hal;

namespace Vmap;

/// <summary>
/// Everything the allocator is sized and tuned by, validated once by <c>Allocator.Start</c>.
/// Boards fill it from their profile (boards/*.board); each value states its unit, its
/// default, what it bounds and what moving it costs.
/// </summary>
public sealed class VmapConfig
{
    /// <summary>Largest span in pages: keeps every page arithmetic inside an <c>int</c>.</summary>
    public const int MaxSpanPages = 1 << 30;

    /// <summary>
    /// Largest pool: 196,590 records (6 MiB of metadata). Each of the pool's eight record arrays
    /// holds capacity + 1 ints (handle 0 is the nil sentinel), and no array may be larger than the
    /// nanoFramework heap's largest object (<see cref="HeapLimits.MaxArrayInts"/>).
    /// </summary>
    public const int MaxPoolCapacity = HeapLimits.MaxArrayInts - 1;

    /// <summary>Largest number of logical cores (one bit each in the drain mask).</summary>
    public const int MaxCores = 32;

    /// <summary>LazyMaxPages value that asks for the Linux default.</summary>
    public const int DefaultLazyMaxPages = -1;

    /// <summary>
    /// Bytes per page (default 4096). A power of two from 256 bytes to 16 MiB. Every area is a
    /// whole number of pages; the ESP32 PSRAM window maps 64 KiB pages.
    /// </summary>
    public int PageSize = 4096;

    /// <summary>Address of the span's first byte; a multiple of the page size.</summary>
    public ulong SpanStart = 0x10000000;

    /// <summary>Bytes in the span; a multiple of the page size, 1 to 2^30 pages (default 1 GiB).</summary>
    public ulong SpanSize = 1UL << 30;

    /// <summary>
    /// Unmapped pages kept after every area (default 1, as Linux), 0 to 1024. A guard page turns
    /// an overrun into a fault instead of silent corruption of the next area, and costs one
    /// page of address space per area.
    /// </summary>
    public int GuardPages = 1;

    /// <summary>
    /// A ceiling on the area records of the fixed pool (32 bytes each); 0 (the default) sizes
    /// the pool from the span alone (<see cref="PoolCapacity"/>), which no workload can run dry.
    /// Every free block, busy area, lazily freed area, cached area and preload slot holds one;
    /// below the span's need, a pool that runs dry makes an allocation purge, drain and retry,
    /// then fail with <see cref="Status.NoRecords"/>. 0, or at least Cores + 2.
    /// </summary>
    public int MaxAreas;

    /// <summary>Logical cores, 1 to 32 (default 1). One preload slot and one zone each.</summary>
    public int Cores = 1;

    /// <summary>
    /// Pages that may sit lazily freed (unmapped, not yet flushed) before a free triggers a
    /// purge. Default (-1): Linux's fls(cores) * 32 MiB / page size: it grows with log2 of the
    /// cores because purge cost grows with the backlog while the benefit of batching flushes
    /// saturates. Raising it means fewer flushes (throughput) but more address space held and a
    /// longer purge; 0 purges on every free (no laziness). Changeable at run time.
    /// </summary>
    public int LazyMaxPages = DefaultLazyMaxPages;

    /// <summary>
    /// Lazy areas merged back per critical section of a purge (default 32). It bounds the
    /// longest critical section independently of the backlog; lowering it shortens sections
    /// but takes the free-tree lock more often. 0 merges the whole backlog in one section, the
    /// unbounded behaviour of Linux in 2016, kept for comparison.
    /// </summary>
    public int PurgeChunk = 32;

    /// <summary>
    /// Who runs a purge triggered by the lazy threshold, and of what (default
    /// <see cref="Vmap.PurgeMode.Global"/>); see <see cref="Vmap.PurgeMode"/> for each mode's
    /// trade-off. Purges for space and on demand always take every zone's areas with one flush.
    /// </summary>
    public PurgeMode PurgeMode = PurgeMode.Global;

    /// <summary>Critical-section budget in microseconds (default 100); sections over it are counted.</summary>
    public int CsBudgetMicros = 100;

    /// <summary>
    /// Per-core zones (default off): each core caches free areas by size class and keeps its
    /// own lazy list under its own lock, so cores stop contending for the free-tree lock.
    /// Off selects the plain global-lock allocator.
    /// </summary>
    public bool Zones;


    /// <summary>
    /// Largest size class of the zone caches in pages (default 64), 1 to 1024: one class per
    /// page count up to it. Larger requests always go to the free tree.
    /// </summary>
    public int SizeClassLimit = 64;

    /// <summary>How long a drain waits for the other cores, in milliseconds (default 100).</summary>
    public int DrainTimeoutMs = 100;

    /// <summary>
    /// The records the pool is built with: what the span can ever need, capped by
    /// <see cref="MaxAreas"/> (when set) and by the largest heap object. Every busy, lazy or
    /// cached area covers at least 1 + GuardPages pages and free blocks never touch (two
    /// adjacent ones merge), so at most one free block lies between two areas: with guard pages
    /// the ranges number at most 2 (span / (2 + guard)) + 2; without, one per page. Add one
    /// preload slot per core and the record a carve takes before it splits.
    /// </summary>
    public int PoolCapacity()
    {
        long pages = SpanPages;
        long need = (GuardPages == 0 ? pages : 2 * (pages / (2 + GuardPages)) + 2) + Cores + 1;
        if (MaxAreas > 0 && MaxAreas < need) need = MaxAreas;
        return need > MaxPoolCapacity ? MaxPoolCapacity : (int)need;
    }

    /// <summary>The span's size in pages (valid after a successful <see cref="Validate"/>).</summary>
    public int SpanPages => (int)(SpanSize / (ulong)PageSize);

    /// <summary>The threshold this configuration runs with: <see cref="LazyMaxPages"/>, or Linux's default when it is -1.</summary>
    public int EffectiveLazyMaxPages() => LazyMaxPages == DefaultLazyMaxPages ? LinuxDefaultLazyMaxPages() : LazyMaxPages;

    /// <summary>The default LazyMaxPages for this page size and core count.</summary>
    public int LinuxDefaultLazyMaxPages()
    {
        long pages = (long)Fls(Cores) * (32L << 20) / PageSize;
        return pages > int.MaxValue ? int.MaxValue : (int)pages;
    }

    /// <summary>Position of the highest set bit, 1-based (Linux fls): fls(1) = 1, fls(4) = 3.</summary>
    public static int Fls(int x)
    {
        int n = 0;
        while (x != 0)
        {
            n++;
            x = (int)((uint)x >> 1);
        }
        return n;
    }

    /// <summary>True when <paramref name="x"/> is a power of two.</summary>
    public static bool IsPowerOfTwo(ulong x) => x != 0 && (x & (x - 1)) == 0;

    /// <summary>
    /// Checks every value. Returns null when the configuration is usable, else one line naming
    /// the setting, its value and the allowed range.
    /// </summary>
    public string Validate()
    {
        if (PageSize < 256 || PageSize > (1 << 24) || !IsPowerOfTwo((ulong)PageSize))
            return Problem("PageSize", PageSize, "must be a power of two from 256 to 16777216 bytes");
        ulong page = (ulong)PageSize;
        if (SpanStart % page != 0)
            return Problem("SpanStart", "0x" + Hex.Format(SpanStart), "must be a multiple of the page size (" + PageSize + ")");
        if (SpanSize == 0 || SpanSize % page != 0)
            return Problem("SpanSize", SpanSize.ToString(), "must be a non-zero multiple of the page size (" + PageSize + ")");
        if (SpanSize / page > MaxSpanPages)
            return Problem("SpanSize", SpanSize.ToString(), "must be at most 2^30 pages");
        if (SpanStart + (SpanSize - 1) < SpanStart) // the last byte wraps (seed 002: addr + size < addr); ending exactly at 2^64 is fine
            return Problem("SpanSize", SpanSize.ToString(), "makes the span run past the end of the address space");
        if (PurgeMode != PurgeMode.Global && PurgeMode != PurgeMode.Zones && PurgeMode != PurgeMode.Deferred)
            return Problem("PurgeMode", (int)PurgeMode, "must be Global (0), Zones (1) or Deferred (2)");
        if (Cores < 1 || Cores > MaxCores)
            return Problem("Cores", Cores, "must be from 1 to 32");
        if (GuardPages < 0 || GuardPages > 1024 || GuardPages >= SpanPages)
            return Problem("GuardPages", GuardPages, "must be from 0 to 1024 and smaller than the span");
        if (MaxAreas != 0 && MaxAreas < Cores + 2)
            return Problem("MaxAreas", MaxAreas, "must be 0 (sized from the span) or at least Cores + 2 (" + (Cores + 2) + ")");
        if (MaxAreas > MaxPoolCapacity)
            return Problem("MaxAreas", MaxAreas, "makes each of the pool's record arrays " + (MaxAreas + 1) + " ints long, more than the largest object of the nanoFramework heap (" + HeapLimits.MaxArrayInts + " ints): at most " + MaxPoolCapacity);
        if (LazyMaxPages < DefaultLazyMaxPages)
            return Problem("LazyMaxPages", LazyMaxPages, "must be -1 (the default) or from 0 pages up");
        if (PurgeChunk < 0 || PurgeChunk > (1 << 20))
            return Problem("PurgeChunk", PurgeChunk, "must be from 0 (unbounded) to 1048576 areas");
        if (CsBudgetMicros < 1 || CsBudgetMicros > 10000000)
            return Problem("CsBudgetMicros", CsBudgetMicros, "must be from 1 to 10000000 microseconds");
        if (SizeClassLimit < 1 || SizeClassLimit > 1024)
            return Problem("SizeClassLimit", SizeClassLimit, "must be from 1 to 1024 pages");
        if (DrainTimeoutMs < 1 || DrainTimeoutMs > 600000)
            return Problem("DrainTimeoutMs", DrainTimeoutMs, "must be from 1 to 600000 milliseconds");
        return null;
    }

    private static string Problem(string setting, int value, string rule) => Problem(setting, value.ToString(), rule);

    private static string Problem(string setting, string value, string rule) => "setting " + setting + " = " + value + ": " + rule;

    /// <summary>A copy, so a running allocator never sees later edits.</summary>
    public VmapConfig Clone()
    {
        var c = new VmapConfig();
        c.PageSize = PageSize;
        c.SpanStart = SpanStart;
        c.SpanSize = SpanSize;
        c.GuardPages = GuardPages;
        c.MaxAreas = MaxAreas;
        c.Cores = Cores;
        c.LazyMaxPages = LazyMaxPages;
        c.PurgeChunk = PurgeChunk;
        c.PurgeMode = PurgeMode;
        c.CsBudgetMicros = CsBudgetMicros;
        c.Zones = Zones;
        c.SizeClassLimit = SizeClassLimit;
        c.DrainTimeoutMs = DrainTimeoutMs;
        return c;
    }
}
