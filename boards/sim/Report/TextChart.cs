using Spectre.Console;

namespace Vmap.Sim.Report;

/// <summary>
/// Horizontal bars as plain lines: label, the value as printed, and a bar whose length is
/// proportional to the value (linear; the title says what a full bar is). Block characters only on
/// a console with Unicode, '=' otherwise; it never wraps a line at the console's width. A bar may
/// carry a note after it (tune's "&lt;- chosen"), so what colour alone marks is also in the text.
/// </summary>
public static class TextChart
{
    public sealed record Bar(string Label, double Value, string Shown, bool Highlight, string? Note = null);

    public static void Write(IAnsiConsole console, string title, IReadOnlyList<Bar> bars, string fullBar, Color normal, Color highlight)
    {
        if (bars.Count == 0) return;
        double max = Math.Max(bars.Max(b => b.Value), double.Epsilon);
        int labelWidth = bars.Max(b => b.Label.Length);
        int shownWidth = bars.Max(b => b.Shown.Length);
        int noteWidth = bars.Max(b => b.Note is null ? 0 : b.Note.Length + 1);
        int barWidth = Math.Clamp(console.Profile.Width - labelWidth - shownWidth - noteWidth - 6, 10, 60);
        char block = console.Profile.Capabilities.Unicode ? '\u2588' : '=';
        console.MarkupLine(Markup.Escape($"{title} (bars linear: a full bar is {fullBar})"));
        foreach (Bar b in bars)
        {
            string bar = new(block, (int)Math.Round(b.Value / max * barWidth));
            Color color = b.Highlight ? highlight : normal;
            console.MarkupLine($"  {Markup.Escape(b.Label.PadLeft(labelWidth))} {Markup.Escape(b.Shown.PadLeft(shownWidth))} |[{color.ToMarkup()}]{bar}[/]{(b.Note is null ? "" : " " + Markup.Escape(b.Note))}");
        }
    }
}
