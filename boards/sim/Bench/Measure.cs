using System.Diagnostics;
using System.Text.Json;

namespace Vmap.Sim.Bench;

/// <summary>Small helpers shared by the benchmarks: timing, JSON output.</summary>
public static class Measure
{
    /// <summary>Nanoseconds between two stopwatch readings.</summary>
    public static double Nanos(long from, long to) => (to - from) * 1e9 / Stopwatch.Frequency;

    /// <summary>Writes one JSON object on one line (property names as given).</summary>
    public static void WriteJson(TextWriter output, IReadOnlyDictionary<string, object> fields)
    {
        output.WriteLine(JsonSerializer.Serialize(fields));
    }

    /// <summary>Rounds for display and JSON.</summary>
    public static double R(double v, int digits = 2) => Math.Round(v, digits);
}
