namespace Vmap;

/// <summary>
/// The fixed pool of area records, sized once at start-up: one <c>int</c> array in which
/// record h occupies the eight ints from <c>h * 8</c> (<c>Rec[(h &lt;&lt; 3) + field]</c>), an
/// array of 32-byte structures, so a tree step reads one cache line instead of one per field.
/// Handle 0 is the nil sentinel: it is black, has size 0 and subtree maximum 0, and is never
/// written after construction, so tree and list code needs no null branches.
/// <code>
///   field (offset)  free area (free tree)    busy area (busy tree)    lazy area      pooled
///   Start (0)       first page               first page               first page     -
///   Size (1)        pages                    pages + guard pages      same as busy   -
///   Left (2)        left child               left child               -              -
///   Right (3)       right child              right child              -              -
///   ParentColor (4) parent &lt;&lt; 1 | black   parent &lt;&lt; 1 | black   -              -
///   Aux (5)         largest block in subtree caller tag               caller tag     -
///   Prev (6)        lower free neighbour     core that allocated it   core           -
///   Next (7)        higher free neighbour    -                        next lazy      next pooled
/// </code>
/// Protected by the free-tree lock of the allocator that owns it (records move between the
/// trees only under that lock; a record taken off the lazy list belongs to the purger).
/// </summary>
internal sealed class AreaPool
{
    /// <summary>The nil handle.</summary>
    public const int Nil = 0;

    /// <summary>Field offsets within a record.</summary>
    public const int FStart = 0, FSize = 1, FLeft = 2, FRight = 3, FParentColor = 4, FAux = 5, FPrev = 6, FNext = 7;

    /// <summary>log2 of the ints per record.</summary>
    public const int Shift = 3;

    /// <summary>Every record, eight ints each: field f of record h is <c>Rec[(h &lt;&lt; 3) + f]</c>.</summary>
    public readonly int[] Rec;

    private int _freeHead;
    private int _available;

    /// <summary>Allocates every record the allocator will ever use: handles 1..capacity.</summary>
    public AreaPool(int capacity)
    {
        int n = capacity + 1;
        Rec = new int[n << Shift];
        Rec[(Nil << Shift) + FParentColor] = 1; // nil is black
        for (int i = capacity; i >= 1; i--)
        {
            Rec[(i << Shift) + FNext] = _freeHead;
            _freeHead = i;
        }
        _available = capacity;
        Capacity = capacity;
    }

    /// <summary>How many records the pool was built with.</summary>
    public int Capacity { get; }

    /// <summary>How many records are in the pool now.</summary>
    public int Available => _available;

    /// <summary>Takes a record, or returns <see cref="Nil"/> when the pool is empty. Caller holds the free-tree lock.</summary>
    public int TakeLocked()
    {
        int h = _freeHead;
        if (h != Nil)
        {
            _freeHead = Rec[(h << Shift) + FNext];
            _available--;
        }
        return h;
    }

    /// <summary>Returns a record to the pool. Caller holds the free-tree lock.</summary>
    public void GiveLocked(int h)
    {
        Rec[(h << Shift) + FNext] = _freeHead;
        _freeHead = h;
        _available++;
    }

    // Field readers for code off the hot paths (the checker, the listing).

    /// <summary>First page of record <paramref name="h"/>.</summary>
    public int StartOf(int h) => Rec[(h << Shift) + FStart];

    /// <summary>Size in pages of record <paramref name="h"/>.</summary>
    public int SizeOf(int h) => Rec[(h << Shift) + FSize];

    /// <summary>Aux of record <paramref name="h"/> (subtree max, or the caller's tag).</summary>
    public int AuxOf(int h) => Rec[(h << Shift) + FAux];

    /// <summary>Prev of record <paramref name="h"/> (lower free neighbour, or the core).</summary>
    public int PrevOf(int h) => Rec[(h << Shift) + FPrev];

    /// <summary>Next of record <paramref name="h"/> (higher free neighbour, next lazy or pooled).</summary>
    public int NextOf(int h) => Rec[(h << Shift) + FNext];

    /// <summary>Marks every pooled record in <paramref name="seen"/> (for the invariant checker).</summary>
    public int MarkPooled(bool[] seen)
    {
        int count = 0;
        for (int h = _freeHead; h != Nil && count <= Capacity; h = Rec[(h << Shift) + FNext])
        {
            seen[h] = true;
            count++;
        }
        return count;
    }
}
