using System.CommandLine;
using Vmap.Sim.Boards;

namespace Vmap.Sim;

/// <summary>
/// The span options shared by replay and the trace benchmark: <c>--board NAME</c> for all of
/// them, each overridable (decimal or 0x hexadecimal), and <c>--zones</c>. Both run on one core.
/// </summary>
public sealed class SpanOptions
{
    public Option<string> Board { get; } = new("--board") { Description = "Board profile for every setting (default: sim)", DefaultValueFactory = _ => "sim" };
    public Option<string?> PageSize { get; } = new("--page-size") { Description = "Bytes per page (power of two)" };
    public Option<string?> SpanStart { get; } = new("--span-start") { Description = "Address of the span (page multiple)" };
    public Option<string?> SpanSize { get; } = new("--span-size") { Description = "Bytes in the span (page multiple)" };
    public Option<string?> GuardPages { get; } = new("--guard-pages") { Description = "Guard pages after each area" };
    public Option<string?> LazyMaxPages { get; } = new("--lazy-max-pages") { Description = "Lazily freed pages before a purge" };
    public Option<string?> PurgeChunk { get; } = new("--purge-chunk") { Description = "Areas merged per critical section of a purge (0: one unbounded section)" };
    public Option<string?> MaxAreas { get; } = new("--max-areas") { Description = "Area records in the pool" };
    public Option<bool> Zones { get; } = new("--zones") { Description = "Core zones on: the one core's zone caches areas of the board's size classes (default: off, the plain global-lock allocator)" };

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Board, PageSize, SpanStart, SpanSize, GuardPages, LazyMaxPages, PurgeChunk, MaxAreas, Zones }) command.Options.Add(o);
    }

    /// <summary>The board's profile with the explicit options applied; throws <see cref="UsageException"/> on bad values.</summary>
    public (VmapConfig Config, BoardProfile Profile) Resolve(ParseResult r)
    {
        BoardProfile profile;
        try
        {
            profile = BoardProfile.Load(r.GetValue(Board) ?? "sim");
        }
        catch (ProfileException e)
        {
            throw new UsageException(e.Message);
        }
        VmapConfig c = profile.ToConfig();
        c.Cores = 1;
        c.Zones = r.GetValue(Zones);
        Apply(r, PageSize, v => c.PageSize = ToInt(v, "--page-size"));
        Apply(r, SpanStart, v => c.SpanStart = v);
        Apply(r, SpanSize, v => c.SpanSize = v);
        Apply(r, GuardPages, v => c.GuardPages = ToInt(v, "--guard-pages"));
        Apply(r, LazyMaxPages, v => c.LazyMaxPages = ToInt(v, "--lazy-max-pages"));
        Apply(r, PurgeChunk, v => c.PurgeChunk = ToInt(v, "--purge-chunk"));
        Apply(r, MaxAreas, v => c.MaxAreas = ToInt(v, "--max-areas"));
        string? problem = c.Validate();
        if (problem != null) throw new UsageException(problem);
        return (c, profile);
    }

    /// <summary>The value of a number option (decimal or 0x hexadecimal) that fits an int, or null when not given.</summary>
    public static int? IntOption(ParseResult r, Option<string?> option)
    {
        int? value = null;
        Apply(r, option, v => value = ToInt(v, option.Name));
        return value;
    }

    private static void Apply(ParseResult r, Option<string?> option, Action<ulong> set)
    {
        string? text = r.GetValue(option);
        if (text == null) return;
        if (!Numbers.TryParseULong(text, out ulong v))
            throw new UsageException($"option {option.Name}: '{text}' is not a decimal or 0x-prefixed hexadecimal number");
        set(v);
    }

    private static int ToInt(ulong v, string name) =>
        v <= int.MaxValue ? (int)v : throw new UsageException($"option {name}: {v} is too large");
}

/// <summary>Bad command-line input: printed as one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
