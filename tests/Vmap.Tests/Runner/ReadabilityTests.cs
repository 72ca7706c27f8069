using System.Text.RegularExpressions;
using Spectre.Console;
using Vmap.Sim.Report;
using Vmap.Suite;

namespace Vmap.Tests.Runner;

/// <summary>Regime: the report as an 80-column terminal, a C locale or a file shows it (issue 18, item 7).</summary>
public sealed class ReadabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmap-readable").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private SuiteRun Esp32Run()
    {
        string log = Path.Combine(_dir, "esp32.log");
        var (exit, _, err) = RunnerCli.Run("run", "--board", "esp32", "--ops", "400", "--emit-log", log);
        Assert.True(exit == 0, err);
        return SuiteLogReader.Parse(File.ReadAllText(log), log);
    }

    private static string Render(SuiteRun run, int width, bool unicode, int budget)
    {
        var text = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        console.Profile.Capabilities.Unicode = unicode;
        ResultsView.Render(console, run, new Judge(budget, new Vmap.Sim.Model.CostModel(10, 2), Basis.BoardModel, "host"));
        return text.ToString();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void At_80_columns_no_number_or_header_is_broken(bool unicode)
    {
        SuiteRun run = Esp32Run();
        string text = Render(run, 80, unicode, 10); // a low budget: red cells and a FAIL verdict too
        string[] lines = text.ReplaceLineEndings("\n").Split('\n');
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"a line of {l.Length} columns:\n{text}"));
        Assert.DoesNotContain("…", text);
        // Every figure of every scenario appears whole on a row of that scenario (the table may be split in two).
        foreach (ScenarioResult s in run.Scenarios)
        {
            string[] rows = lines.Where(l => Regex.IsMatch(l, $@"(?<![\w]){Regex.Escape(s.Name)}(?![\w])")).ToArray();
            Assert.NotEmpty(rows);
            foreach (string figure in new[] { s.Ops.ToString("N0"), s.OpsPerSecond.ToString("N0"), s.Purges.ToString("N0"), s.Flushes.ToString("N0"), s.CsCount.ToString("N0") })
                Assert.True(rows.Any(row => Regex.IsMatch(row, $@"(?<![\d,.]){Regex.Escape(figure)}(?![\d,.])")), $"{figure} of {s.Name} is not whole on its rows:\n{text}");
        }
        foreach (string header in new[] { "scenario", "ops/s", "failures", "purges", "flushes", "sections", "longest", "invariants" })
            Assert.Contains(header, text);
    }

    [Fact]
    public void Without_unicode_there_are_no_box_drawing_or_block_characters()
    {
        string text = Render(Esp32Run(), 132, unicode: false, 10);
        Assert.All(text, c => Assert.True(c < 128, $"'{c}' (U+{(int)c:X4}) in ASCII output:\n{text}"));
        Assert.Contains("+-", text);
    }

    [Fact]
    public void Redirected_output_and_a_c_locale_get_ascii()
    {
        var (_, output, _) = RunnerCli.Run("run", "--board", "esp32", "--ops", "200", "--scenario", "fix_size");
        Assert.All(output, c => Assert.True(c < 128, $"'{c}' in redirected output:\n{output}"));
        var (exit, processOut, err) = RunnerCli.RunProcess(_dir, null, new Dictionary<string, string?> { ["LANG"] = "C", ["LC_ALL"] = null, ["TERM"] = "dumb" },
            "run", "--board", "esp32", "--ops", "200", "--scenario", "fix_size");
        Assert.True(exit == 0, err);
        Assert.All(processOut, c => Assert.True(c < 128, $"'{c}' with LANG=C:\n{processOut}"));
    }

    [Fact]
    public void Histogram_bars_are_proportional_to_the_printed_counts()
    {
        SuiteRun run = Esp32Run();
        // Fixed counts: a real run's host times may put nearly every section in one bucket (or
        // a preempted one past a millisecond), and what is checked here is the drawing.
        int[] counts = [5000, 1200, 310, 64, 7, 1];
        foreach (ScenarioResult s in run.Scenarios)
        {
            Array.Clear(s.Histogram);
            counts.CopyTo(s.Histogram, 0);
        }
        string text = Render(run, 132, unicode: false, 10000);
        var bars = text.ReplaceLineEndings("\n").Split('\n')
            .Select(l => Regex.Match(l, @" us +([\d,]+) \|(=*)$"))
            .Where(m => m.Success)
            .Select(m => (Count: long.Parse(m.Groups[1].Value.Replace(",", "")), Width: m.Groups[2].Value.Length))
            .ToList();
        Assert.True(bars.Count == counts.Length, text);
        var (maxCount, maxWidth) = bars.MaxBy(b => b.Count);
        Assert.True(maxWidth > 10, text);
        foreach (var (count, width) in bars)
            Assert.True(Math.Abs(width - (double)count / maxCount * maxWidth) <= 1.5, $"a bar of {width} for {count} (the largest, {maxCount}, has {maxWidth}):\n{text}");
        Assert.Contains("linear", text);
    }
}

/// <summary>Regime: the tune table and chart at 80 columns, with and without Unicode.</summary>
public sealed class TuneReadabilityTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_tune_table_fits_80_columns_with_every_cell_whole(bool unicode)
    {
        var profile = Vmap.Sim.Boards.BoardProfile.Load("esp32");
        var points = new List<Vmap.Sim.Tune.TunePoint>
        {
            new(4, 0, 173.8, 1_234_567, 42.5, 64), new(4, 16, 42.0, 1_200_000, 42.5, 64), new(262144, 1, 12345.6, 987_654, 0.4, 262144),
        };
        var text = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 80;
        console.Profile.Capabilities.Unicode = unicode;
        console.Write(Vmap.Sim.Tune.TuneTable.Build(console, points, points[1], 100, 64, profile));
        string output = text.ToString();
        string[] lines = output.ReplaceLineEndings("\n").Split('\n');
        Assert.All(lines, l => Assert.True(l.Length <= 80, output));
        Assert.DoesNotContain("…", output);
        foreach (string cell in new[] { "173.8 us", "42.0 us", "12345.6 us", "1,234,567", "987,654", "262144", "unbounded", "* 4" })
            Assert.True(lines.Any(l => l.Contains(cell)), $"'{cell}' is not whole on a line:\n{output}");
        if (!unicode) Assert.All(output, c => Assert.True(c < 128, output));
    }
}
