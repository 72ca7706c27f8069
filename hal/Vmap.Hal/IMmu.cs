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
/// </summary>
public interface IMmu
{
    /// <summary>
    /// Installs translations for <paramref name="count"/> pages from <paramref name="page"/>:
    /// all of them or, when it throws, none (the allocator then takes the range back unmapped).
    /// </summary>
    void Map(int page, int count);

    /// <summary>Removes the translations of a mapped range (the TLB may still hold them).</summary>
    void Unmap(int page, int count);

    /// <summary>
    /// Flushes every cached translation of the range (Linux flush_tlb_kernel_range). The
    /// expensive call that lazy freeing batches; its cost is part of the board's profile.
    /// </summary>
    void FlushTlb(int page, int count);
}
