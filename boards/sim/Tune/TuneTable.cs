using Spectre.Console;
using Spectre.Console.Rendering;
using Vmap.Sim.Boards;

namespace Vmap.Sim.Tune;

/// <summary>
/// The sweep's table: one row per setting. When the full table does not fit the console, the
/// headers go on two lines and the chosen row is marked with '*' in its first cell instead of a
/// column of its own, so no cell is ever wrapped or cut at 80 columns.
/// </summary>
public static class TuneTable
{
    public static Table Build(IAnsiConsole console, IReadOnlyList<TunePoint> points, TunePoint? best, int budgetUs, int spanPages, BoardProfile profile)
    {
        Table wide = Build(console, points, best, budgetUs, spanPages, profile, narrow: false);
        bool fits = ((IRenderable)wide).Measure(RenderOptions.Create(console, console.Profile.Capabilities), int.MaxValue).Max <= console.Profile.Width;
        return fits ? wide : Build(console, points, best, budgetUs, spanPages, profile, narrow: true);
    }

    private static Table Build(IAnsiConsole console, IReadOnlyList<TunePoint> points, TunePoint? best, int budgetUs, int spanPages, BoardProfile profile, bool narrow)
    {
        string title = $"tune {profile.Name}: budget {budgetUs} us of modeled board time ({profile.CsFixedMicros:G4} us + {profile.CsUnitMicros:G4} us/unit), lazily held at most {Tuner.Bytes((long)spanPages / 4 * profile.PageSize)}";
        var table = new Table().Border(console.Profile.Capabilities.Unicode ? TableBorder.Rounded : TableBorder.Ascii).Title(title);
        string[] headers = narrow
            ? ["lazy\npages", "chunk", "board\nlongest", "board\nops/s", "host\nlongest", "flushes\n/1000", "lazily\nheld"]
            : ["lazy_max_pages", "purge_chunk", "longest (board)", "ops/s (board)", "longest (host)", "flushes / 1000 frees", "lazily held", ""];
        foreach (string c in headers) table.AddColumn(new TableColumn(Markup.Escape(c)).RightAligned().NoWrap());
        foreach (TunePoint p in points)
        {
            bool chosen = ReferenceEquals(p, best);
            bool over = p.MaxCsMicros > budgetUs;
            bool lazyOver = p.MaxLazyPages > spanPages / 4;
            var cells = new List<string>
            {
                narrow && chosen ? $"[bold]* {p.LazyMaxPages}[/]" : p.LazyMaxPages.ToString(), p.ChunkLabel,
                (over ? "[red]" : "[green]") + $"{p.MaxCsMicros:F1} us[/]", p.OpsPerSecond.ToString("N0"), $"{p.HostMaxCsMicros:F1} us", p.FlushesPer1000Frees.ToString("F1"),
                (lazyOver ? "[red]" : "") + Tuner.Bytes(p.MaxLazyPages * profile.PageSize) + (lazyOver ? "[/]" : ""),
            };
            if (!narrow) cells.Add(chosen ? "[bold]<- chosen[/]" : "");
            table.AddRow(cells.ToArray());
        }
        if (narrow && best != null) table.Caption("* the chosen setting");
        return table;
    }
}
