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

    public static Outcome Run(BoardProfile profile, VmapConfig config, Scenario[] scenarios, int ops, int seed, Action<int, int, ScenarioResult>? progress = null)
    {
        var sim = SimBoard.For(config, profile.FlushFixedMicros, profile.FlushPerPageMicros);
        var sink = new StringSink();
        var gc = GC.GetGCMemoryInfo();
        long total = gc.TotalAvailableMemoryBytes;
        long used = GC.GetTotalMemory(false);
        ScenarioResult[]? results = FirmwareApp.Run(sim.Board, profile.Name, config,
            profile.FlushFixedMicros.ToString(CultureInfo.InvariantCulture), profile.FlushPerPageMicros.ToString(CultureInfo.InvariantCulture),
            scenarios, ops, seed, total, total - used, total - used, sink, progress == null ? null : new Progress(progress));
        string log = sink.Text;
        if (results == null) throw new UsageException(log.Trim());
        return new Outcome(log, SuiteLogReader.Parse(log, "(simulated board)"));
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
