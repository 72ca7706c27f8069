namespace Vmap.Hal.Sim;

/// <summary>
/// Logical cores of the simulated board: each host thread that runs board code binds itself to
/// one core with <see cref="Bind"/> (threads that never bind run on core 0). Several threads
/// may share a core, as managed threads share the one CLR task on a real board.
/// </summary>
public sealed class SimCores : ICores
{
    [ThreadStatic] private static int t_core;

    /// <summary>Creates <paramref name="count"/> logical cores (1 to 32).</summary>
    public SimCores(int count)
    {
        if (count < 1 || count > 32) throw new ArgumentOutOfRangeException(nameof(count), count, "cores must be from 1 to 32");
        Count = count;
    }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public int Current => t_core < Count ? t_core : t_core % Count;

    /// <summary>Binds the calling thread to <paramref name="core"/>.</summary>
    public void Bind(int core)
    {
        if (core < 0 || core >= Count) throw new ArgumentOutOfRangeException(nameof(core), core, $"core must be from 0 to {Count - 1}");
        t_core = core;
    }
}
