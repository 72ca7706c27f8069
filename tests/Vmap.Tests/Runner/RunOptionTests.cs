using System.Text.Json;

namespace Vmap.Tests.Runner;

/// <summary>Regime: the settings run and tune take (issue 18, item 9), the JSON's types, and the vmallocinfo listing.</summary>
public sealed class RunOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmap-options").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Cores_beyond_the_boards_are_refused_naming_its_core_count()
    {
        var (exit, output, err) = RunnerCli.Run("run", "--board", "esp32", "--cores", "8");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Equal("option --cores: 8 is more than the 2 cores of board esp32", err.Trim());
        (exit, _, err) = RunnerCli.Run("run", "--board", "esp32c3", "--cores", "2");
        Assert.Equal(2, exit);
        Assert.Equal("option --cores: 2 is more than the 1 core of board esp32c3", err.Trim());
    }

    [Fact]
    public void Run_takes_lazy_max_pages_and_purge_chunk_and_its_json_settings_are_numbers_of_the_board()
    {
        string json = Path.Combine(_dir, "r.json");
        var (exit, _, err) = RunnerCli.Run("run", "--board", "esp32", "--ops", "200", "--scenario", "fix_size",
            "--lazy-max-pages", "4", "--purge-chunk", "0x2", "--json", json);
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement settings = doc.RootElement.GetProperty("settings");
        Assert.Equal(JsonValueKind.String, settings.GetProperty("board").ValueKind);
        foreach (JsonProperty p in settings.EnumerateObject().Where(p => p.Name != "board"))
            Assert.True(p.Value.ValueKind == JsonValueKind.Number, $"{p.Name} is {p.Value.ValueKind}");
        Assert.Equal(4, settings.GetProperty("lazy_max_pages").GetInt32());
        Assert.Equal(2, settings.GetProperty("purge_chunk").GetInt32());
        Assert.Equal(2, settings.GetProperty("cores").GetInt32());
        Assert.Equal(0x3f800000L, settings.GetProperty("span_start").GetInt64());
        Assert.Equal(40.0, settings.GetProperty("flush_fixed_us").GetDouble());
        // The board's memory is its span (4 MiB of PSRAM window), not the host's RAM.
        Assert.Equal(4L << 20, settings.GetProperty("mem_total").GetInt64());
        Assert.Equal(4L << 20, settings.GetProperty("mem_largest").GetInt64());

        (exit, _, err) = RunnerCli.Run("run", "--purge-chunk", "many");
        Assert.Equal(2, exit);
        Assert.Contains("option --purge-chunk: 'many' is not a decimal or 0x-prefixed hexadecimal number", err);
    }

    [Fact]
    public void Tune_fixes_an_axis_given_as_an_option()
    {
        var (exit, output, err) = RunnerCli.Run("tune", "--board", "esp32", "--ops", "60", "--purge-chunk", "4", "--svg", Path.Combine(_dir, "a.svg"));
        Assert.True(exit == 0, err);
        string[] steps = err.Split('\n').Where(l => l.StartsWith("  lazy_max_pages ")).ToArray();
        Assert.NotEmpty(steps);
        Assert.All(steps, l => Assert.Contains("purge_chunk 4 ", l));
        Assert.Contains("purge_chunk 4", output);

        (exit, _, err) = RunnerCli.Run("tune", "--board", "esp32", "--ops", "60", "--lazy-max-pages", "8", "--svg", Path.Combine(_dir, "b.svg"));
        Assert.True(exit == 0, err);
        steps = err.Split('\n').Where(l => l.StartsWith("  lazy_max_pages ")).ToArray();
        Assert.Equal(5, steps.Length); // the five chunks, at one threshold
        Assert.All(steps, l => Assert.StartsWith("  lazy_max_pages 8, ", l));
    }

    [Fact]
    public void Vmallocinfo_lists_the_areas_left_after_the_workload()
    {
        string trace = Path.Combine(_dir, "w.trace");
        File.WriteAllText(trace, "alloc 1 4096\nalloc 2 8192\nalloc 3 5000\nfree 2\nalloc 4 4096 16384\n");
        var (exit, output, err) = RunnerCli.Run("vmallocinfo", trace, "--span-start", "0x10000000", "--span-size", "0x10000", "--page-size", "4096", "--guard-pages", "0");
        Assert.Equal("", err);
        Assert.Equal(0, exit);
        Assert.Equal("""
            0x10000000-0x10001000 4096 pages=1 core=0 tag=1
            0x10003000-0x10005000 8192 pages=2 core=0 tag=3
            0x10008000-0x10009000 4096 pages=1 core=0 tag=4

            """.ReplaceLineEndings("\n"), output.ReplaceLineEndings("\n"));
    }
}
