namespace Vmap.Hal.Sim;

/// <summary>
/// Logical cores of the simulated board: each host thread that runs board code binds itself to
/// one core with <see cref="Bind"/> (threads that never bind run on core 0, and so does the
/// thread that creates the cores until it binds itself again). Several threads
/// may share a core, as managed threads share the one CLR task on a real board.
/// </summary>
public sealed class SimCores : ICores
{
    [ThreadStatic] private static int t_core;

    // Set (for good) by the first Bind to a core other than 0. Until then every thread is on
    // core 0 and Current needs no thread-static read. A thread's own t_core changes only in its
    // own Bind, which raises the flag first, so a stale read of the flag can only mean "core 0"
    // for a thread that has not bound itself elsewhere: correct.
    private static volatile bool s_anyBound;

    /// <summary>Creates <paramref name="count"/> logical cores (1 to 32).</summary>
    public SimCores(int count)
    {
        if (count < 1 || count > 32) throw new ArgumentOutOfRangeException(nameof(count), count, "cores must be from 1 to 32");
        Count = count;
        t_core = 0; // the binding is per thread, not per board: drop one left by an earlier board
    }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public int Current
    {
        get
        {
            if (!s_anyBound) return 0;
            int core = t_core;
            return core < Count ? core : core % Count;
        }
    }

    /// <summary>Binds the calling thread to <paramref name="core"/>.</summary>
    public void Bind(int core)
    {
        if (core < 0 || core >= Count) throw new ArgumentOutOfRangeException(nameof(core), core, $"core must be from 0 to {Count - 1}");
        if (core != 0) s_anyBound = true;
        t_core = core;
    }
}
