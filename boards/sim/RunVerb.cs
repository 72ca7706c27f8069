using System.CommandLine;
using Spectre.Console;
using Vmap.Sim.Report;
using Vmap.Suite;

namespace Vmap.Sim;

/// <summary>
/// <c>run</c>: the on-device latency suite on the simulated board, with the board's profile and
/// flush cost: a progress bar while it runs, then the results table, the critical-section
/// chart and the verdict against the board's budget, on modeled board time (the profile's cost
/// model applied to each section's work units) unless --host-time. Exit 0 on PASS, 1 on FAIL.
/// </summary>
public static class RunVerb
{
    public const int DefaultOps = 20_000;

    public static Command Build(TextWriter output)
    {
        var board = new Option<string>("--board") { Description = "Board profile (default: sim)", DefaultValueFactory = _ => "sim" };
        var cores = new Option<int?>("--cores") { Description = "Logical cores (default: the profile's); zones are on with more than one" };
        var scenario = new Option<string[]>("--scenario") { Description = "Scenarios to run (default: all): " + string.Join(", ", LatencySuite.All().Select(s => s.Name)), AllowMultipleArgumentsPerToken = true };
        var ops = new Option<int>("--ops") { Description = "Operations per scenario", DefaultValueFactory = _ => DefaultOps };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file ('-': JSON on stdout, the report on stderr)" };
        var lazyMax = new Option<string?>("--lazy-max-pages") { Description = "Lazily freed pages before a purge (default: the profile's)" };
        var chunk = new Option<string?>("--purge-chunk") { Description = "Areas merged per critical section of a purge, 0 for unbounded (default: the profile's)" };
        var emit = new Option<string?>("--emit-log") { Description = "Also write the exact text the firmware application prints (input for report); includes the calibration run's VMAP CAL lines" };
        var hostTime = new Option<bool>("--host-time") { Description = "Judge on the host's measured time instead of modeled board time (varies with the host's load)" };
        var cmd = new Command("run", "Run the on-device latency suite on the simulated board (progress on stderr; Ctrl-C stops after the running scenario, exit 130)");
        foreach (Option o in new Option[] { board, cores, scenario, ops, seed, lazyMax, chunk, json, emit, hostTime }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var profile = Cli.LoadBoard(r.GetValue(board)!);
            int? coreCount = r.GetValue(cores);
            if (coreCount is < 1 or > 32) throw new UsageException($"option --cores: {coreCount} is out of range 1..32");
            if (coreCount > profile.Cores) throw new UsageException($"option --cores: {coreCount} is more than the {profile.Cores} core{(profile.Cores == 1 ? "" : "s")} of board {profile.Name}");
            VmapConfig config = SimSuite.Config(profile, coreCount);
            if (SpanOptions.IntOption(r, lazyMax) is int lm) config.LazyMaxPages = lm;
            if (SpanOptions.IntOption(r, chunk) is int pc) config.PurgeChunk = pc;
            if (config.Validate() is string problem) throw new UsageException(problem);
            Scenario[] scenarios = Select(r.GetValue(scenario));
            int n = r.GetValue(ops);
            if (n < 1) throw new UsageException("option --ops: must be at least 1");
            // Output paths are checked before the work, not after it.
            string? jsonPath = r.GetValue(json) is string j ? OutputFile.Check(j, "--json", allowStdout: true) : null;
            string? logPath = r.GetValue(emit) is string l ? OutputFile.Check(l, "--emit-log") : null;
            TextWriter error = r.InvocationConfiguration.Error;
            TextWriter human = jsonPath == OutputFile.Stdout ? error : output; // --json -: stdout holds the JSON alone

            using var interrupt = new Interrupt();
            var done = new List<ScenarioResult>();
            SimSuite.Outcome outcome;
            try
            {
                outcome = null!;
                ProgressLines.Run(error, $"{profile.Name}: {scenarios.Length} scenario{(scenarios.Length == 1 ? "" : "s")}", scenarios.Length, step =>
                {
                    outcome = SimSuite.Run(profile, config, scenarios, n, r.GetValue(seed), (i, count, res) =>
                    {
                        done.Add(res);
                        step($"{res.Name} done ({i + 1}/{count})");
                        interrupt.ThrowIfRequested();
                    }, calibrate: logPath != null);
                });
            }
            catch (OperationCanceledException)
            {
                human.WriteLine($"interrupted: {done.Count} of {scenarios.Length} scenarios done; nothing written");
                foreach (ScenarioResult s in done)
                    human.WriteLine($"  {s.Name}: {s.Ops:N0} ops, {s.OpsPerSecond:N0} ops/s, longest critical section {s.CsMaxUnits} units, {s.CsMaxNanos / 1000.0:F1} us on the host, invariants {(s.Problem == null ? "ok" : "FAIL")}");
                return Interrupt.ExitCode;
            }
            var judge = new Judge(profile.CsBudgetMicros, profile.Cost, r.GetValue(hostTime) ? Basis.HostTime : Basis.BoardModel, "host");
            if (judge.Asked == Basis.HostTime && HostNoise(outcome.Run, LoadAverage(), Environment.ProcessorCount) is string noise)
                error.WriteLine("warning: " + noise);
            IAnsiConsole console = Cli.Console(human);
            ResultsView.Render(console, outcome.Run, judge);
            if (logPath != null)
            {
                File.WriteAllText(logPath, outcome.Log);
                console.MarkupLine($"log: {Markup.Escape(logPath)}");
            }
            if (jsonPath == OutputFile.Stdout)
            {
                output.WriteLine(ResultsView.Json(outcome.Run, judge));
            }
            else if (jsonPath != null)
            {
                File.WriteAllText(jsonPath, ResultsView.Json(outcome.Run, judge));
                console.MarkupLine($"json: {Markup.Escape(jsonPath)}");
            }
            // Exit 1 on a FAIL verdict (a section over the budget on the judged basis, or a failed check).
            return ResultsView.Passed(outcome.Run, judge) ? 0 : 1;
        });
        return cmd;
    }

    /// <summary>
    /// Why host time cannot be trusted for this run, or null: a section on .NET takes
    /// microseconds, so one of a millisecond or more is the host's scheduler (a time slice, the
    /// OS preempting the thread inside the section), and a load average above the host's
    /// processors means threads waited for a processor throughout.
    /// </summary>
    public static string? HostNoise(SuiteRun run, double? loadAverage, int processors)
    {
        var reasons = new List<string>();
        var slices = run.Scenarios.Where(s => s.CsMaxNanos >= 1_000_000).Select(s => $"{s.Name} {s.CsMaxNanos / 1000.0:F0} us").ToList();
        if (slices.Count > 0) reasons.Add($"sections of a millisecond or more ({string.Join(", ", slices)}) are the host's scheduler, not the allocator");
        if (loadAverage is double load && load > processors) reasons.Add($"the load average was {load:F1} on {processors} processors");
        return reasons.Count == 0 ? null : "the host was too busy to judge on host time: " + string.Join("; ", reasons) + ". Judge on modeled board time (without --host-time): it does not change with the host's load.";
    }

    /// <summary>The host's one-minute load average (Linux /proc/loadavg), or null where there is none.</summary>
    private static double? LoadAverage()
    {
        try
        {
            string first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double load) ? load : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static Scenario[] Select(string[]? names)
    {
        if (names == null || names.Length == 0) return LatencySuite.All();
        return names.Select(name => LatencySuite.Find(name)
            ?? throw new UsageException($"option --scenario: no scenario '{name}' (known: {string.Join(", ", LatencySuite.All().Select(s => s.Name))})")).ToArray();
    }
}
