using System.Threading;

namespace Vmap;

/// <summary>
/// One generation of a zone's transits: operations that hold the zone's space in no structure
/// (a free between the busy list and the lazy list; a drain or decay between the cache and the
/// free tree; a refill moves space under both locks and never is one).
/// <para>
/// A transit joins the zone's current generation when it begins, inside a zone section, and
/// ends in the generation it joined, outside every lock: one atomic per transit. A purge for
/// space makes every zone's other generation current and waits until the ones it left have
/// ended every transit they began (<see cref="Locks.WaitForTransits"/>): the transits that
/// began before the purge and not later ones, so a steady stream of frees cannot keep it
/// waiting. (Linux's SRCU counts its readers in two halves the same way.)
/// </para>
/// </summary>
internal sealed class Transits
{
    /// <summary>Transits begun in this generation; written under the zone lock.</summary>
    public int Begun;

    /// <summary>Transits of this generation that ended: each ends with <c>Interlocked.Increment(ref Ended)</c>, outside every lock (written out where it happens: the interpreter inlines no call).</summary>
    public int Ended;

    /// <summary>True while a transit of this generation has not ended (read without the lock: Ended first, so Begun can only be ahead; both wrap, equality does not care).</summary>
    public bool Open()
    {
        int ended = Interlocked.CompareExchange(ref Ended, 0, 0);
        return Interlocked.CompareExchange(ref Begun, 0, 0) != ended;
    }
}
