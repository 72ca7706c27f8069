using Vmap.Tests.Core;

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
        // cache, as long as the zone may cache: an eighth of the 16-page span, 2 pages, so the
        // run is pages 0-1 and the 2-page area lands at page 2. The 8-page-aligned third takes
        // page 8, which the last (the whole span) then finds busy: ENOMEM.
        var (exit, output, err) = Replay("alloc 1 4096\nalloc 2 5000\nalloc 3 4096 32768\nfree 1\nfree 2\npurge\nalloc 4 65536\n", [.. Small, "--zones"]);
        Assert.Equal("", err);
        Assert.Equal(0, exit);
        Assert.Equal("""
            1 0x10000000
            2 0x10002000
            3 0x10008000
            purge areas=2 pages=3 flush=0x10000000-0x10004000
            4 ENOMEM

            """.ReplaceLineEndings("\n"), output.ReplaceLineEndings("\n"));
    }

    [Theory]
    // zones, span start, span size, guard pages, lazy_max_pages, whether the span runs out
    [InlineData(false, 0x10000000UL, 0x1000000UL, 0, 64, false)]
    [InlineData(false, 0x10003000UL, 0x800000UL, 1, 16, true)]   // half the span the trace is shaped for; alignments off the span's start
    [InlineData(false, 0x10000000UL, 0x1000000UL, 1, 0, false)]  // purge on every free
    [InlineData(true, 0x10000000UL, 0x1000000UL, 0, 64, false)]
    [InlineData(true, 0x10003000UL, 0x800000UL, 1, 16, true)]
    public void A_generated_trace_replays_to_what_the_reference_model_predicts(bool zones, ulong spanStart, ulong spanSize, int guard, int lazyMax, bool runsOut)
    {
        // The trace is shaped for a 16 MiB span: it keeps its live set under half of it.
        string trace = Vmap.Sim.Trace.TraceGenerator.Generate(3000, 11, 4096, 0x1000000);
        string[] options = ["--span-start", $"0x{spanStart:x}", "--span-size", $"0x{spanSize:x}", "--page-size", "4096", "--guard-pages", $"{guard}", "--lazy-max-pages", $"{lazyMax}", .. (zones ? new[] { "--zones" } : [])];
        var (exit, output, err) = Replay(trace, options);
        var check = new ReplayCheck(output, spanStart, (int)(spanSize / 4096), guard, lazyMax, exact: !zones);
        int badFrees = check.Run(trace);
        // A free of an id whose allocation failed is no error: nothing on stderr, exit 0.
        Assert.Equal("", err);
        Assert.Equal(0, exit);
        Assert.Equal(runsOut, badFrees > 0);
        Assert.True(check.Purges > 0, "no purge line");
        Assert.Equal(runsOut, check.Enomem > 0);
        Assert.Equal(output, Replay(trace, options).Out); // and the same every time
    }

    /// <summary>
    /// Walks a trace and the replay's output in step, predicting each line from a model of the
    /// allocator's contract (one core): an allocation takes the lowest fit of its pages plus
    /// guard pages at an absolute alignment (<see cref="Core.RefModel"/>); a free makes its
    /// range lazy, and the free that takes the lazy pages over lazy_max_pages purges; an
    /// allocation that finds no fit purges, then retries once, then prints ENOMEM; a purge
    /// prints the count, mapped pages and covering range of every lazy area and only then
    /// makes them free. With <c>exact</c> (zones off) every line must be the predicted one.
    /// With zones the core's cache moves addresses, so each line is checked against the rules
    /// instead: an address is aligned, inside the span, clear of every live area and of every
    /// range freed since the last purge; ENOMEM only when no hole outside the live areas fits
    /// and nothing is left lazy; each purge line describes exactly the lazy areas.
    /// </summary>
    private sealed class ReplayCheck(string output, ulong spanStart, int spanPages, int guard, int lazyMax, bool exact)
    {
        private const int Page = 4096;
        private readonly string[] _lines = output.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        private readonly RefModel _model = new(spanPages, (long)(spanStart / Page));
        private readonly Dictionary<long, (int Start, int Pages, int Reserve)> _live = [];
        private readonly List<(int Start, int Pages, int Reserve)> _lazy = [];
        private int _next;
        private int _lineNo;

        public int Purges { get; private set; }
        public int Enomem { get; private set; }

        /// <summary>Checks every line; returns how many frees named an id that was not allocated.</summary>
        public int Run(string trace)
        {
            int badFrees = 0;
            foreach (string raw in trace.Split('\n'))
            {
                _lineNo++;
                string[] f = raw.Split('#')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length == 0) continue;
                if (f[0] == "alloc") Alloc(long.Parse(f[1]), ulong.Parse(f[2]), f.Length > 3 ? ulong.Parse(f[3]) : 0);
                else if (f[0] == "free")
                {
                    if (!_live.Remove(long.Parse(f[1]), out var area))
                    {
                        badFrees++;
                        continue;
                    }
                    _lazy.Add(area);
                    if (_lazy.Sum(a => a.Pages) > lazyMax) ExpectPurge();
                }
                else if (f[0] == "purge" && _lazy.Count > 0) ExpectPurge();
            }
            Assert.True(_next == _lines.Length, $"{_lines.Length - _next} lines more than the model predicts, from '{(_next < _lines.Length ? _lines[_next] : "")}'");
            return badFrees;
        }

        private string Take(string what)
        {
            Assert.True(_next < _lines.Length, $"trace line {_lineNo}: the output ended, the model expects {what}");
            return _lines[_next++];
        }

        private void Alloc(long id, ulong bytes, ulong align)
        {
            int pages = (int)((bytes + Page - 1) / Page);
            int alignPages = align <= Page ? 1 : (int)(align / Page);
            int reserve = pages + guard;
            if (exact)
            {
                int fit = _model.LowestFit(reserve, alignPages);
                if (fit < 0 && _lazy.Count > 0)
                {
                    ExpectPurge();
                    fit = _model.LowestFit(reserve, alignPages);
                }
                string expected = fit >= 0 ? $"{id} 0x{spanStart + (ulong)fit * Page:x}" : $"{id} ENOMEM";
                Assert.True(expected == Take(expected), $"trace line {_lineNo}: '{_lines[_next - 1]}', the model says '{expected}'");
                if (fit < 0) Enomem++;
                else
                {
                    _model.Take(fit, reserve);
                    _live[id] = (fit, pages, reserve);
                }
                return;
            }
            if (_next < _lines.Length && _lines[_next].StartsWith("purge ")) ExpectPurge(); // a cache that did not fit may purge first
            string line = Take($"a line for id {id}");
            Assert.True(line.StartsWith($"{id} "), $"trace line {_lineNo}: '{line}' is not the line of id {id}");
            string result = line[(line.IndexOf(' ') + 1)..];
            if (result == "ENOMEM")
            {
                Enomem++;
                Assert.True(_lazy.Count == 0, $"trace line {_lineNo}: ENOMEM with {_lazy.Count} lazy areas not purged");
                var holes = new RefModel(spanPages, (long)(spanStart / Page));
                foreach (var a in _live.Values) holes.Take(a.Start, a.Reserve);
                int fit = holes.LowestFit(reserve, alignPages);
                Assert.True(fit < 0, $"trace line {_lineNo}: ENOMEM for {pages} pages aligned to {alignPages}, but page {fit} starts a hole outside the live areas that fits");
                return;
            }
            ulong address = Convert.ToUInt64(result[2..], 16);
            Assert.True(result.StartsWith("0x") && address >= spanStart && (address - spanStart) % Page == 0, $"trace line {_lineNo}: '{line}'");
            int start = (int)((address - spanStart) / Page);
            Assert.True(((ulong)start + spanStart / Page) % (ulong)alignPages == 0, $"trace line {_lineNo}: '{line}' is not aligned to {alignPages} pages");
            Assert.True(start + reserve <= spanPages, $"trace line {_lineNo}: '{line}' runs past the span");
            foreach (var a in _live.Values.Concat(_lazy))
            {
                Assert.False(start < a.Start + a.Reserve && a.Start < start + reserve,
                    $"trace line {_lineNo}: '{line}' ({reserve} pages) overlaps the {(_lazy.Contains(a) ? "unflushed lazy" : "live")} area at page {a.Start} ({a.Reserve} pages)");
            }
            _live[id] = (start, pages, reserve);
        }

        private void ExpectPurge()
        {
            int low = _lazy.Min(a => a.Start), high = _lazy.Max(a => a.Start + a.Pages);
            string expected = $"purge areas={_lazy.Count} pages={_lazy.Sum(a => a.Pages)} flush=0x{spanStart + (ulong)low * Page:x}-0x{spanStart + (ulong)high * Page:x}";
            Assert.True(expected == Take(expected), $"trace line {_lineNo}: '{_lines[_next - 1]}', the model says '{expected}'");
            foreach (var a in _lazy) _model.FreeLazy(a.Start, a.Reserve);
            _model.Purge();
            _lazy.Clear();
            Purges++;
        }
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

    [Theory]
    [InlineData("esp32")]
    [InlineData("esp32c3")]
    [InlineData("esp32s3")]
    [InlineData("stm32f769")]
    [InlineData("sim")]
    public void A_trace_generated_for_a_board_replays_on_it_without_a_word_on_stderr(string board)
    {
        string path = Path.Combine(_dir, board + ".trace");
        var gen = RunnerCli.Run("gen-trace", "--board", board, "--out", path, "--ops", "20000");
        Assert.True(gen.Exit == 0, gen.Err);
        Assert.Contains($"# board: {board},", File.ReadAllText(path).Split('\n')[1]);
        var (exit, output, err) = RunnerCli.Run("replay", path, "--board", board);
        Assert.Equal("", err);
        Assert.Equal(0, exit);
        Assert.Contains(" 0x", output);
    }

    [Fact]
    public void Replay_warns_in_one_line_when_the_trace_names_another_board()
    {
        string path = Path.Combine(_dir, "f.trace");
        Assert.Equal(0, RunnerCli.Run("gen-trace", "--board", "stm32f769", "--out", path, "--ops", "2000").Exit);
        var (exit, _, err) = RunnerCli.Run("replay", path, "--board", "sim");
        Assert.Equal(0, exit);
        Assert.Equal("warning: the trace was made for board 'stm32f769', replayed with board 'sim'", err.Trim());
    }

    [Fact]
    public void A_free_of_a_failed_allocation_is_silent_and_a_free_of_an_id_never_allocated_is_an_error()
    {
        // 16 pages in the span: id 2 cannot fit, and its free is not an error.
        var (exit, output, err) = Replay("alloc 1 32768\nalloc 2 61440\nfree 2\nfree 1\n", Small);
        Assert.Equal("", err);
        Assert.Equal(0, exit);
        Assert.Contains("2 ENOMEM", output);
        // The failed id's free used it up: a second free of it is an error, as one of an id never allocated.
        (exit, _, err) = Replay("alloc 1 32768\nalloc 2 61440\nfree 2\nfree 2\nfree 9\n", Small);
        Assert.Equal(1, exit);
        Assert.Equal(["line 4: free of id 2, which is not allocated (never allocated, or already freed)",
            "line 5: free of id 9, which is not allocated (never allocated, or already freed)"], err.ReplaceLineEndings("\n").Trim().Split('\n'));
    }

    [Fact]
    public void Endless_or_binary_input_is_refused_with_the_line_not_read_into_memory()
    {
        var (exit, output, err) = RunnerCli.Run("replay", "/dev/zero");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Equal("/dev/zero: line 1: longer than 4096 characters (not a text trace or log?)", err.Trim());

        string path = Path.Combine(_dir, "long.trace");
        File.WriteAllText(path, "alloc 1 4096\n# " + new string('x', 5000) + "\n");
        (exit, _, err) = RunnerCli.Run("replay", path);
        Assert.Equal(2, exit);
        Assert.Contains("line 2: longer than 4096 characters", err);
    }

    [Fact]
    public void Replay_reads_standard_input_for_a_dash()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int exit = Vmap.Sim.Cli.Run(["replay", "-", .. Small], o, e, new StringReader("alloc 1 4096\n"));
        Assert.Equal(0, exit);
        Assert.Equal("1 0x10000000\n", o.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Gen_trace_refuses_a_directory_or_a_missing_directory_before_writing()
    {
        var (exit, _, err) = RunnerCli.Run("gen-trace", "--out", _dir, "--ops", "10");
        Assert.Equal(2, exit);
        Assert.Equal($"option --out: {_dir} is a directory; give a file name", err.Trim());
        (exit, _, err) = RunnerCli.Run("gen-trace", "--out", Path.Combine(_dir, "no", "x.trace"), "--ops", "10");
        Assert.Equal(2, exit);
        Assert.Contains("no such directory", err);
    }
}
