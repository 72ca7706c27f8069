using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Vmap.Sim.Boards;
using Vmap.Sim.Model;
using Vmap.Sim.Report;

namespace Vmap.Sim;

/// <summary>
/// <c>report LOG</c>: renders a board's captured results like <c>run</c> does, judged on modeled
/// board time (the profile's cost model applied to each section's work units) unless
/// --host-time or the log has no units; exit 0 on PASS, 1 on FAIL. <c>report LOG --calibrate</c>
/// fits the board's cost model to the capture's (units, µs) pairs instead (see
/// <see cref="Calibrator"/>), and with --write puts it into the profile.
/// </summary>
public static class ReportVerb
{
    /// <summary>How many of the longest fitted points the calibration shows.</summary>
    public const int LongestShown = 5;

    public static Command Build(TextWriter output)
    {
        var log = new Argument<string>("LOG") { Description = "A capture of the firmware's serial/debug output (other lines are ignored); '-' reads standard input" };
        var board = new Option<string?>("--board") { Description = "Judge against this board profile's budget and cost model (default: the profile the log names, with the log's budget)" };
        var hostTime = new Option<bool>("--host-time") { Description = "Judge on the measured time in the log instead of modeled board time" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text (the results, or with --calibrate the fitted cost and its error)" };
        var calibrate = new Option<bool>("--calibrate") { Description = "Fit the board's cost model (cs_fixed_us + units x cs_unit_us) to the capture's (units, us) pairs" };
        var write = new Option<bool>("--write") { Description = "With --calibrate: write the fitted cs_fixed_us and cs_unit_us into the board's profile (comments and order kept)" };
        var scale = new Option<double>("--scale") { Description = "With --calibrate: multiply the fitted costs by this board factor (a capture of the interpreter on a PC, scaled to a board's CPU)", DefaultValueFactory = _ => 1.0 };
        var cmd = new Command("report", "Render the results a board printed, against the board's budget; or calibrate its cost model");
        cmd.Arguments.Add(log);
        foreach (Option o in new Option[] { board, hostTime, json, calibrate, write, scale }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string file = r.GetValue(log)!;
            string name = file == "-" ? "(standard input)" : Path.GetFullPath(file);
            TextWriter error = r.InvocationConfiguration.Error;
            if (r.GetValue(write) && !r.GetValue(calibrate)) throw new UsageException("option --write: only with --calibrate");
            double factor = r.GetValue(scale);
            if (!(factor > 0 && factor <= 1e4)) throw new UsageException($"option --scale: {factor} is out of range (0, 10000]");
            if (factor != 1 && !r.GetValue(calibrate)) throw new UsageException("option --scale: only with --calibrate");
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
            BoardProfile? profile = null;
            if (r.GetValue(board) is string boardName)
            {
                profile = Cli.LoadBoard(boardName);
                if (profile.Name != run.Header.Board) error.WriteLine($"warning: the log comes from board '{run.Header.Board}', judged against board '{profile.Name}'");
            }
            else
            {
                try { profile = BoardProfile.Load(run.Header.Board); } catch (ProfileException) { profile = null; }
            }
            if (r.GetValue(calibrate)) return Calibrate(output, run, name, profile, r.GetValue(json), r.GetValue(write), factor);

            int budget = r.GetValue(board) != null ? profile!.CsBudgetMicros : run.Header.CsBudgetMicros;
            Basis basis = r.GetValue(hostTime) || profile == null ? Basis.HostTime : Basis.BoardModel;
            if (profile == null && !r.GetValue(hostTime) && !r.GetValue(json))
                error.WriteLine($"note: no profile '{run.Header.Board}' for a cost model: judged on the log's measured time (name one with --board)");
            var judge = new Judge(budget, profile?.Cost ?? new CostModel(0, 0), basis, "measured");
            if (r.GetValue(json)) output.WriteLine(ResultsView.Json(run, judge));
            else ResultsView.Render(Cli.Console(output), run, judge);
            return ResultsView.Passed(run, judge) ? 0 : 1;
        });
        return cmd;
    }

