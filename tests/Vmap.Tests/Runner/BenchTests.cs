using System.Text.Json;

namespace Vmap.Tests.Runner;

/// <summary>
/// Regime: every <c>bench</c> verb, run small through the runner's command line, prints the
/// JSON object its contract names, with figures that agree with each other. No timing is
/// asserted: these machines are shared and noisy, and the figures are for the closing notes.
/// </summary>
public sealed class BenchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmap-bench").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Exit, string Out, string Err) Run(params string[] args) => RunnerCli.Run(args);

    private static JsonElement Json(params string[] args)
    {
        var (exit, output, err) = Run(args);
        Assert.True(exit == 0, "exit " + exit + ": " + err);
        return JsonDocument.Parse(output).RootElement;
    }

    private static string[] Keys(JsonElement o) => o.EnumerateObject().Select(p => p.Name).ToArray();

    private string SmallTrace()
    {
        string path = Path.Combine(_dir, "small.trace");
        var (exit, _, err) = Run("gen-trace", "--ops", "2000", "--seed", "3", "--out", path);
        Assert.True(exit == 0, err);
        return path;
    }

    [Fact]
    public void Trace_prints_its_contract_and_allocates_nothing_while_timed()
    {
        JsonElement o = Json("bench", "trace", "--trace", SmallTrace(), "--runs", "1", "--json");
        Assert.Equal(["scenario", "ops", "ns_per_op", "allocs", "frees", "enomem", "allocated_bytes"], Keys(o));
        Assert.Equal("trace", o.GetProperty("scenario").GetString());
        Assert.Equal(2000, o.GetProperty("ops").GetInt32());
        Assert.True(o.GetProperty("ns_per_op").GetDouble() > 0);
        // gen-trace writes an alloc for every free, and the span is roomy: nothing fails.
        Assert.Equal(1000, o.GetProperty("allocs").GetInt32());
        Assert.Equal(1000, o.GetProperty("frees").GetInt32());
        Assert.Equal(0, o.GetProperty("enomem").GetInt32());
        Assert.Equal(0, o.GetProperty("allocated_bytes").GetInt64());
    }

    [Fact]
    public void Trace_breakdown_adds_the_four_boards_and_nothing_else()
    {
        JsonElement o = Json("bench", "trace", "--trace", SmallTrace(), "--runs", "1", "--json", "--breakdown");
        Assert.Equal(["scenario", "ops", "ns_per_op", "allocs", "frees", "enomem", "allocated_bytes", "breakdown_ns_per_op"], Keys(o));
        JsonElement parts = o.GetProperty("breakdown_ns_per_op");
        Assert.Equal(["full", "no_clock", "no_mmu", "bare"], Keys(parts));
        foreach (JsonProperty p in parts.EnumerateObject()) Assert.True(p.Value.GetDouble() > 0, p.Name);

        var (exit, text, _) = Run("bench", "trace", "--trace", SmallTrace(), "--runs", "1", "--breakdown");
        Assert.Equal(0, exit);
        Assert.Contains("neither (the allocator alone)", text);
        Assert.Contains("per operation: section timing", text);
    }

    [Fact]
    public void Trace_without_its_file_is_a_usage_error()
    {
        string missing = Path.Combine(_dir, "none.trace");
        var (exit, output, err) = Run("bench", "trace", "--trace", missing, "--json");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains(missing, err);
    }

    [Fact]
    public void Busy_list_reports_both_loops_and_their_ratio()
    {
        JsonElement o = Json("bench", "busy-list", "--iterations", "200", "--runs", "1", "--json");
        Assert.Equal(["scenario", "ns_per_op_empty", "ns_per_op_busy", "ratio"], Keys(o));
        double empty = o.GetProperty("ns_per_op_empty").GetDouble();
        double busy = o.GetProperty("ns_per_op_busy").GetDouble();
        Assert.True(empty > 0 && busy > 0);
        // The three figures are rounded separately.
        Assert.InRange(o.GetProperty("ratio").GetDouble(), busy / empty - 0.01, busy / empty + 0.01);
    }

    [Fact]
    public void Purge_reports_the_backlog_of_four_cpus_flushed_once()
    {
        JsonElement o = Json("bench", "purge", "--runs", "1", "--json");
        Assert.Equal(["scenario", "backlog_pages", "bounded_max_cs_us", "unbounded_max_cs_us", "ratio", "flushes"], Keys(o));
        Assert.Equal(24576, o.GetProperty("backlog_pages").GetInt32());
        Assert.Equal(1, o.GetProperty("flushes").GetInt32());
        Assert.True(o.GetProperty("bounded_max_cs_us").GetDouble() > 0);
        Assert.True(o.GetProperty("unbounded_max_cs_us").GetDouble() > 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Contention_reports_both_modes_at_every_thread_count_and_the_floor_when_asked(bool floor)
    {
        string[] args = ["bench", "contention", "--iterations", "50", "--runs", "1", "--json"];
        JsonElement o = Json(floor ? [.. args, "--floor"] : args);
        string[] modes = floor ? ["global_ns_per_op", "zones_ns_per_op", "separate_ns_per_op"] : ["global_ns_per_op", "zones_ns_per_op"];
        Assert.Equal(["scenario", "threads", .. modes], Keys(o));
        Assert.Equal([1, 2, 4, 8], o.GetProperty("threads").EnumerateArray().Select(t => t.GetInt32()).ToArray());
        foreach (string mode in modes)
        {
            double[] v = o.GetProperty(mode).EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.Equal(4, v.Length);
            Assert.All(v, x => Assert.True(x > 0, mode));
        }
    }

    [Fact]
    public void Drain_accounts_for_every_other_core_of_every_drain()
    {
        JsonElement o = Json("bench", "drain", "--phases", "4", "--json");
        Assert.Equal(["scenario", "cores", "drains", "requests_sent", "requests_saved", "saved_pct", "spurious_enomem"], Keys(o));
        int cores = o.GetProperty("cores").GetInt32();
        int drains = o.GetProperty("drains").GetInt32();
        int sent = o.GetProperty("requests_sent").GetInt32();
        int saved = o.GetProperty("requests_saved").GetInt32();
        Assert.Equal(8, cores);
        Assert.True(drains > 0, "the span is meant to run out");
        // A drain asks or skips each core other than its own.
        Assert.Equal(drains * (cores - 1), sent + saved);
        Assert.Equal(Math.Round(100.0 * saved / (sent + saved), 1), o.GetProperty("saved_pct").GetDouble());
        // The target; one thread and a fixed seed make the figure exact, not a timing.
        Assert.True(o.GetProperty("saved_pct").GetDouble() >= 90, $"saved {saved} of {sent + saved} requests");
        Assert.Equal(0, o.GetProperty("spurious_enomem").GetInt32());
    }
}
