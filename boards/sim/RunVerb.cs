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
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file" };
        var emit = new Option<FileInfo?>("--emit-log") { Description = "Also write the exact text the firmware application prints (input for report); includes the calibration run's VMAP CAL lines" };
        var hostTime = new Option<bool>("--host-time") { Description = "Judge on the host's measured time instead of modeled board time (varies with the host's load)" };
        var cmd = new Command("run", "Run the on-device latency suite on the simulated board");
        foreach (Option o in new Option[] { board, cores, scenario, ops, seed, json, emit, hostTime }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var profile = Cli.LoadBoard(r.GetValue(board)!);
            int? coreCount = r.GetValue(cores);
            if (coreCount is < 1 or > 32) throw new UsageException($"option --cores: {coreCount} is out of range 1..32");
            VmapConfig config = SimSuite.Config(profile, coreCount);
            Scenario[] scenarios = Select(r.GetValue(scenario));
            int n = r.GetValue(ops);
            if (n < 1) throw new UsageException("option --ops: must be at least 1");

            IAnsiConsole console = Cli.Console(output);
            SimSuite.Outcome outcome = null!;
            console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{profile.Name}: {scenarios.Length} scenarios", maxValue: scenarios.Length);
                    outcome = SimSuite.Run(profile, config, scenarios, n, r.GetValue(seed), (i, count, res) =>
                    {
                        task.Description = $"{profile.Name}: {res.Name} done ({i + 1}/{count})";
                        task.Increment(1);
                    }, calibrate: r.GetValue(emit) != null);
                });
            var judge = new Judge(profile.CsBudgetMicros, profile.Cost, r.GetValue(hostTime) ? Basis.HostTime : Basis.BoardModel, "host");
            ResultsView.Render(console, outcome.Run, judge);
            if (r.GetValue(emit) is FileInfo log)
            {
                File.WriteAllText(log.FullName, outcome.Log);
                console.MarkupLine($"log: {Markup.Escape(log.FullName)}");
            }
            if (r.GetValue(json) is FileInfo file)
            {
                File.WriteAllText(file.FullName, ResultsView.Json(outcome.Run, judge));
                console.MarkupLine($"json: {Markup.Escape(file.FullName)}");
            }
            // Exit 1 on a FAIL verdict (a section over the budget on the judged basis, or a failed check).
            return ResultsView.Passed(outcome.Run, judge) ? 0 : 1;
        });
        return cmd;
    }

    internal static Scenario[] Select(string[]? names)
    {
        if (names == null || names.Length == 0) return LatencySuite.All();
        return names.Select(name => LatencySuite.Find(name)
            ?? throw new UsageException($"option --scenario: no scenario '{name}' (known: {string.Join(", ", LatencySuite.All().Select(s => s.Name))})")).ToArray();
    }
}
