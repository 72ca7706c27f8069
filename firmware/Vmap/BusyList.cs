namespace Vmap;

/// <summary>
/// The live (busy) areas one zone handed out: an intrusive doubly linked list through the
/// records' <c>Left</c>/<c>Right</c> fields, newest first. Insert and remove are O(1).
/// <para>
/// Linux keeps busy areas in a red-black tree (vmap_area_root) because find_vmap_area looks
/// an address up there. Here the boundary tag of an area's first page already names its record
/// (<see cref="FreeSpace.Tags"/>), so a free finds its area in O(1), and an ordered tree would
/// be kept only for the vmallocinfo listing, which sorts anyway. The list costs a few stores
/// per allocation and free where a tree costs a walk, rebalancing and writes to other
/// records (which, with zones, may share cache lines with other cores' records).
/// </para>
/// The caller holds the zone lock.
/// </summary>
internal sealed class BusyList
{
    private const int Nil = AreaPool.Nil;

    private readonly int[] _prev;
    private readonly int[] _next;

    /// <summary>The newest area, nil when the list is empty.</summary>
    public int Head;

    /// <summary>The number of areas on the list.</summary>
    public int Count;

    public BusyList(AreaPool pool)
    {
        _prev = pool.Left;
        _next = pool.Right;
    }

    /// <summary>Puts <paramref name="area"/> at the head.</summary>
    public void Add(int area)
    {
        int head = Head;
        _prev[area] = Nil;
        _next[area] = head;
        if (head != Nil) _prev[head] = area;
        Head = area;
        Count++;
    }

    /// <summary>Takes <paramref name="area"/> (on the list) off the list.</summary>
    public void Remove(int area)
    {
        int prev = _prev[area];
        int next = _next[area];
        if (prev != Nil) _next[prev] = next;
        else Head = next;
        if (next != Nil) _prev[next] = prev;
        Count--;
    }

    /// <summary>The area after <paramref name="area"/>, or nil.</summary>
    public int NextOf(int area) => _next[area];

    /// <summary>
    /// Checks the links both ways and the count; marks each area in <paramref name="seen"/>
    /// (an area already marked is reported: a record in two places, or a loop). Returns null
    /// when all hold, else what is wrong.
    /// </summary>
    public string Validate(bool[] seen)
    {
        int n = 0;
        int prev = Nil;
        for (int a = Head; a != Nil; a = _next[a])
        {
            if (seen[a]) return "record " + a + " is reachable twice";
            seen[a] = true;
            if (_prev[a] != prev) return "record " + a + " has a wrong back link";
            prev = a;
            n++;
        }
        return n == Count ? null : "list holds " + n + " areas but counts " + Count;
    }
}
