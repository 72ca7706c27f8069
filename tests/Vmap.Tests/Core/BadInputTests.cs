namespace Vmap.Tests.Core;

/// <summary>Regime: bad input at every public entry point. Each gets its status and changes nothing.</summary>
public sealed class BadInputTests
{
    private static (Rig Rig, Stats Before) Busy(bool zones = false)
    {
        var rig = new Rig(Rig.Small(spanPages: 256, guard: 1, cores: zones ? 2 : 1, zones: zones));
        rig.Alloc(3);
        rig.Alloc(5, align: 4);
        rig.Free(rig.Alloc(2));
        return (rig, rig.Stats());
    }

    private static void Unchanged(Rig rig, Stats before)
    {
        Stats after = rig.Stats();
        Assert.Equal(before.Allocs, after.Allocs);
        Assert.Equal(before.Frees, after.Frees);
        Assert.Equal(before.LiveAreas, after.LiveAreas);
        Assert.Equal(before.FreePages, after.FreePages);
        Assert.Equal(before.LazyPages, after.LazyPages);
        Assert.Equal(before.PoolAvailable, after.PoolAvailable);
        rig.Check("after bad input");
    }

    [Theory]
    [InlineData(0UL, 4096UL, Status.InvalidSize)]
    [InlineData(256UL * 4096 + 1, 4096UL, Status.InvalidSize)]
    [InlineData(ulong.MaxValue, 4096UL, Status.InvalidSize)]
    [InlineData(4096UL, 0UL, Status.InvalidAlignment)]
    [InlineData(4096UL, 3UL, Status.InvalidAlignment)]
    [InlineData(4096UL, 4096UL * 3, Status.InvalidAlignment)]
    [InlineData(4096UL, 512UL * 4096, Status.InvalidAlignment)]
    [InlineData(4096UL, 1UL << 63, Status.InvalidAlignment)]
    public void Bad_alloc_arguments_are_refused(ulong size, ulong align, Status expected)
    {
        var (rig, before) = Busy();
        Assert.Equal(expected, rig.A.Alloc(size, align, 0, out ulong address));
        Assert.Equal(0UL, address);
        Unchanged(rig, before);
        Assert.Equal(before.FailInvalid + 1, rig.Stats().FailInvalid);
    }

    [Theory]
    [InlineData(0, 1, Status.InvalidSize)]
    [InlineData(-1, 1, Status.InvalidSize)]
    [InlineData(257, 1, Status.InvalidSize)]
    [InlineData(1, 0, Status.InvalidAlignment)]
    [InlineData(1, 6, Status.InvalidAlignment)]
    [InlineData(1, 512, Status.InvalidAlignment)]
    public void Bad_page_arguments_are_refused(int pages, int align, Status expected)
    {
        var (rig, before) = Busy();
        Assert.Equal(expected, rig.A.AllocPages(pages, align, 0, out int page));
        Assert.Equal(-1, page);
        Unchanged(rig, before);
    }

    [Fact]
    public void Size_of_the_whole_span_with_a_guard_page_is_no_memory_not_an_error()
    {
        var rig = new Rig(Rig.Small(spanPages: 256, guard: 1));
        Assert.Equal(Status.NoSpace, rig.A.AllocPages(256, 1, 0, out _));
        rig.Check();
    }

