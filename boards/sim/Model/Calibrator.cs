using System.Globalization;
using Vmap.Sim.Report;
using Vmap.Suite;

namespace Vmap.Sim.Model;

/// <summary>One point the fit is judged on: a scenario's longest section (or a calibration sample), its units, the measured time, the model's, the relative error.</summary>
public sealed record FitPoint(string Label, int Units, int Samples, double MeasuredMicros, double ModeledMicros)
{
    /// <summary>(modeled - measured) / measured, in percent.</summary>
    public double ErrorPct => MeasuredMicros > 0 ? (ModeledMicros - MeasuredMicros) / MeasuredMicros * 100 : 0;
}

/// <summary>A fitted cost model and how well it fits the points it is judged on.</summary>
public sealed record CostFit(CostModel Model, int Samples, IReadOnlyList<FitPoint> Points, string Method)
{
    /// <summary>The largest relative error over the points, in percent (absolute).</summary>
    public double MaxErrorPct => Points.Count == 0 ? 0 : Points.Max(p => Math.Abs(p.ErrorPct));

    /// <summary>The root mean square of the relative errors, in percent.</summary>
    public double RmsErrorPct => Points.Count == 0 ? 0 : Math.Sqrt(Points.Average(p => p.ErrorPct * p.ErrorPct));

    /// <summary>The points with the most units (the longest sections), most first.</summary>
    public IReadOnlyList<FitPoint> Longest(int count) => Points.OrderByDescending(p => p.Units).ThenByDescending(p => p.MeasuredMicros).Take(count).ToList();
}

/// <summary>
/// Fits a board's cost model (fixed + units x per unit) to a capture, for what the model is
/// used for: predicting each workload's longest critical section on the board.
/// <list type="number">
/// <item>The cost per unit comes from the calibration samples (VMAP CAL: sections over a spread
/// of unit counts). A section is only ever lengthened by what it does not control (an
/// interrupt, a cache refill, the interpreter's own pauses), never shortened, so per unit count
/// the fit keeps the shortest time (the lower envelope), then draws Theil–Sen's line through
/// those minima: the slope is the median of the slopes between every two points, which ignores
/// up to about 29 % of the points lying anywhere, where least squares would follow one 10x outlier.</item>
/// <item>The fixed part comes from the scenarios' longest sections (each scenario's longest
/// section by time with its units, and its section with the most units with its time): the
/// median of measured - slope x units. A longest section carries the pauses the board takes
/// now and then, which the lower envelope leaves out; the verdict judges longest sections, so
/// the fixed part includes them. (On the nanoCLR interpreter a 14-unit section was measured as
/// a scenario's longest at 63 us, where an alloc and a free together cost 53.4 us.)</item>
/// </list>
/// Without calibration samples (a capture without VMAP CAL lines) the slope comes from the
/// scenarios' longest sections too; without scenario units the fixed part comes from the
/// samples. Both parts are clamped at 0. The error is reported at the scenarios' longest sections.
/// </summary>
public static class Calibrator
{
    /// <summary>Fits the model to <paramref name="run"/>, every measured time multiplied by <paramref name="scale"/>; null when there is no slope to fit (fewer than two different unit counts).</summary>
    public static CostFit? Fit(SuiteRun run, double scale)
    {
        var longest = new List<(string Label, int Units, double Micros)>();
        foreach (ScenarioResult s in run.Scenarios)
        {
            if (!s.HasUnits || s.CsCount == 0) continue;
            longest.Add((s.Name, s.CsMaxNanosUnits, s.CsMaxNanos / 1000.0 * scale));
            if (s.CsMaxUnits != s.CsMaxNanosUnits) longest.Add((s.Name + " (most units)", s.CsMaxUnits, s.CsMaxUnitsNanos / 1000.0 * scale));
        }
        var minima = run.Samples.Where(c => c.Units >= 0 && c.Micros >= 0 && double.IsFinite(c.Micros))
            .GroupBy(c => c.Units)
            .Select(g => (Label: "cal", Units: g.Key, Micros: g.Min(c => c.Micros) * scale, Count: g.Count()))
            .OrderBy(p => p.Units).ToList();

        double slope;
        string slopeFrom;
        if (minima.Count >= 2)
        {
            slope = TheilSenSlope(minima.Select(p => (p.Units, p.Micros)).ToList());
            slopeFrom = "per unit: Theil-Sen on the calibration samples' lower envelope";
        }
        else if (longest.Select(p => p.Units).Distinct().Count() >= 2)
        {
            slope = TheilSenSlope(longest.Select(p => (p.Units, p.Micros)).ToList());
            slopeFrom = "per unit: Theil-Sen on the scenarios' longest sections (no calibration samples)";
        }
        else
        {
            return null;
        }
        slope = Math.Max(0, slope);

        double intercept;
        string fixedFrom;
        if (longest.Count > 0)
        {
            intercept = Median(longest.Select(p => p.Micros - slope * p.Units).ToList());
            fixedFrom = "fixed: median over the scenarios' longest sections";
        }
        else
        {
            intercept = Median(minima.Select(p => p.Micros - slope * p.Units).ToList());
            fixedFrom = "fixed: median over the calibration samples (no scenario units)";
        }
        var model = new CostModel(Math.Max(0, intercept), slope);
        List<FitPoint> points = longest.Count > 0
            ? longest.Select(p => new FitPoint(p.Label, p.Units, 1, p.Micros, model.Micros(p.Units))).ToList()
            : minima.Select(p => new FitPoint(p.Label, p.Units, p.Count, p.Micros, model.Micros(p.Units))).ToList();
        return new CostFit(model, run.Samples.Count + longest.Count, points, slopeFrom + "; " + fixedFrom);
    }

    /// <summary>A value as a profile writes it: up to 4 significant decimals, invariant culture.</summary>
    public static string ProfileValue(double v) => Math.Round(v, v >= 100 ? 1 : v >= 1 ? 3 : 5).ToString("0.#####", CultureInfo.InvariantCulture);

    private static double TheilSenSlope(List<(int Units, double Micros)> points)
    {
        var slopes = new List<double>();
        for (int i = 0; i < points.Count; i++)
            for (int j = i + 1; j < points.Count; j++)
                if (points[j].Units != points[i].Units) slopes.Add((points[j].Micros - points[i].Micros) / (points[j].Units - points[i].Units));
        return Median(slopes);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
