using System.Globalization;
using System.Text;
using Vmap.App;
using Vmap.Hal.Sim;
using Vmap.Sim.Boards;
using Vmap.Suite;

namespace Vmap.Sim.Report;

/// <summary>
/// Runs the firmware application's suite on the simulated board: the same code the board runs
/// (<see cref="FirmwareApp.Run"/>), with the profile's flush cost charged by the shadow MMU. The
/// printed log is captured and parsed back, so <c>run</c> shows exactly what <c>report</c>
/// would show for the same text.
/// </summary>
public static class SimSuite
{
    public sealed record Outcome(string Log, SuiteRun Run);

    /// <summary>Repetitions per scenario on the simulated board (see <see cref="FirmwareApp.Run"/>).</summary>
    public const int Repeat = 3;

    public static Outcome Run(BoardProfile profile, VmapConfig config, Scenario[] scenarios, int ops, int seed, Action<int, int, ScenarioResult>? progress = null, bool calibrate = false)
    {
        WarmUp(config, scenarios);
        var sim = SimBoard.For(config, profile.FlushFixedMicros, profile.FlushPerPageMicros);
        var sink = new StringSink();
        // mem_*: on a board, the memory behind the span (an ESP32 prints its PSRAM's total, free
        // and largest free block). The simulated board's memory is the profile's span, all of it
        // free when the suite starts: never the host's RAM.
        long total = (long)config.SpanSize;
        ScenarioResult[]? results = FirmwareApp.Run(sim.Board, profile.Name, config,
            profile.FlushFixedMicros.ToString(CultureInfo.InvariantCulture), profile.FlushPerPageMicros.ToString(CultureInfo.InvariantCulture),
            scenarios, ops, seed, Repeat, calibrate, total, total, total, sink, progress == null ? null : new Progress(progress));
        string log = sink.Text;
        if (results == null) throw new UsageException(log.Trim());
        return new Outcome(log, SuiteLogReader.Parse(log, "(simulated board)"));
    }

    /// <summary>
    /// Runs every scenario briefly on a throw-away allocator first: a board runs precompiled
    /// code, while the host JIT-compiles each method on its first call, which inside a
    /// critical section would show up as a millisecond-long section the board never has.
    /// </summary>
    private static void WarmUp(VmapConfig config, Scenario[] scenarios)
    {
        var sim = SimBoard.For(config);
        var a = new Allocator(sim.Board);
        if (a.Start(config) != Status.Ok) return;
        var suite = new LatencySuite(a, sim.Clock, 1024);
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < scenarios.Length; i++) suite.Run(scenarios[i], 400, round);
        }
        a.Stop();
    }

    /// <summary>The profile's configuration with the runner's overrides: cores (zones on with more than one).</summary>
    public static VmapConfig Config(BoardProfile profile, int? cores)
    {
        VmapConfig c = profile.ToConfig();
        if (cores != null) c.Cores = cores.Value;
        c.Zones = c.Cores > 1;
        return c;
    }

    private sealed class StringSink : ILineSink
    {
        private readonly StringBuilder _sb = new();
        public string Text => _sb.ToString();
        public void WriteLine(string line) => _sb.Append(line).Append('\n');
    }

    private sealed class Progress(Action<int, int, ScenarioResult> report) : ISuiteProgress
    {
        public void ScenarioDone(int index, int count, ScenarioResult result) => report(index, count, result);
    }
}
