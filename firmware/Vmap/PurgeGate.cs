using System.Threading;

namespace Vmap;

/// <summary>
/// Lets one purge run at a time (the purge lock of seed 000). A purge triggered by the lazy
/// threshold only tries: if another purge runs, that one will take the new backlog too and the
/// free returns at once. A purge for an allocation that found no space, or one asked for,
/// waits for the running purge to finish and then runs, so the allocation retries only after
/// the space it may need is back. This is a sleeping lock, not a critical section: the flush
/// runs under it, and allocations and frees proceed while it is held.
/// (nanoFramework has no Monitor.TryEnter, hence the flag and the event.)
/// </summary>
internal sealed class PurgeGate
{
    private readonly AutoResetEvent _released = new AutoResetEvent(false);
    private int _owned; // 1 while a purge runs; Interlocked only

    /// <summary>Takes the gate if it is free; never waits.</summary>
    public bool TryEnter() => Interlocked.CompareExchange(ref _owned, 1, 0) == 0;

    /// <summary>Takes the gate, waiting for the running purge if there is one.</summary>
    public void Enter()
    {
        while (!TryEnter())
        {
            // Woken by Exit; the short time-out covers a wake-up consumed by a racing Enter.
            _released.WaitOne(1, false);
        }
    }

    /// <summary>Releases the gate and wakes one waiter.</summary>
    public void Exit()
    {
        Interlocked.Exchange(ref _owned, 0);
        _released.Set();
    }
}