    [Theory]
    [InlineData(0x3FFF_F000UL, false)]          // below the span
    [InlineData(0x4000_0800UL, false)]          // not page aligned
    [InlineData(0x4000_1000UL, false)]          // inside an area, not its start
    [InlineData(0x4010_0000UL, false)]          // past the span
    [InlineData(0x4000_A000UL, false)]          // free space
    [InlineData(0x3FFF_F000UL, true)]
    [InlineData(0x4000_0800UL, true)]
    [InlineData(0x4000_1000UL, true)]
    [InlineData(0x4010_0000UL, true)]
    [InlineData(0x4000_4000UL, true)]           // a cached area's start: the refill for the 3-page area carved it
    [InlineData(0x400C_8000UL, true)]           // free space, above the refilled runs
    public void Free_of_an_address_that_is_not_an_area_start_is_refused(ulong address, bool zones)
    {
        var (rig, before) = Busy(zones);
        if (zones) Assert.True(before.CachedAreas > 0, "the refills cached nothing");
        Assert.Equal(Status.NotAnArea, rig.A.Free(address));
        Unchanged(rig, before);
        Assert.Equal(before.FailNotAnArea + 1, rig.Stats().FailNotAnArea);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_second_free_is_refused_and_changes_nothing(bool zones)
    {
        var rig = new Rig(Rig.Small(spanPages: 256, guard: 1, lazyMaxPages: 1000, cores: zones ? 2 : 1, zones: zones));
        Assert.Equal(Status.Ok, rig.A.Alloc(4096, 7, out ulong address));
        Assert.Equal(Status.Ok, rig.A.Free(address));
        Stats before = rig.Stats();
        Assert.Equal(Status.NotAnArea, rig.A.Free(address));  // still lazy
        rig.A.Purge();
        Assert.Equal(Status.NotAnArea, rig.A.Free(address));  // back in free space (zones: in the cache)
        if (zones) Assert.True(rig.Stats().PurgedToCaches > 0, "the purge did not cache the area");
        Assert.Equal(before.Frees, rig.Stats().Frees);
        rig.Check();
    }

    [Fact]
    public void Use_before_start_is_refused()
    {
        var cfg = Rig.Small();
        var a = new Allocator(Vmap.Hal.Sim.SimBoard.For(cfg).Board);
        Assert.Equal(Status.NotStarted, a.Alloc(4096, 0, out _));
        Assert.Equal(Status.NotStarted, a.AllocPages(1, 1, 0, out _));
        Assert.Equal(Status.NotStarted, a.Free(0x4000_0000));
        Assert.Equal(Status.NotStarted, a.FreePages(0));
        Assert.Null(a.Validate());
        Assert.Equal(Status.Ok, a.Start(cfg));
        Assert.Equal(Status.AlreadyStarted, a.Start(cfg));
    }

    public static TheoryData<string, Action<VmapConfig>> BadConfigs() => new()
    {
        { "PageSize", c => c.PageSize = 3000 },
        { "PageSize", c => c.PageSize = 128 },
        { "SpanStart", c => c.SpanStart = 0x4000_0800 },
        { "SpanSize", c => c.SpanSize = 0 },
        { "SpanSize", c => c.SpanSize = 4097 },
        { "SpanSize", c => c.SpanSize = (1UL << 31) * 4096 },
        { "SpanSize", c => { c.SpanStart = ulong.MaxValue - 4095; } },
        { "GuardPages", c => c.GuardPages = -1 },
        { "GuardPages", c => c.GuardPages = 1024 },
        { "MaxAreas", c => c.MaxAreas = 2 },
        { "Cores", c => c.Cores = 0 },
        { "Cores", c => c.Cores = 33 },
        { "LazyMaxPages", c => c.LazyMaxPages = -2 },
        { "PurgeChunk", c => c.PurgeChunk = -1 },
        { "CsBudgetMicros", c => c.CsBudgetMicros = 0 },
        { "SizeClassLimit", c => c.SizeClassLimit = 0 },
        { "DrainTimeoutMs", c => c.DrainTimeoutMs = 0 },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void A_bad_configuration_is_refused_naming_the_setting(string setting, Action<VmapConfig> spoil)
    {
        VmapConfig cfg = Rig.Small();
        spoil(cfg);
        var a = new Allocator(Vmap.Hal.Sim.SimBoard.For(Rig.Small()).Board);
        Assert.Equal(Status.InvalidConfig, a.Start(cfg));
        Assert.Contains("setting " + setting, a.ConfigProblem);
        Assert.False(a.IsStarted);
        Assert.Equal(Status.NotStarted, a.AllocPages(1, 1, 0, out _));
    }

    [Fact]
    public void More_cores_than_the_board_has_are_refused()
    {
        var a = new Allocator(Vmap.Hal.Sim.SimBoard.For(Rig.Small(cores: 2)).Board);
        Assert.Equal(Status.InvalidConfig, a.Start(Rig.Small(cores: 4)));
        Assert.Contains("setting Cores", a.ConfigProblem);
    }
}
