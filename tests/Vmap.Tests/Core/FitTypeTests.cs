namespace Vmap.Tests.Core;

/// <summary>
/// Regime: one core, guard 0, a 64-page span. Each test sets up the free block of its picture
/// and checks the fit type, where the area lands and what stays free.
/// </summary>
public sealed class FitTypeTests
{
    private static Rig NewRig(int maxAreas = 64) => new(Rig.Small(spanPages: 64, guard: 0, maxAreas: maxAreas, lazyMaxPages: 0));

    [Fact]
    public void Full_fit_takes_the_whole_block()
    {
        // |VVVVVVVV| : the span is one 64-page block; a 64-page area takes all of it.
        var rig = NewRig();
        Assert.Equal(0, rig.Alloc(64));
        Stats s = rig.Stats();
        Assert.Equal(1, s.Fits[(int)FitType.Full]);
        Assert.Equal(0, s.FreePages);
        rig.Check();
    }

    [Fact]
    public void Left_edge_fit_shrinks_the_block_from_the_left()
    {
        // |VVVV|RRRRRRRR|
        var rig = NewRig();
        Assert.Equal(0, rig.Alloc(4));
        Stats s = rig.Stats();
        Assert.Equal(1, s.Fits[(int)FitType.LeftEdge]);
        Assert.Equal(60, s.LargestFreeBlock);
        rig.Check();
    }

    [Fact]
    public void Right_edge_fit_shrinks_the_block_from_the_right()
    {
        // |LLLLLLLL|VVVV| : a block of 12 pages at [4, 16) whose last 8 are 8-aligned.
        var rig = NewRig();
        int a = rig.Alloc(4);     // [0, 4)
        int b = rig.Alloc(12);    // [4, 16)
        rig.Alloc(48);            // [16, 64): the span is full
        rig.Free(b);
        rig.A.Purge();            // free: [4, 16)
        Assert.Equal(8, rig.Alloc(8, align: 8)); // [8, 16): the tail of the block
        Stats s = rig.Stats();
        Assert.Equal(1, s.Fits[(int)FitType.RightEdge]);
        Assert.Equal(4, s.FreePages);
        _ = a;
        rig.Check();
    }

    [Fact]
    public void No_edge_fit_uses_the_preload_slot_for_the_right_remainder()
    {
        // |LL|VVVV|RRRRRR| : an 8-aligned area inside the block [2, 64).
        var rig = NewRig();
        rig.Alloc(2);                          // [0, 2)
        Assert.Equal(8, rig.Alloc(4, align: 8)); // [8, 12): L = [2, 8), R = [12, 64)
        Stats s = rig.Stats();
        Assert.Equal(1, s.Fits[(int)FitType.NoEdge]);
        Assert.Equal(1, s.PreloadHits);
        Assert.Equal(0, s.PreloadMisses);
        Assert.Equal(52, s.LargestFreeBlock);
        Assert.Equal(58, s.FreePages);
        rig.Check();
    }

    [Fact]
    public void No_edge_split_with_an_empty_pool_fails_cleanly_and_changes_nothing()
    {
        // Pool of 3 records: the span block, one busy area and... nothing for the split.
        var rig = NewRig(maxAreas: 3);
        rig.Alloc(2);   // left edge: record 2 becomes the busy area; record 3 goes to the preload slot
        // Exhaust the pool: the preload slot took the last record; the next left-edge alloc has none.
        Status s = rig.A.AllocPages(1, 1, 0, out int page);
        Assert.Equal(Status.NoRecords, s);
        Assert.Equal(-1, page);
        Stats before = rig.Stats();
        s = rig.A.AllocPages(4, 8, 0, out _); // a no-edge split would need two records
        Assert.Equal(Status.NoRecords, s);
        Stats after = rig.Stats();
        Assert.Equal(before.FreePages, after.FreePages);
        Assert.Equal(before.LiveAreas, after.LiveAreas);
        Assert.Equal(2, after.FailNoRecords);
        rig.Check();
    }

