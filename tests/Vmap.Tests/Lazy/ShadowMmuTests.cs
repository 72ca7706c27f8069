using Vmap.Hal.Sim;

namespace Vmap.Tests.Lazy;

/// <summary>Regime: the simulated MMU itself; it must catch each misuse the allocator must never commit.</summary>
public sealed class ShadowMmuTests
{
    private static ShadowMmu Mmu() => new(0x4000_0000, 4096, 256, new CycleClock());

    [Fact]
    public void Mapping_a_mapped_page_fails_naming_the_page()
    {
        var m = Mmu();
        m.Map(10, 4);
        var e = Assert.Throws<MmuViolationException>(() => m.Map(12, 4));
        Assert.Contains("map of page 12 (0x4000c000)", e.Message);
        Assert.Contains("still mapped", e.Message);
    }

    [Fact]
    public void Unmapping_an_unmapped_page_fails_naming_the_page()
    {
        var m = Mmu();
        m.Map(0, 70);
        var e = Assert.Throws<MmuViolationException>(() => m.Unmap(60, 20));
        Assert.Contains("unmap of page 70", e.Message);
    }

    [Fact]
    public void Mapping_before_the_flush_after_an_unmap_fails_and_the_flush_clears_it()
    {
        var m = Mmu();
        m.Map(100, 130);
        m.Unmap(100, 130);
        Assert.Equal(130, m.StalePages());
        var e = Assert.Throws<MmuViolationException>(() => m.Map(229, 1));
        Assert.Contains("stale translation", e.Message);
        m.FlushTlb(100, 129);
        Assert.Throws<MmuViolationException>(() => m.Map(229, 1));
        m.FlushTlb(229, 1);
        m.Map(100, 130);
        Assert.Equal(2, m.Flushes);
        Assert.Equal(130, m.FlushedPages);
    }

    [Fact]
    public void A_flush_is_charged_the_board_cost()
    {
        var clock = new CycleClock();
        var m = new ShadowMmu(0, 4096, 64, clock, flushFixedMicros: 2000, flushPerPageMicros: 100);
        long t0 = clock.Ticks;
        m.FlushTlb(0, 10);
        double micros = (clock.Ticks - t0) * 1e6 / clock.TicksPerSecond;
        Assert.True(micros >= 2900, $"flush took {micros} us, the board charges 3000");
    }

    [Fact]
    public void Out_of_span_ranges_fail()
    {
        var m = Mmu();
        Assert.Throws<MmuViolationException>(() => m.Map(250, 7));
        Assert.Throws<MmuViolationException>(() => m.FlushTlb(-1, 2));
    }
}
