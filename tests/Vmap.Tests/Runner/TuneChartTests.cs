using System.Globalization;
using System.Xml.Linq;
using SkiaSharp;
using Svg.Skia;
using Vmap.Sim.Tune;

namespace Vmap.Tests.Runner;

/// <summary>
/// Regime: tune's SVG read as a person would: its text and geometry parsed from the XML (ticks,
/// limit lines, the chosen point's label, legends inside their panels, curves inside their plot
/// areas), and the picture rasterized headless to a PNG with something drawn in every panel.
/// </summary>
public sealed class TuneChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private const int Budget = 50, SpanPages = 1024;

    /// <summary>
    /// A sweep shaped like the real one: the unbounded chunk goes far over the budget at high
    /// thresholds, throughput in the hundreds of thousands, lazily held pages up to the span.
    /// </summary>
    private static List<TunePoint> Sweep()
    {
        var points = new List<TunePoint>();
        foreach (int lazy in new[] { 4, 16, 64, 256, 1024 })
        {
            foreach (int chunk in Tuner.Chunks)
            {
                double section = chunk == 0 ? lazy * 0.9 : 2 + chunk * 0.4 + Math.Log2(lazy);
                double ops = 60_000 + 25_000 * Math.Log2(lazy) - 3_000 * (chunk == 1 ? 1 : 0);
                points.Add(new TunePoint(lazy, chunk, section, ops, 4000.0 / lazy, Math.Min(SpanPages, lazy - 1)));
            }
        }
        return points;
    }

    private static (List<TunePoint> Points, TunePoint Best, XDocument Doc, string Text) Chart()
    {
        List<TunePoint> points = Sweep();
        var (best, _) = Tuner.Choose(points, Budget, SpanPages, 4096);
        Assert.NotNull(best);
        string text = Tuner.Svg(points, best, Budget, "synthetic", SpanPages);
        return (points, best, XDocument.Parse(text), text);
    }

    [Fact]
    public void Every_panel_has_labelled_axes_with_increasing_round_ticks()
    {
        var (_, _, doc, _) = Chart();
        List<XElement> panels = Panels(doc);
        Assert.Equal(4, panels.Count);
        foreach (XElement panel in panels)
        {
            string metric = (string)panel.Attribute("data-metric")!;
            var y = Texts(panel, "y-tick").Select(t => (Pos: Num(t, "y"), Value: ParseTick(t.Value))).OrderByDescending(t => t.Pos).ToList();
            Assert.True(y.Count >= 3, $"{metric}: {y.Count} y ticks");
            Assert.Equal(0, y[0].Value);
            for (int i = 1; i < y.Count; i++) Assert.True(y[i].Value > y[i - 1].Value, $"{metric}: y ticks not increasing upwards");
            // 1-2-5 steps, evenly spaced.
            double step = y[1].Value - y[0].Value;
            double mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step)));
            Assert.Contains(Math.Round(mantissa, 6), new[] { 1.0, 2.0, 5.0 });
            var x = Texts(panel, "x-tick").Select(t => (Pos: Num(t, "x"), Value: ParseTick(t.Value))).OrderBy(t => t.Pos).ToList();
            Assert.Equal([4, 16, 64, 256, 1024], x.Select(t => t.Value));
            // Really log2: each tick is a factor of 4 on from the last, so they are evenly spaced.
            double gap = x[1].Pos - x[0].Pos;
            for (int i = 2; i < x.Count; i++) Assert.Equal(gap, x[i].Pos - x[i - 1].Pos, 0.2);
            Assert.Contains("lazy_max_pages", Texts(panel, "x-label").Single().Value);
            Assert.Contains("log2", Texts(panel, "x-label").Single().Value);
            Assert.False(string.IsNullOrWhiteSpace(Texts(panel, "y-label").Single().Value), $"{metric}: no unit on the y axis");
        }
    }

    [Fact]
    public void The_latency_panel_is_scaled_to_the_data_and_shows_the_budget()
    {
        var (points, _, doc, _) = Chart();
        XElement latency = Panels(doc)[0];
        Box plot = BoxOf(latency, "plot-area");
        double top = Texts(latency, "y-tick").Max(t => ParseTick(t.Value));
        double wanted = Math.Max(points.Max(p => p.MaxCsMicros), Budget) * 1.1;
        Assert.InRange(top, wanted / 2, wanted);

        XElement budget = Elements(latency, "line", "limit").Single();
        Assert.Equal(Num(budget, "y1"), Num(budget, "y2"));
        Assert.InRange(Num(budget, "y1"), plot.Y, plot.Bottom);
        Assert.Contains("budget 50", Texts(latency, "limit-label").Single().Value);

        // The quarter of the span is a vertical line at lazy_max_pages 256 in every panel.
        foreach (XElement panel in Panels(doc))
        {
            XElement cap = Elements(panel, "line", "span-cap").Single();
            double at256 = Num(Texts(panel, "x-tick").Single(t => t.Value == "256"), "x");
            Assert.Equal(at256, Num(cap, "x1"), 0.2);
            Assert.Contains("span/4 = 256", Texts(panel, "span-cap-label").Single().Value);
        }
    }

    [Fact]
    public void The_chosen_point_is_ringed_and_labelled_with_its_setting_in_every_panel()
    {
        var (_, best, doc, _) = Chart();
        Assert.Equal(256, best.LazyMaxPages);
        foreach (XElement panel in Panels(doc))
        {
            Box plot = BoxOf(panel, "plot-area");
            XElement ring = Elements(panel, "circle", "chosen").Single();
            Assert.True(plot.Contains(Num(ring, "cx"), Num(ring, "cy")));
            string label = Texts(panel, "chosen-label").Single().Value;
            Assert.Contains($"lazy {best.LazyMaxPages}", label);
            Assert.Contains($"chunk {best.ChunkLabel}", label);
        }
        Assert.Contains($"lazy_max_pages {best.LazyMaxPages}, purge_chunk {best.ChunkLabel}", doc.Descendants(Svg + "text").First(t => Class(t) == "summary").Value);
    }

    [Fact]
    public void Legends_and_curves_stay_inside_their_own_panel()
    {
        var (points, _, doc, _) = Chart();
        List<XElement> panels = Panels(doc);
        List<Box> boxes = panels.Select(p => BoxOf(p, "panel-box")).ToList();
        for (int i = 0; i < boxes.Count; i++)
            for (int j = i + 1; j < boxes.Count; j++) Assert.False(boxes[i].Overlaps(boxes[j]), $"panels {i} and {j} overlap");
        foreach (XElement panel in panels)
        {
            Box box = BoxOf(panel, "panel-box"), plot = BoxOf(panel, "plot-area");
            XElement legend = Elements(panel, "g", "legend").Single();
            Box legendBox = BoxOf(legend, "legend-box");
            Assert.True(box.Encloses(legendBox), "legend outside its panel");
            Assert.False(plot.Overlaps(legendBox), "legend over the plot area");
            foreach (XElement item in Texts(legend, "legend-item"))
                Assert.True(Num(item, "x") + item.Value.Length * TuneChart.CharWidth <= legendBox.Right, $"legend text '{item.Value}' runs out of its box");
            // One curve per purge_chunk, each its own colour.
            List<XElement> curves = Elements(panel, "polyline", "series").ToList();
            Assert.Equal(Tuner.Chunks.Length, curves.Count);
            Assert.Equal(curves.Count, curves.Select(c => (string)c.Attribute("stroke")!).Distinct().Count());
            foreach (XElement curve in curves)
            {
                foreach (string xy in ((string)curve.Attribute("points")!).Split(' '))
                {
                    double[] c = xy.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                    Assert.True(plot.Contains(c[0], c[1]), $"curve point {xy} outside the plot area {plot}");
                }
            }
            Assert.Equal(points.Count, Elements(panel, "circle", "point").Count());
            Assert.All(Elements(panel, "circle", "point"), p => Assert.True(plot.Contains(Num(p, "cx"), Num(p, "cy"))));
        }
    }

    [Fact]
    public void The_chart_rasterizes_with_something_drawn_in_every_panel()
    {
        var (_, _, doc, text) = Chart();
        string dir = Directory.CreateTempSubdirectory("vmap-tune-chart").FullName;
        try
        {
            int width = (int)Num(doc.Root!, "width"), height = (int)Num(doc.Root!, "height");
            using var svg = new SKSvg();
            svg.FromSvg(text);
            Assert.NotNull(svg.Picture);
            using (var bitmap = new SKBitmap(width, height))
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(SKColors.White);
                canvas.DrawPicture(svg.Picture);
                canvas.Flush();
                using SKData png = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(dir, "tune.png"), png.ToArray());
            }
            using SKBitmap read = SKBitmap.Decode(Path.Combine(dir, "tune.png"));
            Assert.Equal((width, height), (read.Width, read.Height));
            foreach (XElement panel in Panels(doc))
            {
                Box plot = BoxOf(panel, "plot-area");
                int drawn = 0;
                for (int y = (int)plot.Y + 2; y < (int)plot.Bottom - 1; y++)
                    for (int x = (int)plot.X + 2; x < (int)plot.Right - 1; x++)
                        if (read.GetPixel(x, y) != SKColors.White) drawn++;
                Assert.True(drawn > 200, $"{(string)panel.Attribute("data-metric")!}: only {drawn} pixels drawn in the plot area");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Ticks_are_round_and_read_like_numbers()
    {
        Assert.Equal([0, 10, 20, 30, 40, 50], TuneChart.NiceTicks(55).Ticks);
        Assert.Equal(50_000, TuneChart.NiceTicks(330_000).Step);
        Assert.Equal("0", TuneChart.FormatTick(0, 50_000, 300_000));
        Assert.Equal("150k", TuneChart.FormatTick(150_000, 50_000, 300_000));
        Assert.Equal("1.5M", TuneChart.FormatTick(1_500_000, 500_000, 3_000_000));
        Assert.Equal("2,500", TuneChart.FormatTick(2_500, 500, 3_000));
        Assert.Equal("0.5", TuneChart.FormatTick(0.5, 0.5, 2));
    }

    // ---- reading the SVG ------------------------------------------------------------------------

    private sealed record Box(double X, double Y, double W, double H)
    {
        public double Right => X + W;
        public double Bottom => Y + H;
        public bool Contains(double x, double y) => x >= X && x <= Right && y >= Y && y <= Bottom;
        public bool Encloses(Box b) => b.X >= X && b.Right <= Right && b.Y >= Y && b.Bottom <= Bottom;
        public bool Overlaps(Box b) => b.X < Right && X < b.Right && b.Y < Bottom && Y < b.Bottom;
    }

    private static string Class(XElement e) => (string?)e.Attribute("class") ?? "";

    private static List<XElement> Panels(XDocument doc) => doc.Descendants(Svg + "g").Where(g => Class(g) == "panel").ToList();

    private static IEnumerable<XElement> Elements(XElement scope, string name, string cls) => scope.Descendants(Svg + name).Where(e => Class(e) == cls);

    private static IEnumerable<XElement> Texts(XElement scope, string cls) => Elements(scope, "text", cls);

    private static double Num(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    private static Box BoxOf(XElement scope, string cls)
    {
        XElement r = Elements(scope, "rect", cls).Single();
        return new Box(Num(r, "x"), Num(r, "y"), Num(r, "width"), Num(r, "height"));
    }

    /// <summary>A tick as printed: 12k, 1.5M, 2,500, 0.5.</summary>
    private static double ParseTick(string s)
    {
        double scale = s.EndsWith('k') ? 1e3 : s.EndsWith('M') ? 1e6 : 1;
        return double.Parse(s.TrimEnd('k', 'M').Replace(",", ""), CultureInfo.InvariantCulture) * scale;
    }
}

