using System.CommandLine;
using Vmap.Sim.Report;

namespace Vmap.Sim;

/// <summary><c>report LOG</c>: renders a board's captured results like <c>run</c> does.</summary>
public static class ReportVerb
{
    public static Command Build(TextWriter output)
    {
        var log = new Argument<FileInfo>("LOG") { Description = "A capture of the firmware's serial/debug output (other lines are ignored)" };
        var board = new Option<string?>("--board") { Description = "Judge against this board profile's budget (default: the budget in the log)" };
        var cmd = new Command("report", "Render the results a board printed, against the board's budget");
        cmd.Arguments.Add(log);
        cmd.Options.Add(board);
        cmd.SetAction(r =>
        {
            FileInfo file = r.GetValue(log)!;
            if (!file.Exists) throw new UsageException($"{file.FullName}: no such file");
            SuiteRun run;
            try
            {
                run = SuiteLogReader.Parse(File.ReadAllText(file.FullName), file.FullName);
            }
            catch (LogException e)
            {
                throw new UsageException(e.Message);
            }
            int budget = run.Header.CsBudgetMicros;
            if (r.GetValue(board) is string name)
            {
                var profile = Cli.LoadBoard(name);
                if (profile.Name != run.Header.Board) output.WriteLine($"note: the log comes from board '{run.Header.Board}', judged against '{profile.Name}'");
                budget = profile.CsBudgetMicros;
            }
            ResultsView.Render(Cli.Console(output), run, budget);
            // A budget verdict is a result, not an error: exit 1 only when an invariant check failed.
            return run.Scenarios.Any(x => x.Problem != null) ? 1 : 0;
        });
        return cmd;
    }
}