    private static int Calibrate(TextWriter output, SuiteRun run, string file, BoardProfile? profile, bool json, bool write, double factor)
    {
        CostFit fit = Calibrator.Fit(run, factor) ?? throw new UsageException(
            $"{file}: {run.Samples.Count} calibration samples and {run.Scenarios.Count(s => s.HasUnits)} scenarios with units: fewer than two different unit counts to fit " +
            "(capture a firmware that prints VMAP CAL lines and counts units per section)");
        if (write && profile == null) throw new UsageException($"option --write: no profile '{run.Header.Board}' to write (name one with --board)");
        string fixedText = Calibrator.ProfileValue(fit.Model.FixedMicros), unitText = Calibrator.ProfileValue(fit.Model.UnitMicros);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["board"] = profile?.Name ?? run.Header.Board,
                ["cs_fixed_us"] = double.Parse(fixedText, CultureInfo.InvariantCulture),
                ["cs_unit_us"] = double.Parse(unitText, CultureInfo.InvariantCulture),
                ["samples"] = fit.Samples,
                ["points_judged"] = fit.Points.Select(p => new Dictionary<string, object>
                {
                    ["section"] = p.Label, ["units"] = p.Units, ["measured_us"] = Math.Round(p.MeasuredMicros, 3), ["modeled_us"] = Math.Round(p.ModeledMicros, 3), ["error_pct"] = Math.Round(p.ErrorPct, 2),
                }).ToArray(),
                ["points"] = fit.Points.Count,
                ["method"] = fit.Method,
                ["scale"] = factor,
                ["max_error_pct"] = Math.Round(fit.MaxErrorPct, 2),
                ["rms_error_pct"] = Math.Round(fit.RmsErrorPct, 2),
                ["longest"] = fit.Longest(LongestShown).Select(p => new Dictionary<string, object>
                {
                    ["section"] = p.Label, ["units"] = p.Units, ["measured_us"] = Math.Round(p.MeasuredMicros, 3), ["modeled_us"] = Math.Round(p.ModeledMicros, 3), ["error_pct"] = Math.Round(p.ErrorPct, 2),
                }).ToArray(),
                ["written"] = write ? profile!.Path : null,
            }));
        }
        else
        {
            IAnsiConsole console = Cli.Console(output);
            console.MarkupLine($"calibration of board {Markup.Escape(run.Header.Board)}: {fit.Samples} (units, us) pairs, {fit.Points.Count} unit counts; {Markup.Escape(fit.Method)}" +
                (factor != 1 ? $"; measured times scaled by {factor:G4}" : ""));
            console.MarkupLine($"fit: a section takes [bold]{fixedText} us + {unitText} us per unit[/] (cs_fixed_us = {fixedText}, cs_unit_us = {unitText})");
            if (profile != null) console.MarkupLine($"profile {Markup.Escape(profile.Name)} now: cs_fixed_us = {profile.CsFixedMicros:G6}, cs_unit_us = {profile.CsUnitMicros:G6}");
            var table = new Table().Border(console.Profile.Capabilities.Unicode ? TableBorder.Rounded : TableBorder.Ascii).Title("the longest sections: measured against the fit");
            foreach (string c in new[] { "section", "units", "measured", "modeled", "error" }) table.AddColumn(new TableColumn(c).RightAligned().NoWrap());
            foreach (FitPoint p in fit.Longest(LongestShown))
                table.AddRow(Markup.Escape(p.Label), p.Units.ToString("N0"), $"{p.MeasuredMicros:F1} us", $"{p.ModeledMicros:F1} us", $"{p.ErrorPct:+0.0;-0.0;0.0} %");
            console.Write(table);
            console.MarkupLine($"error over all {fit.Points.Count} points: at most {fit.MaxErrorPct:F1} %, rms {fit.RmsErrorPct:F1} %");
        }
        if (write)
        {
            string scaled = factor != 1 ? $", scaled by {factor.ToString("G4", CultureInfo.InvariantCulture)}" : "";
            string note = $"calibrated by report --calibrate from {Path.GetFileName(file)} on {DateTime.UtcNow:yyyy-MM-dd} ({fit.Samples} pairs, max error {fit.MaxErrorPct:F1} %{scaled})";
            ProfileWriter.Write(profile!.Path, new Dictionary<string, string> { ["cs_fixed_us"] = fixedText, ["cs_unit_us"] = unitText },
                new Dictionary<string, string> { ["cs_fixed_us"] = note, ["cs_unit_us"] = note });
            if (!json) output.WriteLine($"wrote cs_fixed_us = {fixedText} and cs_unit_us = {unitText} into {profile.Path}");
        }
        return 0;
    }
}
