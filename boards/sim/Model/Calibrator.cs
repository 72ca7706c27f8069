using System.Globalization;
using Vmap.Sim.Report;

namespace Vmap.Sim.Model;

/// <summary>One point the fit went through: the units, the lowest time measured at them, the model's time, the relative error.</summary>
public sealed record FitPoint(int Units, int Samples, double MeasuredMicros, double ModeledMicros)
{
    /// <summary>(modeled - measured) / measured, in percent.</summary>
    public double ErrorPct => MeasuredMicros > 0 ? (ModeledMicros - MeasuredMicros) / MeasuredMicros * 100 : 0;
}

/// <summary>A fitted cost model and how well it fits.</summary>
public sealed record CostFit(CostModel Model, int Samples, IReadOnlyList<FitPoint> Points, string Method)
{
    /// <summary>The largest relative error over the fitted points, in percent (absolute).</summary>
    public double MaxErrorPct => Points.Count == 0 ? 0 : Points.Max(p => Math.Abs(p.ErrorPct));

    /// <summary>The root mean square of the relative errors, in percent.</summary>
    public double RmsErrorPct => Points.Count == 0 ? 0 : Math.Sqrt(Points.Average(p => p.ErrorPct * p.ErrorPct));

    /// <summary>The points with the most units (the longest sections), most first.</summary>
    public IReadOnlyList<FitPoint> Longest(int count) => Points.OrderByDescending(p => p.Units).Take(count).ToList();
}

/// <summary>
/// Fits a board's cost model (fixed + units x per unit) to the (units, measured µs) pairs of a
/// capture: the VMAP CAL samples and each scenario's section with the most units.
/// <para>
/// Method: the lower envelope, then Theil–Sen. A section on a board is only ever lengthened by
/// what it does not control (an interrupt, a cache refill from PSRAM, the RTOS tick), never
/// shortened, so the time a section of u units really costs is best seen in the shortest of
/// the sections that did u units: the fit first keeps, per unit count, the minimum measured
/// time. Those minima can still hold outliers (a unit count sampled once, by an interrupted
/// section), so the line through them is Theil–Sen's: the slope is the median of the slopes
/// between every two points, the intercept the median of time - slope x units. It ignores up
/// to about 29 % of the points lying anywhere, where least squares would follow one 10x
/// outlier. Both parts are clamped at 0 (a profile's costs are never negative).
/// </para>
/// </summary>
public static class Calibrator
{
    /// <summary>The samples of a parsed capture: its CAL lines and each scenario's max-units section.</summary>
    public static List<(int Units, double Micros)> Samples(SuiteRun run)
    {
        var samples = run.Samples.Select(s => (s.Units, s.Micros)).ToList();
        foreach (var s in run.Scenarios)
        {
            if (s.HasUnits && s.CsCount > 0) samples.Add((s.CsMaxUnits, s.CsMaxUnitsNanos / 1000.0));
        }
        return samples;
    }

    /// <summary>Fits the model; null when the samples hold fewer than two different unit counts (no slope to fit).</summary>
    public static CostFit? Fit(IReadOnlyList<(int Units, double Micros)> samples)
    {
        var minima = samples.Where(s => s.Units >= 0 && s.Micros >= 0 && double.IsFinite(s.Micros))
            .GroupBy(s => s.Units)
            .Select(g => (Units: g.Key, Micros: g.Min(s => s.Micros), Count: g.Count()))
            .OrderBy(p => p.Units).ToList();
        if (minima.Count < 2) return null;
        var slopes = new List<double>();
        for (int i = 0; i < minima.Count; i++)
            for (int j = i + 1; j < minima.Count; j++)
                slopes.Add((minima[j].Micros - minima[i].Micros) / (minima[j].Units - minima[i].Units));
        double slope = Math.Max(0, Median(slopes));
        double intercept = Math.Max(0, Median(minima.Select(p => p.Micros - slope * p.Units).ToList()));
        var model = new CostModel(intercept, slope);
        var points = minima.Select(p => new FitPoint(p.Units, p.Count, p.Micros, model.Micros(p.Units))).ToList();
        return new CostFit(model, samples.Count, points, "Theil-Sen on the per-unit-count minima (lower envelope)");
    }

    /// <summary>A value as a profile writes it: up to 4 significant decimals, invariant culture.</summary>
    public static string ProfileValue(double v) => Math.Round(v, v >= 100 ? 1 : v >= 1 ? 3 : 5).ToString("0.#####", CultureInfo.InvariantCulture);

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
