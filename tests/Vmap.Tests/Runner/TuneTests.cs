using Vmap.Sim.Boards;
using Vmap.Sim.Tune;

namespace Vmap.Tests.Runner;

/// <summary>Regime: the tuner's choice on synthetic sweeps, the profile writer, and tune --write end to end.</summary>
public sealed class TuneTests
{
    private static TunePoint P(int lazy, int chunk, double cs, double ops, double flushes, long lazyPages) => new(lazy, chunk, cs, ops, flushes, lazyPages);

    [Fact]
    public void The_tuner_picks_the_fastest_setting_within_the_budget_and_the_lazy_cap()
    {
        // span 1024 pages: at most 256 lazily held pages; budget 50 us.
        TunePoint[] sweep =
        [
            P(16, 16, 8, 100_000, 60, 20),
            P(64, 16, 12, 150_000, 15, 70),      // chosen: fastest eligible
            P(64, 0, 900, 155_000, 15, 70),      // faster, but one unbounded section of 900 us
            P(256, 16, 20, 160_000, 4, 300),     // faster, but holds more than a quarter of the span
            P(64, 1, 45, 150_000, 15, 70),       // same speed, longer section: the tie goes to the shorter
            P(32, 4, 30, 149_000, 30, 40),       // within 2 % of the best but a longer section: loses the tie
        ];
        var (best, why) = Tuner.Choose(sweep, 50, 1024, 4096);
        Assert.Same(sweep[1], best);
        Assert.Contains("lazy_max_pages 64 with purge_chunk 16", why);
        Assert.Contains("1 settings went over the budget", why);
        Assert.Contains("unbounded purge section took 900.0 us", why);
        Assert.Contains("1 more were fast enough but held too much", why);
    }

    [Fact]
    public void When_nothing_qualifies_the_tuner_says_so_and_names_the_least_bad_point()
    {
        TunePoint[] sweep = [P(4, 1, 80, 10, 100, 4), P(8, 1, 70, 20, 50, 8)];
        var (best, why) = Tuner.Choose(sweep, 50, 64, 4096);
        Assert.Null(best);
        Assert.Contains("No setting keeps every critical section within 50 us", why);
        Assert.Contains("70.0 us (lazy_max_pages 8, purge_chunk 1)", why);
    }

    [Fact]
    public void The_sweep_runs_from_a_few_pages_to_a_quarter_of_the_span()
    {
        Assert.Equal([4, 8, 16], Tuner.LazyValues(64));
        int[] big = Tuner.LazyValues(524288); // stb-arm64: never the whole span (2 GiB)
        Assert.True(big.Length <= 8);
        Assert.Equal(4, big[0]);
        Assert.Equal(131072, big[^1]);
        Assert.Equal([1], Tuner.LazyValues(2));
    }

    [Fact]
    public void A_threshold_above_a_quarter_of_the_span_is_never_chosen_even_if_the_workload_held_less()
    {
        // The fastest point's threshold is half the span, though the short workload held only 8 pages.
        TunePoint[] sweep = [P(16, 4, 10, 100, 10, 8), P(32, 4, 10, 200, 5, 8)];
        var (best, why) = Tuner.Choose(sweep, 50, 64, 4096);
        Assert.NotNull(best);
        Assert.Equal(16, best!.LazyMaxPages);
        Assert.Contains("1 more were fast enough but held too much", why);
    }

    [Fact]
    public void The_profile_writer_changes_values_and_keeps_everything_else()
    {
        string text = "# header comment\nname = x\n\n  lazy_max_pages   =  32   # trailing comment\r\npurge_chunk=4\n# end\n";
        string updated = ProfileWriter.Update(text, new Dictionary<string, string> { ["lazy_max_pages"] = "128", ["purge_chunk"] = "16" });
        Assert.Equal("# header comment\nname = x\n\n  lazy_max_pages   =  128   # trailing comment\r\npurge_chunk=16\n# end\n", updated);
        Assert.Throws<ProfileException>(() => ProfileWriter.Update(text, new Dictionary<string, string> { ["cores"] = "2" }));
    }
}

[CollectionDefinition("boards directory", DisableParallelization = true)]
public sealed class BoardsDirectoryCollection;

/// <summary>Regime: tune --write on a profile given by path in a private folder, run alone.</summary>
[Collection("boards directory")]
public sealed class TuneWriteTests
{
    [Fact]
    public void Tune_write_updates_the_profile_in_place_and_it_still_loads()
    {
        string dir = Directory.CreateTempSubdirectory("vmap-boards").FullName;
        string before = """
            # a tiny board for the test
            name = tiny
            note = sixteen pages
            nanoff_target = virtual
            cores = 1
            page_size = 4096
            span_start = 0x10000000
            span_size = 0x10000
            max_areas = 256
            guard_pages = 0
            # the value the tuner replaces
            lazy_max_pages = 16
            purge_chunk = 0
            size_class_limit = 4
            flush_fixed_us = 1
            flush_per_page_us = 0
            cs_budget_us = 100000
            cs_fixed_us = 10
            cs_unit_us = 2
            """.ReplaceLineEndings("\n");
        File.WriteAllText(Path.Combine(dir, "tiny.board"), before);
        try
        {
            var o = new StringWriter();
            var e = new StringWriter();
            int exit = Vmap.Sim.Cli.Run(["tune", "--board", Path.Combine(dir, "tiny.board"), "--ops", "60", "--svg", Path.Combine(dir, "t.svg"), "--write"], o, e);
            Assert.True(exit == 0, e.ToString() + o);
            string after = File.ReadAllText(Path.Combine(dir, "tiny.board"));
            BoardProfile p = BoardProfile.Parse(after, "tiny.board");
            Assert.Contains("wrote lazy_max_pages", o.ToString());
            // The throughput chart names the chosen bar in text, not by colour alone.
            Assert.Contains(o.ToString().Split('\n'), l => l.Contains('|') && l.TrimEnd().EndsWith("<- chosen"));
            Assert.Contains("# the value the tuner replaces", after);
            Assert.True(p.LazyMaxPages <= 4, "the tuner must keep the lazily held space within a quarter of the 16-page span");
            Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(dir, "t.svg")));
            // Written by a rename over the profile: no temporary file is left beside it.
            Assert.Equal(new[] { "t.svg", "tiny.board" }, Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).Order().ToArray());
            // Only the two tuned lines changed.
            var diff = before.Split('\n').Zip(after.Split('\n')).Where(x => x.First != x.Second).Select(x => x.First.Split('=')[0].Trim()).ToList();
            Assert.True(diff.All(k => k is "lazy_max_pages" or "purge_chunk"), string.Join(",", diff));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
