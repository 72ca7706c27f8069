namespace Vmap.Hal.Sim;

/// <summary>
/// Drain requests of the simulated board, run synchronously on the target core's behalf by the
/// sending thread (allowed by the HAL contract: a zone's drain takes that zone's lock, so it
/// is equivalent to running on the core). Counts what it delivers per core.
/// </summary>
public sealed class SyncDrainRequests : IDrainRequests
{
    private readonly long[] _delivered = new long[32];

    /// <summary>When set, requests to a core in this mask are never answered (fault injection).</summary>
    public int DeafMask { get; set; }

    private bool _lastTimedOut;

    /// <summary>Requests delivered to <paramref name="core"/>.</summary>
    public long Delivered(int core) => Interlocked.Read(ref _delivered[core]);

    /// <inheritdoc />
    public void Send(int coreMask, IDrainable target)
    {
        _lastTimedOut = false;
        for (int core = 0; core < 32; core++)
        {
            if ((coreMask & (1 << core)) == 0) continue;
            if ((DeafMask & (1 << core)) != 0)
            {
                _lastTimedOut = true;
                continue;
            }
            target.DrainCore(core);
            Interlocked.Increment(ref _delivered[core]);
        }
    }

    /// <inheritdoc />
    public bool WaitAll(int timeoutMs)
    {
        if (_lastTimedOut) Thread.Sleep(Math.Min(timeoutMs, 5));
        return !_lastTimedOut;
    }
}
