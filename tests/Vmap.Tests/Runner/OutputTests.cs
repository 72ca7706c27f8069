using System.Text.Json;

namespace Vmap.Tests.Runner;

/// <summary>Regime: where run and tune put their output (issue 18, items 4 and 7): paths checked first, '-' for stdout, progress on stderr.</summary>
public sealed class OutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmap-output").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Run_refuses_an_unwritable_json_path_before_running()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (exit, output, err) = RunnerCli.Run("run", "--json", "/nonexistent/x.json");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Equal("option --json: cannot write /nonexistent/x.json: no such directory /nonexistent", err.Trim());
        (exit, _, err) = RunnerCli.Run("run", "--emit-log", _dir);
        Assert.Equal(2, exit);
        Assert.Equal($"option --emit-log: {_dir} is a directory; give a file name", err.Trim());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the suite ran before the path was checked");
    }

    [Fact]
    public void Tune_refuses_an_unwritable_svg_path_without_sweeping()
    {
        var (exit, output, err) = RunnerCli.Run("tune", "--board", "esp32", "--svg", "/nonexistent/x.svg", "--write");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Equal("option --svg: cannot write /nonexistent/x.svg: no such directory /nonexistent", err.Trim()); // no progress line: no sweep ran
    }

    [Fact]
    public void Run_json_dash_puts_only_json_on_stdout_and_the_report_and_progress_on_stderr()
    {
        var (exit, output, err) = RunnerCli.Run("run", "--board", "esp32", "--ops", "200", "--scenario", "fix_size", "--json", "-");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("esp32", doc.RootElement.GetProperty("board").GetString());
        Assert.Contains("latency suite", err);
        Assert.Contains("fix_size done (1/1)", err);
    }

    [Fact]
    public void Progress_goes_to_stderr_and_stdout_holds_only_results()
    {
        var (exit, output, err) = RunnerCli.Run("run", "--board", "esp32", "--ops", "200", "--scenario", "fix_size", "random_size");
        Assert.True(exit == 0, err);
        Assert.Equal("esp32: 2 scenarios\n  fix_size done (1/2)\n  random_size done (2/2)\n", err.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("done (", output);
        Assert.StartsWith("board esp32", output);
    }
}
