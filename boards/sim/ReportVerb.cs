using System.CommandLine;
using Vmap.Sim.Report;

namespace Vmap.Sim;

/// <summary><c>report LOG</c>: renders a board's captured results like <c>run</c> does.</summary>
public static class ReportVerb
{
    public static Command Build(TextWriter output)
    {
        var log = new Argument<string>("LOG") { Description = "A capture of the firmware's serial/debug output (other lines are ignored); '-' reads standard input" };
        var board = new Option<string?>("--board") { Description = "Judge against this board profile's budget (default: the budget in the log)" };
        var cmd = new Command("report", "Render the results a board printed, against the board's budget");
        cmd.Arguments.Add(log);
        cmd.Options.Add(board);
        cmd.SetAction(r =>
        {
            string file = r.GetValue(log)!;
            string name = file == "-" ? "(standard input)" : Path.GetFullPath(file);
            TextWriter error = r.InvocationConfiguration.Error;
            SuiteRun run;
            try
            {
                run = SuiteLogReader.Parse(InputText.Read(file, "log"), name);
            }
            catch (LogException e)
            {
                throw new UsageException(e.Message);
            }
            foreach (string warning in run.Warnings) error.WriteLine("warning: " + warning);
            int budget = run.Header.CsBudgetMicros;
            if (r.GetValue(board) is string boardName)
            {
                var profile = Cli.LoadBoard(boardName);
                if (profile.Name != run.Header.Board) error.WriteLine($"warning: the log comes from board '{run.Header.Board}', judged against board '{profile.Name}'");
                budget = profile.CsBudgetMicros;
            }
            ResultsView.Render(Cli.Console(output), run, budget);
            // A budget verdict is a result, not an error: exit 1 only when an invariant check failed.
            return run.Scenarios.Any(x => x.Problem != null) ? 1 : 0;
        });
        return cmd;
    }
}
