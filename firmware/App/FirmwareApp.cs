using System;
using Vmap.Hal;
using Vmap.Suite;
#if BOARD_ESP32 || BOARD_ESP32S3 || BOARD_ESP32C3
using Vmap.Hal.Esp32;
#endif

namespace Vmap.App;

/// <summary>
/// The firmware application: starts the allocator with a board profile on a HAL, runs the
/// latency suite and prints the results in the <see cref="SuiteLog"/> format. The board runs it
/// from <see cref="Program.Main"/> with the compiled-in profile; the simulated board's runner
/// calls <see cref="Run"/> with a parsed profile, so <c>run --emit-log</c> prints exactly what
/// the firmware prints.
/// </summary>
public static class FirmwareApp
{
    /// <summary>Operations per scenario on a board (the interpreter runs about 10^4 to 10^5 operations a second).</summary>
    public const int BoardOps = 4000;

    /// <summary>The allocator configuration of the compiled-in profile. Zones are on with more than one logical core.</summary>
    public static VmapConfig CompiledConfig()
    {
        var c = new VmapConfig();
        c.Cores = CompiledBoard.Cores;
        c.PageSize = CompiledBoard.PageSize;
        c.SpanStart = CompiledBoard.SpanStart;
        c.SpanSize = CompiledBoard.SpanSize;
        c.MaxAreas = CompiledBoard.MaxAreas;
        c.GuardPages = CompiledBoard.GuardPages;
        c.LazyMaxPages = CompiledBoard.LazyMaxPages;
        c.PurgeChunk = CompiledBoard.PurgeChunk;
        c.SizeClassLimit = CompiledBoard.SizeClassLimit;
        c.CsBudgetMicros = CompiledBoard.CsBudgetMicros;
        c.Zones = CompiledBoard.Cores > 1;
        return c;
    }

    /// <summary>What <see cref="Program.Main"/> does: the suite with the compiled-in profile, printed to the console (see <see cref="ConsoleSink"/>).</summary>
    public static void RunOnBoard()
    {
        VmapConfig c = CompiledConfig();
        long total = 0, free = 0, largest = 0;
#if BOARD_ESP32 || BOARD_ESP32S3 || BOARD_ESP32C3
        Board board = Esp32Board.Create(c.Cores, c.SpanPages);
        Esp32Board.SpiRamInfo(out total, out free, out largest);
#else
        Board board = new Board(new TickClock(), new ThreadCores(c.Cores), new TableMmu(c.SpanPages), new InlineDrainRequests());
#endif
        Run(board, CompiledBoard.Name, c, CompiledBoard.FlushFixedMicros, CompiledBoard.FlushPerPageMicros,
            LatencySuite.All(), BoardOps, 1, 1, true, total, free, largest, new ConsoleSink(), null);
    }

    /// <summary>
    /// Starts an allocator on <paramref name="board"/> with <paramref name="config"/>, runs
    /// <paramref name="scenarios"/> for <paramref name="ops"/> operations each and prints the
    /// results to <paramref name="sink"/>. Returns the results (null when the allocator refused
    /// the configuration; the reason is printed as a VMAP ERROR line). With
    /// <paramref name="calibrate"/>, the <see cref="Calibration"/> run follows the scenarios
    /// (its VMAP CAL lines come before VMAP END).
    /// <para>
    /// <paramref name="repeat"/>: a board runs each scenario once (1). The simulated board runs
    /// it several times and reports the repetition with the shortest longest section: the host
    /// OS can preempt a thread inside a critical section, which a board's preempt-off section
    /// cannot suffer, and one such preemption must not stand for the allocator.
    /// </para>
    /// </summary>
    public static ScenarioResult[] Run(Board board, string name, VmapConfig config, string flushFixedMicros, string flushPerPageMicros,
        Scenario[] scenarios, int ops, int seed, int repeat, bool calibrate, long memTotal, long memFree, long memLargest, ILineSink sink, ISuiteProgress progress)
    {
        var a = new Allocator(board);
        Status s = a.Start(config);
        if (s != Status.Ok)
        {
            sink.WriteLine("VMAP ERROR " + (a.ConfigProblem == null ? StatusText.Describe(s) : a.ConfigProblem));
            return null;
        }
        var log = new SuiteLog(sink);
        log.Begin(name, config, a.LazyMaxPages, flushFixedMicros, flushPerPageMicros, ops, memTotal, memFree, memLargest);
        var suite = new LatencySuite(a, board.Clock, LatencySuite.DefaultLiveCapacity);
        var results = new ScenarioResult[scenarios.Length];
        for (int i = 0; i < scenarios.Length; i++)
        {
            results[i] = suite.Run(scenarios[i], ops, seed + i);
            for (int k = 1; k < repeat; k++)
            {
                ScenarioResult again = suite.Run(scenarios[i], ops, seed + i);
                if (Better(again, results[i])) results[i] = again;
            }
            log.Scenario(results[i]);
            if (progress != null) progress.ScenarioDone(i, scenarios.Length, results[i]);
        }
        a.Stop();
        if (calibrate) new Calibration(board, config, log).Run();
        log.End();
        return results;
    }

    /// <summary>
    /// True when repetition <paramref name="a"/> is to be reported rather than <paramref name="b"/>:
    /// the one with less work first (most units in a section, then units in all, then sections,
    /// flushes and flushed pages: what the modeled board time is made of), so the modeled figures
    /// never depend on the host's timing; among repetitions alike in all of those, the one with
    /// the shorter measured longest section.
    /// </summary>
    private static bool Better(ScenarioResult a, ScenarioResult b)
    {
        if (a.CsMaxUnits != b.CsMaxUnits) return a.CsMaxUnits < b.CsMaxUnits;
        if (a.CsTotalUnits != b.CsTotalUnits) return a.CsTotalUnits < b.CsTotalUnits;
        if (a.CsCount != b.CsCount) return a.CsCount < b.CsCount;
        if (a.Flushes != b.Flushes) return a.Flushes < b.Flushes;
        if (a.FlushedPages != b.FlushedPages) return a.FlushedPages < b.FlushedPages;
        return a.CsMaxNanos < b.CsMaxNanos;
    }

    /// <summary>
    /// The firmware's only output. <c>Console.WriteLine</c>, not <c>Debug.WriteLine</c>: the
    /// latter is <c>[Conditional("DEBUG")]</c> in nanoFramework's mscorlib and vanishes from a
    /// Release build (the project system's default), which would leave the board silent. On a
    /// board the console goes to the same place as the debug output: the Visual Studio Output
    /// window (".NET nanoFramework Debug") while a debugger is attached, and the device's
    /// serial/USB port otherwise (see the README's tuning loop for how to capture it).
    /// </summary>
    private sealed class ConsoleSink : ILineSink
    {
        public void WriteLine(string line) => Console.WriteLine(line);
    }
}

/// <summary>Told after each scenario (the host runner drives its progress bar with it).</summary>
public interface ISuiteProgress
{
    /// <summary>Scenario <paramref name="index"/> of <paramref name="count"/> finished with <paramref name="result"/>.</summary>
    void ScenarioDone(int index, int count, ScenarioResult result);
}
