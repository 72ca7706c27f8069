using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vmap.Sim.Bench;
using Vmap.Sim.Boards;
using Vmap.Sim.Model;
using Vmap.Sim.Report;

namespace Vmap.Tests.Runner;

/// <summary>
/// Regime: board time (issue 17). Verdicts, tune's picks and bench purge judge modeled board
/// time (the profile's cost model on each section's work units), which the host's load cannot
/// move; the cost model is calibrated back from a capture; run and report exit 1 on FAIL.
/// Runs alone: some tests point VMAP_BOARDS at a private boards folder.
/// </summary>
[Collection("boards directory")]
public sealed class BoardTimeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmap-boardtime").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Exit, string Out, string Err) Cli(params string[] args) => RunnerCli.Run(args);

    /// <summary>Runs <paramref name="body"/> while two threads burn the CPU (a loaded host).</summary>
    private static T UnderLoad<T>(Func<T> body)
    {
        using var stop = new CancellationTokenSource();
        var burners = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            double x = 1;
            while (!stop.IsCancellationRequested) x = Math.Sqrt(x + 1);
        }) { IsBackground = true }).ToList();
        burners.ForEach(t => t.Start());
        try
        {
            return body();
        }
        finally
        {
            stop.Cancel();
            burners.ForEach(t => t.Join());
        }
    }

    private JsonElement RunJson(string name, params string[] args)
    {
        string file = Path.Combine(_dir, name + ".json");
        var (exit, _, err) = Cli(["run", .. args, "--json", file]);
        Assert.True(exit is 0 or 1, err);
        return JsonDocument.Parse(File.ReadAllText(file)).RootElement;
    }

    private static string ModeledFigures(JsonElement run) =>
        run.GetProperty("verdict").GetString() + " " + run.GetProperty("verdict_basis").GetString() + "\n" +
        string.Join("\n", run.GetProperty("scenarios").EnumerateArray().Select(s =>
            $"{s.GetProperty("name").GetString()} units={s.GetProperty("cs_max_units").GetInt32()} board_us={s.GetProperty("cs_max_board_us").GetDouble().ToString(CultureInfo.InvariantCulture)} sections={s.GetProperty("cs_count").GetInt32()} total={s.GetProperty("cs_units").GetInt64()}"));

    [Fact]
    public void Run_and_tune_give_the_same_modeled_figures_and_picks_twice_under_load()
    {
        var (first, second) = UnderLoad(() => (RunJson("a", "--board", "esp32", "--ops", "300", "--seed", "7"), RunJson("b", "--board", "esp32", "--ops", "300", "--seed", "7")));
        Assert.Equal("board-model", first.GetProperty("verdict_basis").GetString());
        Assert.Equal(ModeledFigures(first), ModeledFigures(second));

        string Tune() => UnderLoad(() =>
        {
            var (exit, output, err) = Cli("tune", "--board", "esp32c3", "--ops", "80", "--json");
            Assert.True(exit == 0, err);
            JsonElement o = JsonDocument.Parse(output).RootElement;
            Assert.Equal("board-model", o.GetProperty("basis").GetString());
            return o.GetProperty("lazy_max_pages").GetRawText() + "/" + o.GetProperty("purge_chunk").GetRawText() + "\n" +
                string.Join("\n", o.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("max_board_us").GetRawText() + " " + p.GetProperty("board_ops_per_s").GetRawText()));
        });
        Assert.Equal(Tune(), Tune());
    }

    [Fact]
    public void A_smaller_purge_chunk_never_models_a_longer_section()
    {
        VmapConfig config = BoardProfile.Load("sim").ToConfig();
        // 0 is unbounded: the largest "chunk" of all.
        int[] chunks = [0, 64, 16, 4, 1];
        int[] units = chunks.Select(c => PurgeBench.RunOnce(config, c, 2048).MaxUnits).ToArray();
        for (int i = 1; i < units.Length; i++)
            Assert.True(units[i] <= units[i - 1], $"purge_chunk {chunks[i]}: {units[i]} units, more than purge_chunk {chunks[i - 1]}'s {units[i - 1]}");
    }

    [Fact]
    public void The_unbounded_purge_grows_linearly_with_the_backlog_and_the_chunked_one_stays_flat()
    {
        VmapConfig config = BoardProfile.Load("sim").ToConfig();
        int[] backlogs = [1024, 2048, 4096, 8192];
        int[] unbounded = backlogs.Select(b => PurgeBench.RunOnce(config, 0, b).MaxUnits).ToArray();
        int[] chunked = backlogs.Select(b => PurgeBench.RunOnce(config, 16, b).MaxUnits).ToArray();
        for (int i = 1; i < backlogs.Length; i++)
        {
            double growth = unbounded[i] / (double)unbounded[i - 1];
            Assert.True(growth is > 1.6 and < 2.5, $"unbounded: {unbounded[i - 1]} -> {unbounded[i]} units when the backlog doubled");
        }
        Assert.True(chunked.Max() <= 2 * chunked.Min(), "chunked: " + string.Join(", ", chunked));
        Assert.True(unbounded[^1] > 8 * chunked[^1], $"unbounded {unbounded[^1]} against chunked {chunked[^1]}");
    }

    /// <summary>A log of the esp32 suite whose times come from <paramref name="model"/> with noise and a few big outliers, plus CAL lines over a spread of units.</summary>
    private string SyntheticCapture(CostModel model, int seed)
    {
        string log = Path.Combine(_dir, "emitted.log");
        var (exit, _, err) = Cli("run", "--board", "esp32", "--ops", "200", "--emit-log", log);
        Assert.True(exit == 0, err);
        var rnd = new Random(seed);
        // Calibration samples: an interrupt only lengthens a section: noise from -1 % to +4 %, and
        // 1 in 25 samples 3x to 10x. A scenario's longest sections: within 2 % either way.
        double Noisy(int units) => model.Micros(units) * (rnd.Next(25) == 0 ? 3 + 7 * rnd.NextDouble() : 0.99 + 0.05 * rnd.NextDouble());
        double Longest(int units) => model.Micros(units) * (0.98 + 0.04 * rnd.NextDouble());
        var lines = new List<string>();
        foreach (string line in File.ReadAllLines(log))
        {
            if (line.StartsWith("VMAP CAL")) continue;
            if (line.StartsWith("VMAP END"))
            {
                foreach (int units in new[] { 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597 })
                    for (int k = 0; k < 3; k++)
                        lines.Add($"VMAP CAL kind=synthetic n={units} units={units} ns={(long)(Noisy(units) * 1000)}");
            }
            if (line.StartsWith("VMAP SCENARIO"))
            {
                int units = int.Parse(Regex.Match(line, @" cs_max_units=(\d+)").Groups[1].Value);
                int byTime = int.Parse(Regex.Match(line, @" cs_max_ns_units=(\d+)").Groups[1].Value);
                string changed = Regex.Replace(line, @" cs_max_units_ns=\d+", $" cs_max_units_ns={(long)(Longest(units) * 1000)}");
                lines.Add(Regex.Replace(changed, @" cs_max_ns=\d+", $" cs_max_ns={(long)(Longest(byTime) * 1000)}"));
                continue;
            }
            lines.Add(line);
        }
        string capture = Path.Combine(_dir, $"capture-{seed}.log");
        File.WriteAllLines(capture, lines);
        return capture;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Calibration_recovers_a_known_model_from_noisy_samples_with_outliers(int seed)
    {
        var truth = new CostModel(250, 50);
        var (exit, output, err) = Cli("report", SyntheticCapture(truth, seed), "--calibrate", "--json");
        Assert.True(exit == 0, err);
        JsonElement o = JsonDocument.Parse(output).RootElement;
        var fitted = new CostModel(o.GetProperty("cs_fixed_us").GetDouble(), o.GetProperty("cs_unit_us").GetDouble());
        Assert.True(Math.Abs(fitted.UnitMicros - 50) <= 0.05 * 50, $"seed {seed}: per unit {fitted.UnitMicros} us, expected 50");
        // What the model is for: every scenario's longest section, modeled within 5 % of the truth.
        foreach (JsonElement p in o.GetProperty("points_judged").EnumerateArray())
        {
            int units = p.GetProperty("units").GetInt32();
            Assert.True(Math.Abs(fitted.Micros(units) - truth.Micros(units)) <= 0.05 * truth.Micros(units), $"seed {seed}: {units} units model at {fitted.Micros(units)} us, truly {truth.Micros(units)}");
        }
        // Against the noisy measurements themselves: the model's 5 % plus the noise's 2 %.
        Assert.True(o.GetProperty("max_error_pct").GetDouble() < 7, output);
        Assert.True(o.GetProperty("longest").GetArrayLength() > 0);
    }

    [Fact]
    public void Calibration_scales_an_interpreter_capture_to_a_board()
    {
        // A capture of the interpreter on the PC (10 us + 2 us per unit), scaled by a board factor of 25.
        var (exit, output, err) = Cli("report", SyntheticCapture(new CostModel(10, 2), 5), "--calibrate", "--scale", "25", "--json");
        Assert.True(exit == 0, err);
        JsonElement o = JsonDocument.Parse(output).RootElement;
        var fitted = new CostModel(o.GetProperty("cs_fixed_us").GetDouble(), o.GetProperty("cs_unit_us").GetDouble());
        Assert.InRange(fitted.UnitMicros, 47.5, 52.5);
        foreach (JsonElement p in o.GetProperty("points_judged").EnumerateArray())
        {
            int units = p.GetProperty("units").GetInt32();
            Assert.InRange(fitted.Micros(units), 0.95 * (250 + 50 * units), 1.05 * (250 + 50 * units));
        }
        Assert.Equal(25, o.GetProperty("scale").GetDouble());
        Assert.Equal(2, Cli("report", SyntheticCapture(new CostModel(10, 2), 5), "--scale", "25").Exit); // only with --calibrate
    }

    [Fact]
    public void Calibrate_write_keeps_the_profile_loadable_and_its_comments()
    {
        string capture = SyntheticCapture(new CostModel(120, 7.5), 4);
        string before = File.ReadAllText(Path.Combine(RepoBoards(), "esp32.board"));
        WithBoards(boards =>
        {
            File.WriteAllText(Path.Combine(boards, "esp32.board"), before);
            var (exit, output, err) = Cli("report", capture, "--calibrate", "--board", "esp32", "--write");
            Assert.True(exit == 0, err + output);
            string after = File.ReadAllText(Path.Combine(boards, "esp32.board"));
            BoardProfile p = BoardProfile.Parse(after, "esp32.board");
            Assert.InRange(p.CsUnitMicros, 7.1, 7.9);
            Assert.InRange(p.Cost.Micros(50), 0.95 * (120 + 7.5 * 50), 1.05 * (120 + 7.5 * 50));
            // Every comment line is still there, and only the two cost lines changed.
            foreach (string comment in before.Split('\n').Where(l => l.TrimStart().StartsWith('#'))) Assert.Contains(comment, after);
            var changed = before.Split('\n').Zip(after.Split('\n')).Where(x => x.First != x.Second).Select(x => x.First.Split('=')[0].Trim()).ToList();
            Assert.Equal(["cs_fixed_us", "cs_unit_us"], changed);
            Assert.Contains("# calibrated by report --calibrate from capture-4.log", after);
            Assert.Empty(Directory.GetFiles(boards, "*.tmp*"));
        });
    }

    [Fact]
    public void Run_and_report_exit_1_on_a_fail_verdict_and_0_on_pass()
    {
        WithBoards(boards =>
        {
            // A budget below the model's fixed cost: every section is over it.
            string sim = File.ReadAllText(Path.Combine(boards, "sim.board"));
            File.WriteAllText(Path.Combine(boards, "tight.board"), Regex.Replace(Regex.Replace(sim, @"(?m)^name = sim", "name = tight"), @"(?m)^cs_budget_us = \d+", "cs_budget_us = 5"));
            string log = Path.Combine(_dir, "tight.log");
            string json = Path.Combine(_dir, "tight.json");
            var (exit, output, err) = Cli("run", "--board", "tight", "--ops", "100", "--scenario", "fix_size", "--emit-log", log, "--json", json);
            Assert.True(exit == 1, err + output);
            Assert.Contains("verdict: FAIL: the longest critical section models at", output);
            JsonElement o = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            Assert.Equal("FAIL", o.GetProperty("verdict").GetString());
            Assert.Equal("board-model", o.GetProperty("verdict_basis").GetString());
            Assert.Equal(1, Cli("report", log).Exit);
            Assert.Equal(1, Cli("report", log, "--json").Exit);

            (exit, output, err) = Cli("run", "--board", "sim", "--ops", "100", "--scenario", "fix_size", "--json", json);
            Assert.True(exit == 0, err + output);
            Assert.Equal("PASS", JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("verdict").GetString());
            // --host-time judges the host's measured time: a PC's fix_size sections are far under the 2 ms budget.
            (exit, _, err) = Cli("run", "--board", "sim", "--ops", "100", "--scenario", "fix_size", "--host-time", "--json", json);
            Assert.True(exit == 0, err);
            Assert.Equal("host-time", JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("verdict_basis").GetString());
        });
    }

    [Fact]
    public void An_old_log_without_units_still_reports_on_its_measured_time()
    {
        string log = Path.Combine(_dir, "new.log");
        var (exit, _, err) = Cli("run", "--board", "esp32", "--ops", "200", "--emit-log", log);
        Assert.True(exit == 0, err);
        string oldLog = Path.Combine(_dir, "old.log");
        File.WriteAllLines(oldLog, File.ReadAllLines(log).Where(l => !l.StartsWith("VMAP CAL"))
            .Select(l => Regex.Replace(l, @" (cs_max_ns_units|cs_max_units|cs_max_units_ns|cs_units|flushed_pages|units_hist)=[0-9,]+", "")));
        var (rexit, output, rerr) = Cli("report", oldLog, "--json");
        Assert.True(rexit == 0, rerr);
        JsonElement o = JsonDocument.Parse(output).RootElement;
        Assert.Equal("host-time", o.GetProperty("verdict_basis").GetString());
        Assert.Equal(JsonValueKind.Null, o.GetProperty("scenarios")[0].GetProperty("cs_max_board_us").ValueKind);
        // Half the unit fields is a broken line, not an old one.
        string half = Path.Combine(_dir, "half.log");
        File.WriteAllLines(half, File.ReadAllLines(log).Select(l => Regex.Replace(l, @" cs_units=\d+", "")));
        var (hexit, _, herr) = Cli("report", half);
        Assert.Equal(2, hexit);
        Assert.Contains("field 'cs_units' is missing", herr);
    }

    [Fact]
    public void The_firmware_log_carries_units_and_calibration_samples()
    {
        string log = Path.Combine(_dir, "cal.log");
        var (exit, _, err) = Cli("run", "--board", "esp32", "--ops", "200", "--emit-log", log);
        Assert.True(exit == 0, err);
        SuiteRun run = SuiteLogReader.Parse(File.ReadAllText(log), log);
        Assert.True(run.HasUnits);
        Assert.All(run.Scenarios, s => Assert.True(s.CsMaxUnits >= 1 && s.CsTotalUnits >= s.CsMaxUnits, s.Name));
        Assert.Contains(run.Samples, s => s.Kind == "purge");
        Assert.Contains(run.Samples, s => s.Kind == "search");
        Assert.Contains(run.Samples, s => s.Kind == "drain"); // esp32 has two cores: zones, caches to drain
        Assert.Contains(run.Samples, s => s.Kind == "purge" && s.N == 16);
    }

    /// <summary>Runs <paramref name="body"/> with VMAP_BOARDS on a private boards folder holding a copy of the sim profile.</summary>
    private void WithBoards(Action<string> body)
    {
        string boards = Path.Combine(_dir, "boards");
        Directory.CreateDirectory(boards);
        File.Copy(Path.Combine(RepoBoards(), "sim.board"), Path.Combine(boards, "sim.board"), true);
        string? old = Environment.GetEnvironmentVariable("VMAP_BOARDS");
        Environment.SetEnvironmentVariable("VMAP_BOARDS", boards);
        try
        {
            body(boards);
        }
        finally
        {
            Environment.SetEnvironmentVariable("VMAP_BOARDS", old);
        }
    }

    private static string RepoBoards()
    {
        for (string? d = AppContext.BaseDirectory; d != null; d = Path.GetDirectoryName(d))
        {
            if (File.Exists(Path.Combine(d, "boards", "sim.board")) && File.Exists(Path.Combine(d, "Firmware.sln"))) return Path.Combine(d, "boards");
        }
        throw new InvalidOperationException("no boards folder above the test's directory");
    }
}