    [Fact]
    public void Freed_ranges_merge_with_both_neighbours()
    {
        // |<-prev->|<-area->|<-next->|  ->  one block.
        var rig = NewRig();
        int a = rig.Alloc(8), b = rig.Alloc(8), c = rig.Alloc(8);
        rig.Alloc(40);
        rig.Free(a);
        rig.Free(c);
        rig.A.Purge();
        Assert.Equal(16, rig.Stats().FreePages);
        Assert.Equal(8, rig.Stats().LargestFreeBlock);
        rig.Free(b);
        rig.A.Purge();
        Assert.Equal(24, rig.Stats().LargestFreeBlock);
        rig.Check();
    }

    [Fact]
    public void An_exact_aligned_fit_is_found_where_size_plus_align_minus_one_would_miss_it()
    {
        // Seed 002's trap: the only free block is exactly 16 pages at a 16-aligned start.
        // Searching for 16 + 16 - 1 pages would skip it.
        var rig = NewRig();
        rig.Alloc(16);            // [0, 16)
        int hole = rig.Alloc(16); // [16, 32)
        rig.Alloc(32);            // [32, 64)
        rig.Free(hole);
        rig.A.Purge();
        Assert.Equal(16, rig.Alloc(16, align: 16));
        rig.Check();
    }

    [Fact]
    public void Guard_pages_follow_every_area()
    {
        var rig = new Rig(Rig.Small(spanPages: 64, guard: 2, maxAreas: 64));
        Assert.Equal(0, rig.Alloc(3));
        Assert.Equal(5, rig.Alloc(3));
        Stats s = rig.Stats();
        Assert.Equal(6, s.LivePages);
        Assert.Equal(54, s.FreePages);
        Assert.Equal(4, s.GuardPages);
        Assert.False(rig.Sim.Mmu.IsMapped(3));
        Assert.False(rig.Sim.Mmu.IsMapped(4));
        Assert.True(rig.Sim.Mmu.IsMapped(5));
        rig.Check();
    }

    [Fact]
    public void Vmallocinfo_lists_busy_areas_in_address_order()
    {
        var rig = new Rig(Rig.Small(spanPages: 64, guard: 1));
        rig.Alloc(2, tag: 7);
        rig.Alloc(1, tag: 9);
        string[] lines = rig.A.VmallocInfo().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["0x40000000-0x40002000 8192 pages=2 core=0 tag=7", "0x40003000-0x40004000 4096 pages=1 core=0 tag=9"], lines);
    }

    [Theory]
    [InlineData(10, true)]   // fewer misaligned candidates than one step rejects
    [InlineData(40, true)]   // more: the search goes on in a second step
    [InlineData(40, false)]  // and no block of the padded size (4 + 4 - 1) exists at all
    public void Aligned_search_finds_the_exact_lowest_fit_past_any_number_of_misaligned_candidates(int holes, bool freeTail)
    {
        // |k|hhhhh|kk|k|hhhhh|kk| ... |filler|4-page hole at 1024|k| tail (free or full) |
        // Each h is a 5-page hole starting at 8i + 1: big enough for 4 pages, but its only
        // 4-aligned start (8i + 4) leaves 2 pages: a candidate the exact search must reject.
        // Searching with the padded size (Linux) would take the tail, or report no space.
        var rig = new Rig(Rig.Small(spanPages: 2048, guard: 0, maxAreas: 4096, lazyMaxPages: 100_000));
        var holesToFree = new List<int>();
        for (int i = 0; i < holes; i++)
        {
            rig.Alloc(1);
            holesToFree.Add(rig.Alloc(5));
            rig.Alloc(2);
        }
        rig.Alloc(1024 - 8 * holes);                          // up to page 1024
        int aligned = rig.Alloc(4);                           // [1024, 1028): an exactly fitting aligned hole
        Assert.Equal(1024, aligned);
        rig.Alloc(1);
        if (!freeTail) rig.Alloc(2048 - 1029);                // the span is full
        foreach (int h in holesToFree) rig.Free(h);
        rig.Free(aligned);
        rig.A.Purge();

        int sectionsBefore = rig.Stats().TreeLock.Count;
        Assert.Equal(1024, rig.Alloc(4, align: 4));
        int sections = rig.Stats().TreeLock.Count - sectionsBefore - 1; // GetStats's own section
        // Zones off: the carve's sections, one per step of at most MaxRejections (32) rejections.
        Assert.Equal(holes <= 32 ? 1 : 2, sections);
        Assert.Equal(0, rig.Stats().FailNoSpace);
        rig.Check();
    }
}
