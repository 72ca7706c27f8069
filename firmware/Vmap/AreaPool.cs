using Vmap.Hal;

namespace Vmap;

/// <summary>
/// The fixed pool of area records, sized once at start-up: a structure of parallel <c>int</c>
/// arrays indexed by an area handle. Handle 0 is the nil sentinel: it is black, has size 0 and
/// subtree maximum 0, and is never written after construction, so tree and list code needs no
/// null branches. Eight ints make a record: 32 bytes.
/// <code>
///   field        free area (free tree)       busy area (busy list)    lazy area      pooled
///   Start        first page                  first page               first page     -
///   Size         pages                       pages + guard pages      same as busy   -
///   Left/Right   children                    busy list links          -              -
///   ParentColor  state | parent &lt;&lt; 1 | black  (state: Free, Busy or none; see below)
///   Aux          largest block in subtree    caller tag               caller tag     -
///   Prev         lower free neighbour        owning zone (Owner)      owning zone    -
///   Next         higher free neighbour       -                        next lazy      next pooled
/// </code>
/// <c>ParentColor</c> packs, from bit 0: the colour (1 = black) and the parent handle (28 bits),
/// both for free blocks only, and the record's state (<see cref="FreeState"/> or
/// <see cref="BusyState"/>; neither for a lazy, cached, preloaded or pooled record). The state lets the boundary tags be checked in O(1).
/// Protected by the free-tree lock of the allocator that owns it (records move between the
/// trees only under that lock; a record taken off the lazy list belongs to the purger).
/// </summary>
internal sealed class AreaPool
{
    /// <summary>The nil handle.</summary>
    public const int Nil = 0;

    /// <summary>ParentColor bit: the record is a block of the free tree.</summary>
    public const int FreeState = 1 << 30;

    /// <summary>ParentColor bit: the record is a live area of the busy list.</summary>
    public const int BusyState = 1 << 29;

    /// <summary>Both state bits.</summary>
    public const int StateMask = FreeState | BusyState;

    public readonly int[] Start;
    public readonly int[] Size;
    public readonly int[] Left;
    public readonly int[] Right;
    public readonly int[] ParentColor;
    public readonly int[] Aux;
    public readonly int[] Prev;
    public readonly int[] Next;

    // The overloaded fields under the name of each use: the same arrays, so a named read costs
    // nothing more than the raw one (the interpreter inlines no accessor call).

    /// <summary>Aux of a free block: the largest block in its subtree (<see cref="AreaTree"/>).</summary>
    public readonly int[] SubtreeMax;

    /// <summary>Aux of a busy or lazy area: the caller's tag (vmallocinfo).</summary>
    public readonly int[] CallerTag;

    /// <summary>Prev of a busy, lazy or cached area: the index of the zone that holds it (the core that allocated it with zones on, 0 with zones off).</summary>
    public readonly int[] Owner;

    private int _head;      // the pooled records, linked through Next
    private int _available;

    /// <summary>Allocates every record the allocator will ever use: handles 1..capacity, pooled in ascending order.</summary>
    public AreaPool(int capacity)
    {
        int n = capacity + 1;
        Start = HeapLimits.NewInts(n);
        Size = HeapLimits.NewInts(n);
        Left = HeapLimits.NewInts(n);
        Right = HeapLimits.NewInts(n);
        ParentColor = HeapLimits.NewInts(n);
        Aux = HeapLimits.NewInts(n);
        Prev = HeapLimits.NewInts(n);
        Next = HeapLimits.NewInts(n);
        SubtreeMax = Aux;
        CallerTag = Aux;
        Owner = Prev;
        ParentColor[Nil] = 1; // nil is black
        for (int i = capacity; i >= 1; i--)
        {
            Next[i] = _head;
            _head = i;
        }
        _available = capacity;
        Capacity = capacity;
    }

    /// <summary>How many records the pool was built with.</summary>
    public int Capacity { get; }

    /// <summary>How many records are in the pool now.</summary>
    public int Available => _available;

    /// <summary>True when <paramref name="h"/> is a free block.</summary>
    public bool IsFree(int h) => (ParentColor[h] & FreeState) != 0;

    /// <summary>True when <paramref name="h"/> is a live (busy) area.</summary>
    public bool IsBusy(int h) => (ParentColor[h] & BusyState) != 0;

    /// <summary>Sets the state bits of <paramref name="h"/> (0, <see cref="FreeState"/> or <see cref="BusyState"/>).</summary>
    public void SetState(int h, int state) => ParentColor[h] = (ParentColor[h] & ~StateMask) | state;

    // Fault injection (tests and soak): after _dryAfter more takes, the next _dryFor takes fail
    // as if the pool were empty. Free-tree lock.
    private int _dryAfter = -1;
    private int _dryFor;

    /// <summary>Takes the fault injection refused.</summary>
    public int InjectedFaults;

    /// <summary>Makes the pool look empty for <paramref name="takes"/> takes after <paramref name="after"/> more. Free-tree lock.</summary>
    public void InjectDry(int after, int takes)
    {
        _dryAfter = after;
        _dryFor = takes;
    }

    /// <summary>Takes a record, or returns <see cref="Nil"/> when the pool is empty. Caller holds the free-tree lock.</summary>
    public int TakeLocked()
    {
        if (_dryAfter >= 0)
        {
            if (_dryAfter > 0)
            {
                _dryAfter--;
            }
            else if (_dryFor > 0)
            {
                _dryFor--;
                InjectedFaults++;
                return Nil;
            }
            else
            {
                _dryAfter = -1;
            }
        }
        if (_available == 0) return Nil;
        int h = _head;
        _head = Next[h];
        _available--;
        ParentColor[h] = 0;
        return h;
    }

    /// <summary>Returns a record to the pool. Caller holds the free-tree lock.</summary>
    public void GiveLocked(int h)
    {
        Next[h] = _head;
        ParentColor[h] = 0;
        _head = h;
        _available++;
    }

    /// <summary>Marks every pooled record in <paramref name="seen"/> (for the invariant checker).</summary>
    public int MarkPooled(bool[] seen)
    {
        int count = 0;
        for (int h = _head; h != Nil && count <= Capacity; h = Next[h])
        {
            seen[h] = true;
            count++;
        }
        return count;
    }
}
