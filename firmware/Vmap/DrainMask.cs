using Vmap.Hal;

namespace Vmap;

/// <summary>
/// The drain mask (seed 004): a bit per core whose zone cache holds something, and the drain
/// for space that asks only those cores to give their caches back. A core whose bit is clear
/// is skipped: no cross-core request, which is what saved 90-99 % of the interrupts in seed 004.
/// </summary>
internal sealed class DrainMask
{
    private readonly object _lock;       // Locks.Drain
    private readonly PurgeGate _gate;    // Locks.DrainGate
    private readonly IClock _clock;
    private readonly int _zones;

    /// <summary>
    /// The mask: bit i set while zone i's cache holds something. Set when a cache becomes
    /// non-empty and cleared when it becomes empty, both under that zone's lock, atomically
    /// since zones update their bits concurrently. Read without a lock.
    /// </summary>
    public int Bits;

    /// <summary>Timing of the drain lock's sections.</summary>
    public readonly CsMeter Cs;

    // Counters: drain lock.
    public int Drains;
    public int RequestsSent;
    public int RequestsSaved;

    public DrainMask(Locks locks, CsMeter meter, IClock clock, int zones)
    {
        _lock = locks.Drain;
        _gate = locks.DrainGate;
        Cs = meter;
        _clock = clock;
        _zones = zones;
    }

    /// <summary>Marks zone <paramref name="zone"/>'s cache non-empty (its zone lock held).</summary>
    public void Set(int zone) => Atomic.Update(ref Bits, -1, 1 << zone, 0);

    /// <summary>Marks zone <paramref name="zone"/>'s cache empty (its zone lock held).</summary>
    public void Clear(int zone) => Atomic.Update(ref Bits, ~(1 << zone), 0, 0);

    /// <summary>
    /// When space has run out: under the drain gate (one drain at a time; later ones wait and
    /// then find the caches empty), reads the mask in a short drain-lock section, drains the
    /// calling core's own cache directly, asks only the other cores in the mask and waits for
    /// them. Returns true when any cache was drained or asked to, so the caller retries;
    /// <paramref name="timedOut"/> tells a core did not answer in time (its cache stays intact
    /// for a later request).
    /// </summary>
    public bool DrainForSpace(int self, ZoneCaches caches, IDrainRequests requests, IDrainable target, int timeoutMs, out bool timedOut)
    {
        timedOut = false;
        _gate.Enter();
        int mask;
        int others;
        lock (_lock)
        {
            long t0 = _clock.Ticks;
            mask = Bits;
            others = mask & ~(1 << self);
            int asked = 0;
            for (int rest = others; rest != 0; rest &= rest - 1) asked++;
            Drains++;
            RequestsSent += asked;
            RequestsSaved += _zones - 1 - asked;
            Cs.Record(_clock.Ticks - t0, asked + 1);
        }
        // Nothing here throws, so the gate needs no try/finally: a core that does not answer is
        // a false from the wait, and a drain makes no MMU call (cached areas are unmapped and
        // flushed already).
        if ((mask & (1 << self)) != 0) caches.Drain(self);
        if (others != 0) timedOut = !Locks.DrainAndWait(requests, others, target, timeoutMs);
        _gate.Exit();
        return mask != 0;
    }
}
