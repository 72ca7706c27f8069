using Vmap.Hal.Sim;

namespace Vmap.Sim.Trace;

/// <summary>
/// Runs a trace deterministically on one core and writes the contract's lines: one per
/// allocation (<c>&lt;id&gt; 0x&lt;address&gt;</c> or <c>&lt;id&gt; ENOMEM</c>) and one per purge.
/// A free of an unknown or already-freed id (or an alloc of a live id) is reported on
/// <paramref name="err"/> as <c>line N: what</c>, changes nothing, and makes the result 1. A free
/// of an id whose allocation failed (ENOMEM) is no error: the program that made the trace
/// freed what it believed it held, and the replay passes over it without a word.
/// </summary>
public sealed class Replay(VmapConfig config, TextWriter output, TextWriter err) : IPurgeObserver
{
    private const byte Unused = 0, Live = 1, Failed = 2;

    /// <summary>Called with the allocator once the trace has run, before it is checked (vmallocinfo reads the listing here).</summary>
    public Action<Allocator>? Finished { get; init; }

    /// <summary>Runs <paramref name="trace"/>; returns the exit code (0, or 1 after a runtime error).</summary>
    public int Run(Trace trace)
    {
        var sim = SimBoard.For(config);
        var a = new Allocator(sim.Board) { PurgeObserver = this };
        Status started = a.Start(config);
        if (started != Status.Ok) throw new UsageException(a.ConfigProblem ?? StatusText.Describe(started));
        var address = new ulong[trace.Slots];
        var state = new byte[trace.Slots]; // Unused, Live or Failed: what the id's last allocation left
        int exit = 0;
        for (int i = 0; i < trace.Count; i++)
        {
            int s = trace.Slot[i];
            switch (trace.Kind[i])
            {
                case OpKind.Alloc:
                    if (state[s] == Live)
                    {
                        err.WriteLine($"line {trace.Line[i]}: id {trace.Id[i]} is still allocated");
                        exit = 1;
                        break;
                    }
                    Status st = a.Alloc(trace.Size[i], trace.Align[i], (int)(trace.Id[i] & int.MaxValue), out ulong addr);
                    if (st == Status.Ok)
                    {
                        address[s] = addr;
                        state[s] = Live;
                        output.Write(trace.Id[i]);
                        output.Write(" 0x");
                        output.WriteLine(Hex.Format(addr));
                    }
                    else if (StatusText.IsNoMemory(st))
                    {
                        state[s] = Failed;
                        output.Write(trace.Id[i]);
                        output.WriteLine(" ENOMEM");
                    }
                    else
                    {
                        err.WriteLine($"line {trace.Line[i]}: {StatusText.Describe(st)}");
                        exit = 1;
                    }
                    break;
                case OpKind.Free:
                    if (state[s] == Failed)
                    {
                        state[s] = Unused; // the free of a failed allocation: nothing to do
                        break;
                    }
                    if (state[s] != Live)
                    {
                        err.WriteLine($"line {trace.Line[i]}: free of id {trace.Id[i]}, which is not allocated (never allocated, or already freed)");
                        exit = 1;
                        break;
                    }
                    Status fs = a.Free(address[s]);
                    if (fs != Status.Ok)
                    {
                        err.WriteLine($"line {trace.Line[i]}: {StatusText.Describe(fs)}");
                        exit = 1;
                        break;
                    }
                    state[s] = Unused;
                    break;
                case OpKind.Purge:
                    a.Purge();
                    break;
            }
        }
        Finished?.Invoke(a);
        string? problem = a.Validate();
        if (problem != null) throw new InvalidOperationException("allocator invariant broken after replay: " + problem);
        return exit;
    }

    public void OnPurge(int areas, int pages, ulong flushStart, ulong flushEnd)
    {
        output.Write("purge areas=");
        output.Write(areas);
        output.Write(" pages=");
        output.Write(pages);
        output.Write(" flush=0x");
        output.Write(Hex.Format(flushStart));
        output.Write("-0x");
        output.WriteLine(Hex.Format(flushEnd));
    }
}
