using System.Globalization;
using System.Text;

namespace Vmap.Sim.Tune;

/// <summary>
/// One panel of the tune chart: a figure measured at every point, its unit, and optionally a
/// limit the tuner judges it against (drawn as a dashed horizontal line with its label). The
/// chart knows nothing of what is measured: the caller names the figure and says how to read it
/// from a point, so renamed or new figures need no change here.
/// </summary>
public sealed record TunePanel(string Metric, string Unit, Func<TunePoint, double> Value, double? Limit = null, string? LimitLabel = null);

/// <summary>
/// The SVG of <c>tune</c>: a header that names the chosen setting, then one panel per figure,
/// two to a row. Each panel has its own box holding, left to right, the y axis (1-2-5 ticks from
/// 0 to 1.1 times the larger of the data and the panel's limit), the plot area and the legend,
/// so nothing of one panel reaches into another. The x axis is lazy_max_pages on a log2 scale
/// with a tick at every value swept, and a dotted vertical line where it reaches a quarter of the
/// span (the most the tuner lets be held lazily); when lazy_max_pages is fixed, the x axis is the
/// purge_chunk values swept, evenly spaced and labelled so. One curve per purge_chunk, each its
/// own colour; the chosen point is ringed and labelled with its setting and its value.
/// </summary>
public static class TuneChart
{
    private const int PanelWidth = 560, PanelHeight = 300, HeaderHeight = 70;
    private const int PlotLeft = 78, PlotTop = 40, PlotWidth = 310, PlotHeight = 200;
    private const int LegendGap = 14, LegendRow = 15, LegendSwatch = 22, LabelLine = 12;
    /// <summary>An upper bound of the width of one character at the chart's 11 px sans-serif font.</summary>
    public const double CharWidth = 6.6;

    private static readonly string[] Colors = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    /// <summary>The x axis: where a point goes, the ticks, and the quarter-of-span line (null where it does not apply).</summary>
    private sealed record XAxis(string Label, Func<TunePoint, double> Position, (double At, string Text)[] Ticks, double? SpanCap, string? SpanCapLabel);

    /// <summary>One curve: its legend text (the value of the setting it holds fixed) and its points in x order.</summary>
    private sealed record Series(string Label, string Color, List<TunePoint> Points);

    /// <summary>The curves and the setting that tells them apart (the legend's title).</summary>
    private sealed record Curves(string Setting, List<Series> Series);

