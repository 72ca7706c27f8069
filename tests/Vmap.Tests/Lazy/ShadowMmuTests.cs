using Vmap.Hal.Sim;
using Xunit.Abstractions;

namespace Vmap.Tests.Lazy;

/// <summary>Regime: the simulated MMU itself; it must catch each misuse the allocator must never commit.</summary>
public sealed class ShadowMmuTests(ITestOutputHelper output)
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
        Assert.Throws<MmuViolationException>(() => m.IsMapped(256)); // the bitmaps' spare words are not pages
        Assert.Throws<MmuViolationException>(() => m.IsMapped(-1));
        Assert.False(m.IsMapped(255));
    }

    [Theory]
    [InlineData(1, 200)]
    [InlineData(2, 200)]
    [InlineData(3, 1000)]
    [InlineData(4, 1000)]
    public void Matches_a_page_by_page_model_through_random_maps_unmaps_and_flushes(int seed, int pages)
    {
        // The MMU keeps its bits a word per 64 pages, a cache line per word: ranges cross words
        // and lines everywhere here, and every refused call must leave every page as it was.
        output.WriteLine($"seed={seed} pages={pages}");
        var m = new ShadowMmu(0x4000_0000, 4096, pages, new CycleClock());
        var mapped = new bool[pages];
        var stale = new bool[pages];
        var rnd = new Random(seed);
        for (int op = 0; op < 6000; op++)
        {
            int count = rnd.Next(1, 200);
            int page = rnd.Next(0, pages - Math.Min(count, pages) + 1);
            count = Math.Min(count, pages - page);
            int kind = rnd.Next(3);
            bool refused = false;
            try
            {
                if (kind == 0) m.Map(page, count);
                else if (kind == 1) m.Unmap(page, count);
                else m.FlushTlb(page, count);
            }
            catch (MmuViolationException)
            {
                refused = true;
            }
            bool expectRefused = false;
            for (int p = page; p < page + count; p++)
            {
                if (kind == 0 && (mapped[p] || stale[p])) expectRefused = true;
                if (kind == 1 && !mapped[p]) expectRefused = true;
            }
            Assert.True(expectRefused == refused, $"seed {seed}, op {op}: {(kind == 0 ? "map" : kind == 1 ? "unmap" : "flush")} of {page}+{count}: refused {refused}, the model says {expectRefused}");
            if (!refused)
            {
                for (int p = page; p < page + count; p++)
                {
                    if (kind == 0) mapped[p] = true;
                    else if (kind == 1) (mapped[p], stale[p]) = (false, true);
                    else stale[p] = false;
                }
            }
            // After a refusal, the range's words must be as they were; now and then, everything.
            int from = op % 500 == 0 ? 0 : Math.Max(0, (page & ~63) - 64);
            int to = op % 500 == 0 ? pages : Math.Min(pages, ((page + count + 63) & ~63) + 64);
            if (refused || op % 500 == 0)
            {
                for (int p = from; p < to; p++) Assert.True(mapped[p] == m.IsMapped(p), $"seed {seed}, op {op}: page {p} mapped {m.IsMapped(p)}, the model says {mapped[p]}");
                Assert.Equal(mapped.Count(x => x), m.MappedPages);
                Assert.Equal(stale.Count(x => x), m.StalePages());
            }
        }
    }
}
