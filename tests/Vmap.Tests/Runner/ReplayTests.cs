namespace Vmap.Tests.Runner;

/// <summary>Regime: the replay contract of DESIGN.md, through the runner's command line.</summary>
public sealed class ReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmap-replay").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private (int Exit, string Out, string Err) Replay(string trace, params string[] options)
    {
        string path = Path.Combine(_dir, "t.trace");
        File.WriteAllText(path, trace);
        var o = new StringWriter();
        var e = new StringWriter();
        int exit = Vmap.Sim.Cli.Run(["replay", path, .. options], o, e);
        return (exit, o.ToString(), e.ToString());
    }

    private static readonly string[] Small = ["--span-start", "0x10000000", "--span-size", "0x10000", "--page-size", "4096", "--guard-pages", "0", "--lazy-max-pages", "8"];

    [Fact]
    public void Allocations_print_addresses_and_purges_print_their_range()
    {
        var (exit, output, err) = Replay("""
            # sixteen pages in all
            alloc 1 4096
            alloc 2 5000        # rounds up to two pages
            alloc 3 4096 32768  # aligned to 8 pages
            free 1
            free 2
            purge
            alloc 4 65536
            """, Small);
        Assert.Equal("", err);
        Assert.Equal(0, exit);
        Assert.Equal("""
            1 0x10000000
            2 0x10001000
            3 0x10008000
            purge areas=2 pages=3 flush=0x10000000-0x10003000
            4 ENOMEM

            """.ReplaceLineEndings("\n"), output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Threshold_and_overflow_purges_are_printed_whatever_triggered_them()
    {
        var (exit, output, _) = Replay("""
            alloc 1 36864
            alloc 2 28672
            free 1
            free 2
            alloc 3 65536
            """, Small);
        Assert.Equal(0, exit);
        Assert.Equal("""
            1 0x10000000
            2 0x10009000
            purge areas=1 pages=9 flush=0x10000000-0x10009000
            purge areas=1 pages=7 flush=0x10009000-0x10010000
            3 0x10000000

            """.ReplaceLineEndings("\n"), output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void With_zones_the_cache_refill_places_areas_and_the_lines_are_the_same_kinds()
    {
        // Zones on one core: the first 1-page allocation carves a run of 1-page areas for the
        // cache (pages 0-7), so the 2-page area lands at page 8, and the 8-page-aligned page
        // the third wants (0 or 8) is taken: ENOMEM after the drain gave the run back.
        var (exit, output, err) = Replay("alloc 1 4096\nalloc 2 5000\nalloc 3 4096 32768\nfree 1\nfree 2\npurge\nalloc 4 65536\n", [.. Small, "--zones"]);
        Assert.Equal("", err);
        Assert.Equal(0, exit);
        Assert.Equal("""
            1 0x10000000
            2 0x10008000
            3 ENOMEM
            purge areas=2 pages=3 flush=0x10000000-0x1000a000
            4 0x10000000

            """.ReplaceLineEndings("\n"), output.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Zones_on_or_off_a_generated_trace_replays_to_contract_lines_the_same_every_time(bool zones)
    {
        // The generator keeps its live set under half the span, so every free is of a live id.
        string trace = Vmap.Sim.Trace.TraceGenerator.Generate(3000, 11, 4096, 0x1000000);
        string[] options = ["--span-start", "0x10000000", "--span-size", "0x1000000", "--page-size", "4096", "--guard-pages", "0", "--lazy-max-pages", "64", .. (zones ? new[] { "--zones" } : [])];
        var (exit, output, err) = Replay(trace, options);
        Assert.Equal("", err);
        Assert.Equal(0, exit);
        var line = new System.Text.RegularExpressions.Regex(@"^(\d+ (0x1[0-9a-f]{7}|ENOMEM)|purge areas=\d+ pages=\d+ flush=0x[0-9a-f]+-0x[0-9a-f]+)$");
        string[] lines = output.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.All(lines, l => Assert.Matches(line, l));
        int allocs = trace.Split('\n').Count(l => l.StartsWith("alloc "));
        Assert.Equal(allocs, lines.Count(l => !l.StartsWith("purge")));
        Assert.Contains(lines, l => l.StartsWith("purge"));
        Assert.Equal(output, Replay(trace, options).Out);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_bad_free_is_reported_with_its_line_changes_nothing_and_exits_1(bool zones)
    {
        var (exit, output, err) = Replay("alloc 1 4096\nfree 7\nfree 1\nfree 1\nalloc 2 4096\n", zones ? [.. Small, "--zones"] : Small);
        Assert.Equal(1, exit);
        Assert.Contains("line 2: free of id 7", err);
        Assert.Contains("line 4: free of id 1", err);
        Assert.Equal("1 0x10000000\n2 0x10001000\n", output.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("alloc 1\n", 1, "expected 'alloc")]
    [InlineData("alloc 1 4096\nalloc 2 0\n", 2, "size must be at least 1 byte")]
    [InlineData("alloc 1 4096 3000\n", 1, "not a power of two")]
    [InlineData("alloc 1 0x1000\n", 1, "not a decimal number")]
    [InlineData("alloc -1 4096\n", 1, "id '-1'")]
    [InlineData("\n\nfrobnicate 3\n", 3, "unknown operation 'frobnicate'")]
    [InlineData("purge now\n", 1, "takes no arguments")]
    [InlineData("free\n", 1, "expected 'free <id>'")]
    [InlineData("alloc 1 99999999999999999999999\n", 1, "not a decimal number")]
    [InlineData("alloc 1 1048576\n", 1, "larger than the span")]
    [InlineData("alloc 1 4096 1048576\n", 1, "alignment 1048576 is larger than the span")]
    public void A_malformed_line_rejects_the_whole_trace_before_anything_runs(string trace, int line, string what)
    {
        var (exit, output, err) = Replay("alloc 100 4096\n" + trace, Small);
        Assert.Equal(2, exit);
        Assert.Equal("", output); // not even the first, valid line ran
        Assert.StartsWith($"line {line + 1}: ", err);
        Assert.Contains(what, err);
    }

    [Fact]
    public void Options_take_decimal_or_hex_and_bad_values_are_one_line_errors()
    {
        Assert.Equal(0, Replay("alloc 1 4096\n", "--span-size", "65536", "--span-start", "268435456").Exit);
        var (exit, _, err) = Replay("alloc 1 4096\n", "--span-size", "12x");
        Assert.Equal(2, exit);
        Assert.Contains("--span-size", err);
        (exit, _, err) = Replay("alloc 1 4096\n", "--page-size", "3000");
        Assert.Equal(2, exit);
        Assert.Contains("setting PageSize", err);
        (exit, _, err) = Replay("alloc 1 4096\n", "--board", "nosuch");
        Assert.Equal(2, exit);
        Assert.Contains("no such board 'nosuch'", err);
    }

    [Fact]
    public void Board_gives_every_setting_and_explicit_options_override_it()
    {
        var (exit, output, _) = Replay("alloc 1 1\nalloc 2 1\n", "--board", "esp32");
        Assert.Equal(0, exit);
        Assert.Equal("1 0x3f800000\n2 0x3f810000\n", output.ReplaceLineEndings("\n")); // 64 KiB pages, no guard
        (exit, output, _) = Replay("alloc 1 1\nalloc 2 1\n", "--board", "esp32", "--guard-pages", "1");
        Assert.Equal("1 0x3f800000\n2 0x3f820000\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Missing_trace_file_is_a_one_line_error()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(2, Vmap.Sim.Cli.Run(["replay", Path.Combine(_dir, "none.trace")], o, e));
        Assert.Contains("no such file", e.ToString());
    }
}
