using Vmap.Sim.Report;

namespace Vmap.Tests.Runner;

/// <summary>Regime: the results log the firmware prints, through run --emit-log and report.</summary>
public sealed class ReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmap-report").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Exit, string Out, string Err) Cli(params string[] args) => RunnerCli.Run(args);

    private string EmitEsp32Log()
    {
        string log = Path.Combine(_dir, "esp32.log");
        var (exit, _, err) = Cli("run", "--board", "esp32", "--ops", "400", "--emit-log", log);
        Assert.True(exit == 0, err);
        return log;
    }

    [Fact]
    public void Emit_then_report_gives_the_same_figures()
    {
        string log = Path.Combine(_dir, "esp32.log");
        var (exit, runOut, err) = Cli("run", "--board", "esp32", "--ops", "400", "--emit-log", log);
        Assert.True(exit == 0, err);
        var (rexit, reportOut, rerr) = Cli("report", log);
        Assert.True(rexit == 0, rerr);
        // The same table, chart and verdict: run's output is report's plus the line naming the log
        // file, with the measured times labelled "host" (the simulated board's) where report says
        // "measured" (the board's clock); the tables' widths follow the labels.
        static string Cells(string text) => string.Join('\n', text.Replace("host", "measured").Split('\n')
            .Where(l => !l.StartsWith("log: "))
            .Select(l => string.Join('|', l.Split('│', '|').Select(c => string.Join(' ', c.Replace("─", "").Replace("--", "").Split(' ', StringSplitOptions.RemoveEmptyEntries))))));
        Assert.Equal(Cells(runOut), Cells(reportOut));
        Assert.Contains("latency suite", reportOut);
        Assert.Contains("critical sections by duration", reportOut);
        Assert.Contains("verdict:", reportOut);

        // And the parsed figures equal what the log's lines say.
        SuiteRun run = SuiteLogReader.Parse(File.ReadAllText(log), log);
        Assert.Equal("esp32", run.Header.Board);
        Assert.Equal(8, run.Scenarios.Count);
        string fixSize = File.ReadAllLines(log).Single(l => l.StartsWith("VMAP SCENARIO name=fix_size "));
        var s = run.Scenarios[0];
        Assert.Contains($" ops={s.Ops} allocs={s.Allocs} frees={s.Frees} ", fixSize);
        Assert.Contains($" cs_max_ns={s.CsMaxNanos} ", fixSize);
    }

    [Fact]
    public void Garbage_around_the_block_is_ignored()
    {
        string log = EmitEsp32Log();
        string text = "ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET)\nI (31) boot: ESP-IDF v5.1\n"
            + string.Join("\n", File.ReadAllLines(log).Select((l, i) => i % 2 == 0 ? "[00:01:0" + i % 10 + "] " + l : l))
            + "\nnanoFramework: ready\n\u0000\u00ff garbage\n";
        string noisy = Path.Combine(_dir, "noisy.log");
        File.WriteAllText(noisy, text);
        var (exit, output, err) = Cli("report", noisy);
        Assert.True(exit == 0, err);
        Assert.Contains("board esp32", output);
    }

    [Theory]
    [InlineData("truncate", "cut short: no VMAP END line")]
    [InlineData("drop-field", "field 'cs_max_ns' is missing")]
    [InlineData("bad-number", "elapsed_us: 'soon' is not a whole number")]
    [InlineData("bad-hist", "hist has 3 buckets")]
    [InlineData("unknown-line", "unknown VMAP line 'BOGUS'")]
    [InlineData("empty", "no results block")]
    public void A_broken_block_is_an_error_naming_the_line(string damage, string what)
    {
        string[] lines = File.ReadAllLines(EmitEsp32Log());
        int target = Array.FindIndex(lines, l => l.StartsWith("VMAP SCENARIO name=random_size "));
        switch (damage)
        {
            case "truncate": lines = lines[..(target + 1)]; break;
            case "drop-field": lines[target] = System.Text.RegularExpressions.Regex.Replace(lines[target], @" cs_max_ns=\d+", ""); break;
            case "bad-number": lines[target] = System.Text.RegularExpressions.Regex.Replace(lines[target], @"elapsed_us=\d+", "elapsed_us=soon"); break;
            case "bad-hist": lines[target] = System.Text.RegularExpressions.Regex.Replace(lines[target], @"hist=[0-9,]+", "hist=1,2,3"); break;
            case "unknown-line": lines[target] = "VMAP BOGUS x=1"; break;
            case "empty": lines = ["nothing to see here"]; break;
        }
        string broken = Path.Combine(_dir, "broken.log");
        File.WriteAllText(broken, string.Join('\n', lines));
        var (exit, output, err) = Cli("report", broken);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains(what, err);
        int expectedLine = damage switch { "truncate" => lines.Length, "empty" => 1, _ => target + 1 };
        Assert.StartsWith($"{broken}:{expectedLine}: ", err);
    }

    [Fact]
    public void Report_can_judge_against_another_boards_budget()
    {
        var (exit, output, err) = Cli("report", EmitEsp32Log(), "--board", "stm32f769");
        Assert.Equal(0, exit);
        Assert.Equal("warning: the log comes from board 'esp32', judged against board 'stm32f769'", err.Trim());
        Assert.Contains("3000 us budget", output); // stm32f769's, not the log's 5000
    }

    [Fact]
    public void Against_a_lower_budget_the_verdict_names_the_longest_section_and_a_lower_bound()
    {
        // The esp32 board counted its sections against its own 5000 us budget. Make one section
        // of the first scenario 4500 us (bucket 13, [4096, 8192) us): within 5000, over stm32f769's 3000.
        string log = EmitEsp32Log();
        string[] lines = File.ReadAllLines(log);
        int i = Array.FindIndex(lines, l => l.StartsWith("VMAP SCENARIO "));
        string[] words = lines[i].Split(' ');
        for (int w = 0; w < words.Length; w++)
        {
            if (words[w].StartsWith("cs_max_ns=")) words[w] = "cs_max_ns=4500000";
            if (words[w].StartsWith("hist="))
            {
                int[] hist = words[w]["hist=".Length..].Split(',').Select(int.Parse).ToArray();
                hist[0]--;
                hist[13]++;
                words[w] = "hist=" + string.Join(',', hist);
            }
        }
        lines[i] = string.Join(' ', words);
        File.WriteAllLines(log, lines);

        // Measured time is what this test changed: judge on it (--host-time), not on the model.
        var (exit, output, _) = Cli("report", log, "--host-time");
        Assert.Equal(0, exit);
        Assert.Contains("verdict: PASS", output);

        (exit, output, _) = Cli("report", log, "--board", "stm32f769", "--host-time");
        Assert.Equal(1, exit); // a FAIL verdict exits 1
        Assert.Contains("verdict: FAIL: the longest critical section took 4500 us, over the 3000 us budget (at least 1 section over it)", output);
        Assert.Contains(">= 1", output); // the table's over-budget column, a lower bound
    }

    [Fact]
    public void Run_rejects_bad_options_with_one_line()
    {
        var (exit, _, err) = Cli("run", "--scenario", "nosuch");
        Assert.Equal(2, exit);
        Assert.Contains("no scenario 'nosuch'", err);
        (exit, _, err) = Cli("run", "--board", "nosuch");
        Assert.Equal(2, exit);
        Assert.Contains("no such board", err);
        (exit, _, err) = Cli("run", "--ops", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--ops", err);
    }

    [Theory]
    [InlineData("bogusverb")]
    [InlineData("run", "--cores", "x", "--ops", "y")]
    public void Parser_errors_are_one_line_too(params string[] args)
    {
        var (exit, output, err) = Cli(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Single(err.TrimEnd('\n', '\r').Split('\n'));
        Assert.Contains(args[^1], err); // the last bad word is named
    }

    [Fact]
    public void A_capture_with_a_restart_reports_the_last_complete_block_and_names_the_discarded_lines()
    {
        string[] block = File.ReadAllLines(EmitEsp32Log());
        // Boot, a block cut by a reset in the middle of a scenario line, boot again, a full block.
        int cut = Array.FindIndex(block, l => l.StartsWith("VMAP SCENARIO name=random_size "));
        string[] partial = [.. block[..cut], block[cut][..40]];
        string[] capture = ["I (31) boot: ESP-IDF v5.1", .. partial, "rst:0xc (SW_CPU_RESET)", "I (31) boot: ESP-IDF v5.1", .. block];
        string path = Path.Combine(_dir, "reboot.log");
        File.WriteAllText(path, string.Join('\n', capture));
        var (exit, output, err) = Cli("report", path);
        Assert.True(exit == 0, err);
        int secondBegin = partial.Length + 4;
        string[] warnings = err.Trim().Split('\n');
        Assert.Single(warnings);
        Assert.StartsWith($"warning: {path}: lines 2-{secondBegin - 1}: a results block cut short (the board restarted?) was discarded", warnings[0]);
        Assert.Contains("verdict:", output);
        Assert.Equal(8, SuiteLogReader.Parse(File.ReadAllText(path), path).Scenarios.Count);
    }

    [Fact]
    public void Two_complete_blocks_report_the_last_and_warn_that_the_earlier_was_ignored()
    {
        string[] block = File.ReadAllLines(EmitEsp32Log());
        string path = Path.Combine(_dir, "twice.log");
        File.WriteAllText(path, string.Join('\n', [.. block, "nanoFramework: reboot", .. block]));
        var (exit, _, err) = Cli("report", path);
        Assert.True(exit == 0, err);
        Assert.Equal($"warning: {path}: an earlier results block (lines 1-{block.Length}) was ignored; the last one (from line {block.Length + 2}) is reported", err.Trim());
    }

    [Fact]
    public void Report_reads_the_log_from_standard_input_for_a_dash()
    {
        string text = File.ReadAllText(EmitEsp32Log());
        var o = new StringWriter();
        var e = new StringWriter();
        int exit = Vmap.Sim.Cli.Run(["report", "-"], o, e, new StringReader(text));
        Assert.True(exit == 0, e.ToString());
        Assert.Contains("board esp32", o.ToString());
        Assert.Equal(o.ToString(), Cli("report", Path.Combine(_dir, "esp32.log")).Out);
    }

    [Fact]
    public void Host_time_is_declared_unfit_when_a_section_took_a_time_slice_or_the_host_was_overloaded()
    {
        SuiteRun clean = SuiteLogReader.Parse(File.ReadAllText(EmitEsp32Log()), "esp32.log");
        Assert.Null(Vmap.Sim.RunVerb.HostNoise(clean, 0.5, 2));
        string? loaded = Vmap.Sim.RunVerb.HostNoise(clean, 7.3, 2);
        Assert.Contains("load average was 7.3 on 2 processors", loaded);

        string[] lines = File.ReadAllLines(Path.Combine(_dir, "esp32.log"));
        int i = Array.FindIndex(lines, l => l.StartsWith("VMAP SCENARIO name=fix_size "));
        lines[i] = System.Text.RegularExpressions.Regex.Replace(lines[i], @" cs_max_ns=\d+", " cs_max_ns=4049000");
        SuiteRun sliced = SuiteLogReader.Parse(string.Join('\n', lines), "esp32.log");
        string? noise = Vmap.Sim.RunVerb.HostNoise(sliced, null, 2);
        Assert.Contains("fix_size 4049 us", noise);
        Assert.Contains("Judge on modeled board time", noise);
    }
}