    /// <summary>The whole SVG document.</summary>
    public static string Svg(IReadOnlyList<TunePoint> points, TunePoint? best, IReadOnlyList<TunePanel> panels, string board, int spanPages)
    {
        XAxis x = Axis(points, spanPages);
        Curves curves = CurvesOf(points);
        int rows = (panels.Count + 1) / 2;
        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{2 * PanelWidth}\" height=\"{HeaderHeight + rows * PanelHeight}\" font-family=\"sans-serif\" font-size=\"11\">\n"));
        sb.Append(Inv($"<rect width=\"{2 * PanelWidth}\" height=\"{HeaderHeight + rows * PanelHeight}\" fill=\"white\"/>\n"));
        sb.Append(Inv($"<text class=\"title\" x=\"10\" y=\"20\" font-size=\"14\">vmap tune: board {Escape(board)}, the suite's figures against {Escape(x.Label)}</text>\n"));
        sb.Append(Inv($"<text class=\"summary\" x=\"10\" y=\"40\" font-size=\"12\">{Escape(Chosen(best))}</text>\n"));
        if (best != null)
            sb.Append(Inv($"<text class=\"summary\" x=\"10\" y=\"58\" font-size=\"12\">{Escape(string.Join("; ", panels.Select(p => $"{p.Metric}: {FormatValue(p.Value(best))} {p.Unit}")))}</text>\n"));
        for (int k = 0; k < panels.Count; k++)
            Panel(sb, panels[k], (k % 2) * PanelWidth, HeaderHeight + (k / 2) * PanelHeight, points, best, x, curves);
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    // ---- axes -------------------------------------------------------------------------------

    /// <summary>
    /// Log2 of lazy_max_pages when more than one threshold was swept; otherwise the purge_chunk
    /// values, evenly spaced (0, unbounded, has no place on a log scale).
    /// </summary>
    private static XAxis Axis(IReadOnlyList<TunePoint> points, int spanPages)
    {
        int[] lazies = points.Select(p => p.LazyMaxPages).Distinct().Order().ToArray();
        if (lazies.Length > 1 && lazies[0] > 0)
        {
            int cap = spanPages / 4;
            bool capShown = cap >= lazies[0] && cap <= lazies[^1];
            return new XAxis("lazy_max_pages (pages, log2 scale)", p => Math.Log2(p.LazyMaxPages),
                lazies.Select(v => (Math.Log2(v), v.ToString("N0", CultureInfo.InvariantCulture))).ToArray(),
                capShown ? Math.Log2(cap) : null, capShown ? $"span/4 = {cap:N0}" : null);
        }
        int[] chunks = points.Select(p => p.PurgeChunk).Distinct().Order().ToArray();
        return new XAxis("purge_chunk (pages per section, evenly spaced, not to scale)", p => Array.IndexOf(chunks, p.PurgeChunk),
            chunks.Select((c, i) => ((double)i, c == 0 ? "unbounded" : c.ToString(CultureInfo.InvariantCulture))).ToArray(), null, null);
    }

    /// <summary>One curve per purge_chunk when lazy_max_pages is swept; one curve per threshold otherwise.</summary>
    private static Curves CurvesOf(IReadOnlyList<TunePoint> points)
    {
        bool lazySwept = points.Select(p => p.LazyMaxPages).Distinct().Count() > 1;
        var groups = lazySwept
            ? points.GroupBy(p => p.PurgeChunk).OrderBy(g => g.Key).Select(g => (g.First().ChunkLabel, g.OrderBy(p => p.LazyMaxPages).ToList()))
            : points.GroupBy(p => p.LazyMaxPages).OrderBy(g => g.Key).Select(g => (g.Key.ToString("N0", CultureInfo.InvariantCulture), g.OrderBy(p => p.PurgeChunk).ToList()));
        return new Curves(lazySwept ? "purge_chunk" : "lazy_max_pages",
            groups.Select((g, i) => new Series(g.Item1, Colors[i % Colors.Length], g.Item2)).ToList());
    }

    /// <summary>
    /// Round tick values (1, 2 or 5 times a power of ten) from 0 up to <paramref name="top"/>,
    /// four to seven of them, and the step between them.
    /// </summary>
    public static (double[] Ticks, double Step) NiceTicks(double top)
    {
        if (!(top > 0) || double.IsInfinity(top)) top = 1;
        double rough = top / 5;
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double step = (rough / power) switch { < 1.5 => 1, < 3 => 2, < 7 => 5, _ => 10 } * power; // four to seven ticks
        var ticks = new List<double>();
        for (int i = 0; i * step <= top * (1 + 1e-9); i++) ticks.Add(i * step);
        return (ticks.ToArray(), step);
    }

    /// <summary>A tick value as people read it: 12k, 1.5M, 2,500, 0.5 (enough decimals for the step).</summary>
    public static string FormatTick(double value, double step, double largest)
    {
        (double scale, string suffix) = largest >= 1e6 ? (1e6, "M") : largest >= 1e4 ? (1e3, "k") : (1, "");
        int decimals = Math.Max(0, (int)-Math.Floor(Math.Log10(step / scale) + 1e-9));
        if (value == 0) return "0";
        return (value / scale).ToString("N" + decimals, CultureInfo.InvariantCulture) + suffix;
    }

    /// <summary>A measured value in three significant figures or so: 150k, 1.52M, 12.3, 4,096.</summary>
    public static string FormatValue(double v) => Math.Abs(v) switch
    {
        >= 1e6 => Inv($"{v / 1e6:0.##}M"),
        >= 1e5 => Inv($"{v / 1e3:0}k"),
        >= 1e4 => Inv($"{v / 1e3:0.#}k"),
        >= 100 => v.ToString("N0", CultureInfo.InvariantCulture),
        _ => Inv($"{v:0.##}"),
    };

    // ---- one panel ----------------------------------------------------------------------------

    private static void Panel(StringBuilder sb, TunePanel panel, double ox, double oy, IReadOnlyList<TunePoint> points, TunePoint? best, XAxis x, Curves curves)
    {
        double px = ox + PlotLeft, py = oy + PlotTop;
        double top = Math.Max(points.Max(panel.Value), panel.Limit ?? 0) * 1.1;
        if (!(top > 0)) top = 1;
        var (ticks, step) = NiceTicks(top);
        double xMin = x.Ticks.Min(t => t.At), xMax = x.Ticks.Max(t => t.At);
        // A single x value sits in the middle; otherwise a small margin keeps end points off the frame.
        double X(double at) => xMax == xMin ? px + PlotWidth / 2.0 : px + 12 + (at - xMin) / (xMax - xMin) * (PlotWidth - 24);
        double Y(double v) => py + PlotHeight - v / top * PlotHeight;

        sb.Append(Inv($"<g class=\"panel\" data-metric=\"{Escape(panel.Metric)}\">\n"));
        sb.Append(Inv($"<rect class=\"panel-box\" x=\"{ox + 4}\" y=\"{oy + 4}\" width=\"{PanelWidth - 8}\" height=\"{PanelHeight - 8}\" fill=\"none\" stroke=\"#ddd\"/>\n"));
        sb.Append(Inv($"<text class=\"panel-title\" x=\"{px}\" y=\"{py - 14}\" font-size=\"12\" font-weight=\"bold\">{Escape(panel.Metric)}</text>\n"));
        sb.Append(Inv($"<rect class=\"plot-area\" x=\"{px}\" y=\"{py}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"none\" stroke=\"#999\"/>\n"));
        YAxis(sb, panel, ticks, step, px, py, Y);
        XTicks(sb, x, px, py, X);
        if (panel.Limit is double limit) LimitLine(sb, limit, panel.LimitLabel ?? $"limit {FormatValue(limit)} {panel.Unit}", px, Y(limit));
        foreach (Series s in curves.Series) Curve(sb, s, panel, x, X, Y);
        var taken = new List<double>();
        if (x.SpanCap != null) taken.Add(py + 12);
        if (panel.Limit is double l) taken.Add(Y(l) - 4);
        if (best != null) Chosen(sb, best, panel, X(x.Position(best)), Y(panel.Value(best)), px, py, taken.ToArray());
        Legend(sb, curves, best != null, px + PlotWidth + LegendGap, py, ox + PanelWidth - 8);
        sb.Append("</g>\n");
    }

    private static void YAxis(StringBuilder sb, TunePanel panel, double[] ticks, double step, double px, double py, Func<double, double> Y)
    {
        foreach (double t in ticks)
        {
            double y = Y(t);
            sb.Append(Inv($"<line class=\"grid\" x1=\"{px}\" x2=\"{px + PlotWidth}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"#eee\"/>"));
            sb.Append(Inv($"<line x1=\"{px - 4}\" x2=\"{px}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"#999\"/>"));
            sb.Append(Inv($"<text class=\"y-tick\" x=\"{px - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{FormatTick(t, step, ticks[^1])}</text>\n"));
        }
        double cx = px - 58, cy = py + PlotHeight / 2.0;
        sb.Append(Inv($"<text class=\"y-label\" x=\"{cx}\" y=\"{cy}\" transform=\"rotate(-90 {cx} {cy})\" text-anchor=\"middle\">{Escape(panel.Unit)}</text>\n"));
    }

    private static void XTicks(StringBuilder sb, XAxis x, double px, double py, Func<double, double> X)
    {
        double bottom = py + PlotHeight;
        foreach (var (at, text) in x.Ticks)
        {
            double tx = X(at);
            sb.Append(Inv($"<line x1=\"{tx:F1}\" x2=\"{tx:F1}\" y1=\"{bottom}\" y2=\"{bottom + 4}\" stroke=\"#999\"/>"));
            sb.Append(Inv($"<text class=\"x-tick\" x=\"{tx:F1}\" y=\"{bottom + 16}\" text-anchor=\"middle\">{Escape(text)}</text>\n"));
        }
        sb.Append(Inv($"<text class=\"x-label\" x=\"{px + PlotWidth / 2.0}\" y=\"{bottom + 34}\" text-anchor=\"middle\">{Escape(x.Label)}</text>\n"));
        if (x.SpanCap is double cap)
        {
            double cx = X(cap);
            sb.Append(Inv($"<line class=\"span-cap\" x1=\"{cx:F1}\" x2=\"{cx:F1}\" y1=\"{py}\" y2=\"{bottom}\" stroke=\"#555\" stroke-dasharray=\"2 3\"/>"));
            sb.Append(Inv($"<text class=\"span-cap-label\" x=\"{cx - 3:F1}\" y=\"{py + 12}\" text-anchor=\"end\" fill=\"#555\" font-size=\"10\">{Escape(x.SpanCapLabel!)}</text>\n"));
        }
    }

    private static void LimitLine(StringBuilder sb, double limit, string label, double px, double y)
    {
        sb.Append(Inv($"<line class=\"limit\" x1=\"{px}\" x2=\"{px + PlotWidth}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"#000\" stroke-dasharray=\"6 4\"/>"));
        sb.Append(Inv($"<text class=\"limit-label\" x=\"{px + PlotWidth - 4}\" y=\"{y - 4:F1}\" text-anchor=\"end\" font-size=\"10\">{Escape(label)}</text>\n"));
    }

    private static void Curve(StringBuilder sb, Series s, TunePanel panel, XAxis x, Func<double, double> X, Func<double, double> Y)
    {
        string pts = string.Join(' ', s.Points.Select(p => Inv($"{X(x.Position(p)):F1},{Y(panel.Value(p)):F1}")));
        sb.Append(Inv($"<polyline class=\"series\" points=\"{pts}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"1.5\"/>\n"));
        foreach (TunePoint p in s.Points)
            sb.Append(Inv($"<circle class=\"point\" cx=\"{X(x.Position(p)):F1}\" cy=\"{Y(panel.Value(p)):F1}\" r=\"2.5\" fill=\"{s.Color}\"/>"));
        sb.Append('\n');
    }

    /// <summary>
    /// The chosen point ringed, with its setting and its value beside it: above the point, or
    /// below it where the text would leave the plot area or sit on the limit's or the span
    /// line's label (<paramref name="taken"/>: the baselines of those labels). A white halo keeps
    /// it legible over the curves.
    /// </summary>
    private static void Chosen(StringBuilder sb, TunePoint best, TunePanel panel, double cx, double cy, double px, double py, double[] taken)
    {
        sb.Append(Inv($"<circle class=\"chosen\" cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"6\" fill=\"none\" stroke=\"black\" stroke-width=\"2\"/>\n"));
        string setting = $"chosen: lazy {best.LazyMaxPages}, chunk {best.ChunkLabel}";
        string figure = $"{FormatValue(panel.Value(best))} {panel.Unit}";
        double width = Math.Max(setting.Length, figure.Length) * CharWidth;
        bool right = cx + 10 + width <= px + PlotWidth;
        double tx = right ? cx + 10 : Math.Max(px + 2 + width, cx - 10);
        // Two lines: the band from 10 above the first baseline to 2 below the second.
        bool Fits(double y) => y - 10 >= py && y + LabelLine + 2 <= py + PlotHeight && taken.All(t => t < y - 12 || t > y + LabelLine + 12);
        double[] candidates = [cy - 10 - LabelLine, cy + 18, cy - 24 - LabelLine, cy + 32];
        double ty = candidates.FirstOrDefault(Fits, cy - 10 - LabelLine < py + 10 ? cy + 18 : cy - 10 - LabelLine);
        sb.Append(Inv($"<text class=\"chosen-label\" x=\"{tx:F1}\" y=\"{ty:F1}\" text-anchor=\"{(right ? "start" : "end")}\" font-size=\"10\" font-weight=\"bold\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">"));
        sb.Append(Inv($"{Escape(setting)}<tspan x=\"{tx:F1}\" dy=\"{LabelLine}\">{Escape(figure)}</tspan></text>\n"));
    }

    /// <summary>The legend beside the plot area, inside the panel's box (its right edge at most <paramref name="right"/>).</summary>
    private static void Legend(StringBuilder sb, Curves curves, bool chosen, double lx, double ly, double right)
    {
        List<Series> series = curves.Series;
        var labels = series.Select(s => s.Label).ToList();
        if (chosen) labels.Add("chosen");
        double width = Math.Min(right - lx, 8 + LegendSwatch + labels.Max(l => l.Length) * CharWidth);
        width = Math.Max(width, Math.Min(right - lx, 8 + curves.Setting.Length * CharWidth));
        sb.Append(Inv($"<g class=\"legend\"><rect class=\"legend-box\" x=\"{lx}\" y=\"{ly}\" width=\"{width:F1}\" height=\"{(labels.Count + 1) * LegendRow + 8}\" fill=\"white\" stroke=\"#ccc\"/>\n"));
        sb.Append(Inv($"<text class=\"legend-item\" x=\"{lx + 4}\" y=\"{ly + 4 + LegendRow / 2.0 + 4:F1}\" font-weight=\"bold\">{Escape(curves.Setting)}</text>\n"));
        for (int i = 0; i < labels.Count; i++)
        {
            double y = ly + 4 + LegendRow * (i + 1) + LegendRow / 2.0;
            if (i < series.Count)
                sb.Append(Inv($"<line x1=\"{lx + 4}\" x2=\"{lx + LegendSwatch}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"{series[i].Color}\" stroke-width=\"2.5\"/>"));
            else
                sb.Append(Inv($"<circle cx=\"{lx + 4 + (LegendSwatch - 4) / 2.0:F1}\" cy=\"{y:F1}\" r=\"5\" fill=\"none\" stroke=\"black\" stroke-width=\"2\"/>"));
            sb.Append(Inv($"<text class=\"legend-item\" x=\"{lx + LegendSwatch + 4}\" y=\"{y + 4:F1}\">{Escape(labels[i])}</text>\n"));
        }
        sb.Append("</g>\n");
    }

    private static string Chosen(TunePoint? best) => best == null
        ? "no setting qualified: nothing chosen"
        : $"chosen (ringed in every panel): lazy_max_pages {best.LazyMaxPages:N0}, purge_chunk {best.ChunkLabel}";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
