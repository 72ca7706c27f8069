using System.Text;

namespace Vmap.Sim.Trace;

/// <summary>
/// Writes the benchmark trace of the core issue: sizes of 1 to 256 pages, 30 % of requests
/// aligned to 2 to 256 pages, a live set that wanders up to half of the span, half allocs and
/// half frees. Seeded, so the same arguments give the same file. On a small span the sizes
/// and alignments shrink with it (each at most a sixteenth of the span), so the trace always
/// replays on the board it was made for; a trace made for a board names it in a comment line
/// (<c># board: NAME</c>) that <c>replay</c> checks against its <c>--board</c>.
/// </summary>
public static class TraceGenerator
{
    /// <summary>The largest request in pages: 256, or a sixteenth of the span on a smaller one.</summary>
    public static int MaxPages(int pageSize, ulong spanSize) => (int)Math.Clamp(spanSize / (ulong)pageSize / 16, 1, 256);

    public static string Generate(int ops, int seed, int pageSize, ulong spanSize, string? board = null)
    {
        int maxPages = MaxPages(pageSize, spanSize);
        int maxShift = System.Numerics.BitOperations.Log2((uint)maxPages); // alignment at most maxPages pages
        var rnd = new Random(seed);
        var sb = new StringBuilder(ops * 20);
        sb.Append("# vmap benchmark trace: ").Append(ops).Append(" operations, seed ").Append(seed).Append('\n');
        if (board != null) sb.Append("# ").Append(TraceParser.BoardComment).Append(' ').Append(board).Append(", page size ").Append(pageSize).Append(", span ").Append(spanSize).Append(" bytes\n");
        var live = new List<(long Id, ulong Bytes)>();
        ulong liveBytes = 0;
        ulong cap = spanSize / 2;
        long nextId = 0;
        // The target live volume drifts between a tenth and all of the cap, so the span fills,
        // fragments and drains again instead of sitting at one level.
        double target = cap * 0.5;
        for (int i = 0; i < ops; i++)
        {
            if (i % 1000 == 0) target = Math.Clamp(target + (rnd.NextDouble() - 0.5) * cap * 0.2, cap * 0.1, cap * 0.95);
            bool alloc = live.Count == 0 || (liveBytes < target ? rnd.Next(100) < 60 : rnd.Next(100) < 40);
            if (i >= ops - live.Count) alloc = false; // end with everything freed
            if (alloc)
            {
                ulong pages = (ulong)rnd.Next(1, maxPages + 1);
                ulong bytes = pages * (ulong)pageSize - (ulong)rnd.Next(0, pageSize);
                long id = nextId++;
                sb.Append("alloc ").Append(id).Append(' ').Append(bytes);
                if (rnd.Next(100) < 30) sb.Append(' ').Append((ulong)pageSize << (maxShift == 0 ? 0 : rnd.Next(1, maxShift + 1)));
                sb.Append('\n');
                live.Add((id, bytes));
                liveBytes += bytes;
            }
            else
            {
                int k = rnd.Next(live.Count);
                var (id, bytes) = live[k];
                live[k] = live[^1];
                live.RemoveAt(live.Count - 1);
                liveBytes -= bytes;
                sb.Append("free ").Append(id).Append('\n');
            }
        }
        return sb.ToString();
    }
}
