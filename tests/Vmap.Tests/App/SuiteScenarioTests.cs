using Vmap.Hal.Sim;
using Vmap.Suite;

namespace Vmap.Tests.App;

/// <summary>Regime: every portable scenario of the latency suite, as the firmware runs it, on the simulated board with zones off and on.</summary>
public sealed class SuiteScenarioTests
{
    public static TheoryData<string, bool> Cases()
    {
        var d = new TheoryData<string, bool>();
        foreach (Scenario s in LatencySuite.All())
        {
            d.Add(s.Name, false);
            d.Add(s.Name, true);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scenario_runs_frees_everything_and_keeps_the_invariants(string name, bool zones)
    {
        VmapConfig c = Rig.Small(spanPages: 2048, guard: 1, maxAreas: 8192, lazyMaxPages: 64, cores: 2, zones: zones);
        var sim = SimBoard.For(c);
        var a = new Allocator(sim.Board);
        Assert.Equal(Status.Ok, a.Start(c));
        var suite = new LatencySuite(a, sim.Clock, 1024);
        ScenarioResult r = suite.Run(LatencySuite.Find(name)!, 3000, 7);
        Assert.Null(r.Problem);
        Assert.Equal(name, r.Name);
        Assert.True(r.Ops >= 3000, $"only {r.Ops} operations");
        Assert.Equal(r.Allocs, r.Frees);
        Assert.True(r.Allocs > 0);
        Assert.True(r.CsCount > 0 && r.Histogram.Sum() == r.CsCount, "the histogram must account for every section");
        var st = new Stats();
        a.GetStats(st);
        Assert.Equal(0, st.LiveAreas);
        Assert.Equal(0, sim.Mmu.MappedPages);
    }

    [Fact]
    public void The_same_seed_gives_the_same_work()
    {
        static ScenarioResult Once()
        {
            VmapConfig c = Rig.Small(spanPages: 1024, guard: 1, maxAreas: 4096, lazyMaxPages: 32);
            var sim = SimBoard.For(c);
            var a = new Allocator(sim.Board);
            Assert.Equal(Status.Ok, a.Start(c));
            return new LatencySuite(a, sim.Clock, 512).Run(new Soak(), 2000, 42);
        }
        ScenarioResult x = Once(), y = Once();
        // Real work, not two runs that both did nothing.
        Assert.True(x.Ops >= 2000 && x.Allocs > 0 && x.Purges > 0, $"{x.Ops} operations, {x.Allocs} allocations, {x.Purges} purges");
        Assert.Equal((x.Ops, x.Allocs, x.Frees, x.Failures, x.Purges, x.MaxLazyPages), (y.Ops, y.Allocs, y.Frees, y.Failures, y.Purges, y.MaxLazyPages));
    }

    [Fact]
    public void The_compiled_in_board_matches_the_profile_the_build_read()
    {
        // nf.proj.props generated CompiledBoard.g.cs from boards/sim.board (Board defaults to sim).
        Type t = typeof(Vmap.App.FirmwareApp).Assembly.GetType("Vmap.App.CompiledBoard", throwOnError: true)!;
        object? Get(string f) => t.GetField(f)!.GetRawConstantValue();
        var p = Vmap.Sim.Boards.BoardProfile.Load("sim");
        Assert.Equal(p.Name, Get("Name"));
        Assert.Equal(p.Note, Get("Note"));
        Assert.Equal(p.Cores, Get("Cores"));
        Assert.Equal(p.PageSize, Get("PageSize"));
        Assert.Equal(p.SpanStart, Get("SpanStart"));
        Assert.Equal(p.SpanSize, Get("SpanSize"));
        Assert.Equal(p.MaxAreas, Get("MaxAreas"));
        Assert.Equal(p.GuardPages, Get("GuardPages"));
        Assert.Equal(p.LazyMaxPages, Get("LazyMaxPages"));
        Assert.Equal(p.PurgeChunk, Get("PurgeChunk"));
        Assert.Equal(p.SizeClassLimit, Get("SizeClassLimit"));
        Assert.Equal(p.CsBudgetMicros, Get("CsBudgetMicros"));
        VmapConfig compiled = Vmap.App.FirmwareApp.CompiledConfig();
        Assert.Null(compiled.Validate());
        Assert.True(compiled.Zones);
    }
}
