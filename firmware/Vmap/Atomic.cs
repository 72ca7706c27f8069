using System.Threading;

namespace Vmap;

/// <summary>
/// The allocator's two lock-free updates, each one compare-and-swap loop (nanoFramework's
/// <c>Interlocked</c> has only Increment, Decrement, Exchange and CompareExchange).
/// </summary>
internal static class Atomic
{
    /// <summary>
    /// Sets <paramref name="location"/> to <c>((old &amp; keep) | set) + add</c> in one atomic
    /// step and returns the new value: an add (keep = -1, set = 0), setting bits (add = 0) or
    /// clearing them (keep = ~bits).
    /// </summary>
    public static int Update(ref int location, int keep, int set, int add)
    {
        int old;
        int updated;
        do
        {
            old = location;
            updated = ((old & keep) | set) + add;
        }
        while (Interlocked.CompareExchange(ref location, updated, old) != old);
        return updated;
    }

    /// <summary>Pushes <paramref name="item"/> on the lock-free stack whose top is <paramref name="head"/>, linked through <paramref name="next"/>.</summary>
    public static void Push(ref int head, int[] next, int item)
    {
        int top;
        do
        {
            top = head;
            next[item] = top;
        }
        while (Interlocked.CompareExchange(ref head, item, top) != top);
    }
}
