using System.Threading;
using Vmap.Hal;

namespace Vmap;

/// <summary>
/// Every lock and gate of one allocator, declared in one place with the order they nest in and
/// every wait a thread can make. Nothing else in the allocator waits.
/// <para><b>Critical sections</b> (<c>lock</c>; bounded work, timed by a <see cref="CsMeter"/>,
/// never a HAL call or a wait inside):</para>
/// <list type="bullet">
/// <item><see cref="Tree"/>: the free space, the record pool, the preload slots (<see cref="Carver"/>).</item>
/// <item><see cref="ZoneLocks"/>[i]: zone i's busy list, cache and counters (<see cref="Vmap.Zone"/>).
/// With zones off there is one zone and its lock is <see cref="Tree"/> itself.</item>
/// <item><see cref="Drain"/>: the drain counters while the drain mask is read (<see cref="DrainMask"/>).</item>
/// </list>
/// Order: <see cref="Tree"/>, then one zone lock (a cache miss carves, enters the busy list and
/// refills the cache in one section). No section that holds a zone lock or <see cref="Drain"/>
/// takes another lock, so no cycle can form.
/// <para><b>Gates</b> (<see cref="PurgeGate"/>; sleeping locks: the flush and the drain requests
/// run under them while allocations and frees go on):</para>
/// <list type="bullet">
/// <item><see cref="Purge"/>: one global purge at a time.</item>
/// <item><see cref="ZonePurges"/>[i]: zone i's own purge, or a global purge's pass over zone i.</item>
/// <item><see cref="DrainGate"/>: one drain for space at a time.</item>
/// </list>
/// Order: <see cref="Purge"/>, then every <see cref="ZonePurges"/> in index order; the drain
/// gate is never held with another gate. Gates are taken before any critical section.
/// <para><b>Waits</b>, all below: a purge for space waits for the running global purge
/// (<see cref="PurgeGate.Enter"/>), then for every running zone purge
/// (<see cref="EnterZonePurges"/>) and for the frees, drains and decays in transit
/// (<see cref="WaitForTransits"/>); a drain for space waits for the running drain and for the
/// cores it asked (<see cref="DrainAndWait"/>). A threshold purge never waits: it only tries.</para>
/// </summary>
internal sealed class Locks
{
    public readonly object Tree = new object();
    public readonly object[] ZoneLocks;
    public readonly object Drain = new object();
    public readonly PurgeGate Purge = new PurgeGate();
    public readonly PurgeGate[] ZonePurges;
    public readonly PurgeGate DrainGate = new PurgeGate();

    /// <summary>Declares the locks of an allocator with <paramref name="zones"/> zones (with zones off: one, sharing <see cref="Tree"/>).</summary>
    public Locks(int zones, bool zonesOn)
    {
        ZoneLocks = new object[zones];
        ZonePurges = new PurgeGate[zones];
        _earlierTransits = new Transits[zones];
        for (int i = 0; i < zones; i++)
        {
            ZoneLocks[i] = zonesOn ? new object() : Tree;
            ZonePurges[i] = new PurgeGate();
        }
    }

    /// <summary>Takes every zone's purge gate in index order, waiting for each running zone purge.</summary>
    public void EnterZonePurges()
    {
        for (int i = 0; i < ZonePurges.Length; i++) ZonePurges[i].Enter();
    }

    /// <summary>Releases what <see cref="EnterZonePurges"/> took.</summary>
    public void ExitZonePurges()
    {
        for (int i = 0; i < ZonePurges.Length; i++) ZonePurges[i].Exit();
    }

    /// <summary>
    /// Waits until the transits (<see cref="Transits"/>) that began before the call have ended:
    /// that space is a few instructions and one HAL unmap from landing, where the purge sees it.
    /// Switches every zone's generation first, then waits for the ones it left, so transits
    /// that begin later do not count and a steady stream of frees cannot keep it waiting. Yields
    /// first, then sleeps a millisecond at a time, and gives up after 1,000 sleeps per zone (a
    /// HAL call that never returns; on a board about a second); the allocation's retry loop
    /// still sees that space as on its way, and a later wait covers what this one gave up on.
    /// Caller holds <see cref="Purge"/>.
    /// </summary>
    public void WaitForTransits(Zone[] zones)
    {
        Transits[] earlier = _earlierTransits;
        for (int i = 0; i < zones.Length; i++) earlier[i] = zones[i].NextTransitGeneration();
        for (int i = 0; i < zones.Length; i++)
        {
            for (int wait = 0; wait < MaxTransitWaits && earlier[i].Open(); wait++) Thread.Sleep(wait < TransitYields ? 0 : 1);
        }
    }

    // A purge for space yields this many times waiting for a zone's earlier transits, then
    // sleeps a millisecond at a time, up to MaxTransitWaits waits in all.
    private const int TransitYields = 100;
    private const int MaxTransitWaits = TransitYields + 1000;

    // The generations WaitForTransits waits for, one per zone; only the purge gate's holder uses it.
    private readonly Transits[] _earlierTransits;

    /// <summary>
    /// Asks the cores in <paramref name="cores"/> to drain and waits for all of them, at most
    /// <paramref name="timeoutMs"/>. Caller holds <see cref="DrainGate"/>. False when one did not answer in time.
    /// </summary>
    public static bool DrainAndWait(IDrainRequests requests, int cores, IDrainable target, int timeoutMs)
    {
        requests.Send(cores, target);
        return requests.WaitAll(timeoutMs);
    }
}
