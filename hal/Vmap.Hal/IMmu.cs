namespace Vmap.Hal;

/// <summary>
/// The translation hardware behind the span. Pages are numbered from 0 at the span's start;
/// the MMU knows the span's base address and page size from its construction.
/// <para>
/// Contract: the allocator maps a range after it has reserved it and unmaps it when it is
/// freed; an unmapped range keeps a stale translation in the TLB (or the cache of the MMU)
/// until a flush that covers it has completed, and the allocator never hands a range out
/// again before that. None of these calls is made while an allocator lock is held.
/// </para>
/// <para>
/// Failures: each call returns true when it did what was asked, and false when the hardware
/// failed, having changed nothing the allocator relies on (see each call). A false is an
/// expected outcome the allocator turns into a <c>Status</c>; it never throws for one (on the
/// nanoFramework interpreter, exception handling on every map and unmap is slow). An
/// implementation may throw only for a broken contract (a map over a mapped page, an unmap of
/// an unmapped one, a map before the flush after an unmap): that is a bug in the allocator,
/// not a hardware failure, and the allocator does not recover from it.
/// </para>
/// </summary>
public interface IMmu
{
    /// <summary>
    /// Installs translations for <paramref name="count"/> pages from <paramref name="page"/>:
    /// all of them and returns true, or none of them and returns false (the allocator then
    /// takes the range back unmapped and reports <c>Status.MapFailed</c>).
    /// </summary>
    bool Map(int page, int count);

    /// <summary>
    /// Removes the translations of a mapped range (the TLB may still hold them) and returns
    /// true, or returns false with the whole range still mapped (the allocator then keeps the
    /// area allocated and reports <c>Status.UnmapFailed</c>).
    /// </summary>
    bool Unmap(int page, int count);

    /// <summary>
    /// Flushes every cached translation of the range (Linux flush_tlb_kernel_range) and returns
    /// true, or returns false when the flush failed: the range then counts as still unflushed
    /// (the allocator keeps the purged batch queued, whole, and reports <c>Status.FlushFailed</c>).
    /// The expensive call that lazy freeing batches; its cost is part of the board's profile.
    /// </summary>
    bool FlushTlb(int page, int count);
}
