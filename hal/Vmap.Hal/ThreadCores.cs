using System.Threading;

namespace Vmap.Hal;

/// <summary>
/// Logical cores for a board whose CLR runs in one RTOS task (every nanoFramework board): the
/// managed threads are spread over <see cref="Count"/> logical cores by their managed thread id
/// (id modulo the count), so threads that run concurrently mostly use different zones and
/// preload slots. No core-id API exists on nanoFramework; this mapping is the documented one.
/// </summary>
public sealed class ThreadCores : ICores
{
    /// <summary>Creates <paramref name="count"/> logical cores (1 to 32).</summary>
    public ThreadCores(int count)
    {
        _count = count < 1 ? 1 : (count > 32 ? 32 : count);
    }

    private readonly int _count; // read by Current through the field: a property is a call on the interpreter

    /// <inheritdoc />
    public int Count => _count;

    /// <inheritdoc />
    public int Current => Thread.CurrentThread.ManagedThreadId % _count;
}
