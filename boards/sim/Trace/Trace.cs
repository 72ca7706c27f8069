namespace Vmap.Sim.Trace;

/// <summary>The kinds of trace operation.</summary>
public enum OpKind : byte { Alloc, Free, Purge }

/// <summary>
/// A parsed operation trace (the replay contract of DESIGN.md), as parallel arrays so that a
/// benchmark can run it without touching anything but the allocator. Ids are mapped to dense
/// slots: <see cref="Slot"/> is the slot of the id an operation names.
/// </summary>
public sealed class Trace
{
    public required OpKind[] Kind { get; init; }
    public required int[] Slot { get; init; }
    public required long[] Id { get; init; }
    public required ulong[] Size { get; init; }
    public required ulong[] Align { get; init; }
    public required int[] Line { get; init; }
    public required int Slots { get; init; }

    /// <summary>The board a comment line <c># board: NAME</c> at the top says the trace was made for; null when none does.</summary>
    public string? Board { get; init; }
    public int Count => Kind.Length;
    public int Allocs => Kind.Count(k => k == OpKind.Alloc);
    public int Frees => Kind.Count(k => k == OpKind.Free);
}

/// <summary>A trace was rejected: <c>line N: what</c>.</summary>
public sealed class TraceException(int line, string what) : Exception($"line {line}: {what}")
{
    public int Line { get; } = line;
}

/// <summary>
/// Reads traces. One operation per line; <c>#</c> starts a comment; blank lines are ignored:
/// <code>
/// alloc &lt;id&gt; &lt;size-bytes&gt; [&lt;align-bytes&gt;]
/// free &lt;id&gt;
/// purge
/// </code>
/// Ids and sizes are decimal. A comment line <c># board: NAME</c> before the first operation
/// names the board the trace was made for (<c>gen-trace</c> writes one). Everything that can be
/// checked before running is checked here, so a malformed trace is rejected whole before
/// anything runs. Never throws anything but
/// <see cref="TraceException"/> for bad content.
/// </summary>
public static class TraceParser
{
    /// <summary>Parses <paramref name="text"/> for a span of <paramref name="spanSize"/> bytes and pages of <paramref name="pageSize"/>.</summary>
    public static Trace Parse(string text, ulong spanSize, int pageSize)
    {
        var kind = new List<OpKind>();
        var slot = new List<int>();
        var ids = new List<long>();
        var size = new List<ulong>();
        var align = new List<ulong>();
        var lines = new List<int>();
        var slotOfId = new Dictionary<long, int>();
        string? board = null;
        int lineNo = 0;
        int start = 0;
        while (start <= text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl;
            lineNo++;
            ParseLine(text.AsSpan(start, end - start), lineNo);
            if (nl < 0) break;
            start = nl + 1;
        }
        return new Trace
        {
            Kind = [.. kind], Slot = [.. slot], Id = [.. ids], Size = [.. size], Align = [.. align], Line = [.. lines],
            Slots = slotOfId.Count, Board = board,
        };

        void ParseLine(ReadOnlySpan<char> raw, int line)
        {
            int hash = raw.IndexOf('#');
            if (hash >= 0)
            {
                if (kind.Count == 0 && board == null) board = BoardOf(raw[(hash + 1)..]);
                raw = raw[..hash];
            }
            string content = raw.ToString().Trim();
            if (content.Length == 0) return;
            string[] f = content.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            switch (f[0])
            {
                case "alloc":
                    if (f.Length is < 3 or > 4) throw new TraceException(line, "expected 'alloc <id> <size-bytes> [<align-bytes>]'");
                    long id = ParseId(f[1], line);
                    ulong bytes = ParseNumber(f[2], "size", line);
                    if (bytes == 0) throw new TraceException(line, "size must be at least 1 byte");
                    if (bytes > spanSize) throw new TraceException(line, $"size {bytes} is larger than the span ({spanSize} bytes)");
                    ulong a = (ulong)pageSize;
                    if (f.Length == 4)
                    {
                        a = ParseNumber(f[3], "alignment", line);
                        if (a == 0 || (a & (a - 1)) != 0) throw new TraceException(line, $"alignment {a} is not a power of two");
                        if (a > spanSize) throw new TraceException(line, $"alignment {a} is larger than the span ({spanSize} bytes)");
                    }
                    Add(OpKind.Alloc, id, bytes, a, line);
                    break;
                case "free":
                    if (f.Length != 2) throw new TraceException(line, "expected 'free <id>'");
                    Add(OpKind.Free, ParseId(f[1], line), 0, 0, line);
                    break;
                case "purge":
                    if (f.Length != 1) throw new TraceException(line, "'purge' takes no arguments");
                    Add(OpKind.Purge, -1, 0, 0, line);
                    break;
                default:
                    throw new TraceException(line, $"unknown operation '{Printable(f[0])}' (expected alloc, free or purge)");
            }
        }

        void Add(OpKind k, long id, ulong bytes, ulong a, int line)
        {
            int s = -1;
            if (id >= 0 && !slotOfId.TryGetValue(id, out s))
            {
                s = slotOfId.Count;
                slotOfId[id] = s;
            }
            kind.Add(k);
            slot.Add(s);
            ids.Add(id);
            size.Add(bytes);
            align.Add(a);
            lines.Add(line);
        }
    }

    /// <summary>The board a comment names (<c>board: NAME</c>), else null.</summary>
    private static string? BoardOf(ReadOnlySpan<char> comment)
    {
        string c = comment.ToString().Trim();
        if (!c.StartsWith(BoardComment, StringComparison.Ordinal)) return null;
        string name = c[BoardComment.Length..].Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        return name.Length > 0 ? name : null;
    }

    /// <summary>What a comment naming the trace's board starts with.</summary>
    public const string BoardComment = "board:";

    private static long ParseId(string text, int line)
    {
        if (!Numbers.TryParseDecimal(text, out ulong v) || v > long.MaxValue)
            throw new TraceException(line, $"id '{Printable(text)}' is not a decimal number from 0 to {long.MaxValue}");
        return (long)v;
    }

    private static ulong ParseNumber(string text, string what, int line)
    {
        if (!Numbers.TryParseDecimal(text, out ulong v))
            throw new TraceException(line, $"{what} '{Printable(text)}' is not a decimal number of bytes");
        return v;
    }

    /// <summary>Keeps error lines one line long and readable whatever the input holds.</summary>
    private static string Printable(string s)
    {
        var chars = s.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray();
        return new string(chars) + (s.Length > 40 ? "..." : "");
    }
}
