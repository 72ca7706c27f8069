namespace Vmap;

/// <summary>
/// The free address space of the span (Linux free_vmap_area_root + free_vmap_area_list): every
/// free block, in an augmented red-black tree keyed by start page and in an address-ordered
/// doubly linked list through <c>Prev</c>/<c>Next</c>. Blocks never touch: two adjacent free
/// blocks are always merged into one. Protected by the allocator's free-tree lock.
/// </summary>
internal sealed class FreeSpace
{
    private const int Nil = AreaPool.Nil;

    private readonly AreaPool _pool;
    private const int FStart = AreaPool.FStart;
    private const int FSize = AreaPool.FSize;
    private const int FLeft = AreaPool.FLeft;
    private const int FRight = AreaPool.FRight;
    private const int FPrev = AreaPool.FPrev;
    private const int FNext = AreaPool.FNext;

    private readonly int[] _r; // the pool's records, eight ints each (see AreaPool)

    /// <summary>The free tree, augmented with the largest block of each subtree.</summary>
    public readonly AreaTree Tree;

    /// <summary>Total free pages (the sum of every block's size).</summary>
    public int FreePages;

    public FreeSpace(AreaPool pool)
    {
        _pool = pool;
        _r = pool.Rec;
        Tree = new AreaTree(pool, true);
    }

    /// <summary>The largest free block in pages.</summary>
    public int LargestBlock => Tree.SubtreeMax(Tree.Root);

    /// <summary>The lowest free block, or nil (the head of the address-ordered list).</summary>
    public int First => Tree.First();

    /// <summary>The next free block above <paramref name="block"/>, or nil.</summary>
    public int NextBlock(int block) => _r[(block << 3) + FNext];

    // ---- search ------------------------------------------------------------------------------

    /// <summary>
    /// The first page at or after <paramref name="start"/> whose absolute page number is a
    /// multiple of <paramref name="align"/> (a power of two); <paramref name="alignOffset"/> is
    /// the span's first absolute page modulo <paramref name="align"/>.
    /// </summary>
    public static int AlignUp(int start, int align, int alignOffset)
    {
        int mask = align - 1;
        return start + ((align - ((start + alignOffset) & mask)) & mask);
    }

    private bool Fits(int block, int pages, int align, int alignOffset)
    {
        int size = _r[(block << 3) + FSize];
        if (size < pages) return false;
        if (align == 1) return true;
        int start = _r[(block << 3) + FStart];
        long aligned = AlignUp(start, align, alignOffset);
        return aligned + pages <= (long)start + size;
    }

    /// <summary>
    /// The lowest-address free block that can hold <paramref name="pages"/> pages starting on
    /// an <paramref name="align"/> boundary, or nil (Linux find_vmap_lowest_match).
    /// <para>
    /// The search prunes with the exact size, not size + align - 1: a block of exactly the
    /// requested size that happens to be aligned is a fit, and the padded size would skip it
    /// (the trap of seed 002). The price is that a block big enough but badly aligned can be
    /// visited and rejected; each rejection costs one climb, and only blocks shorter than
    /// pages + align - 1 can be rejected.
    /// </para>
    /// </summary>
    public int FindLowestFit(int pages, int align, int alignOffset)
    {
        AreaTree tree = Tree;
        int n = tree.Root;
        if (tree.SubtreeMax(n) < pages) return Nil;
        while (true)
        {
            // Invariant: SubtreeMax(n) >= pages, and every block below n's subtree was rejected.
            int l = _r[(n << 3) + FLeft];
            if (tree.SubtreeMax(l) >= pages)
            {
                n = l;
                continue;
            }
            if (Fits(n, pages, align, alignOffset)) return n;
            int r = _r[(n << 3) + FRight];
            if (tree.SubtreeMax(r) >= pages)
            {
                n = r;
                continue;
            }
            // n's subtree is exhausted: climb to the nearest ancestor entered from its left
            // child; that ancestor and its right subtree are the next blocks in address order.
            while (true)
            {
                int p = tree.ParentOf(n);
                if (p == Nil) return Nil;
                bool fromLeft = _r[(p << 3) + FLeft] == n;
                n = p;
                if (!fromLeft) continue;
                if (Fits(n, pages, align, alignOffset)) return n;
                r = _r[(n << 3) + FRight];
                if (tree.SubtreeMax(r) >= pages)
                {
                    n = r;
                    break;
                }
            }
        }
    }

    /// <summary>Classifies how [start, start + pages) sits in <paramref name="block"/> (Linux classify_va_fit_type).</summary>
    public FitType Classify(int block, int start, int pages)
    {
        bool head = _r[(block << 3) + FStart] == start;
        bool tail = _r[(block << 3) + FStart] + _r[(block << 3) + FSize] == start + pages;
        if (head) return tail ? FitType.Full : FitType.LeftEdge;
        return tail ? FitType.RightEdge : FitType.NoEdge;
    }

    // ---- carving ----------------------------------------------------------------------------

    /// <summary>
    /// Removes [start, start + pages) from <paramref name="block"/> (Linux adjust_va_to_fit_type).
    /// For <see cref="FitType.NoEdge"/>, <paramref name="spare"/> is the record that becomes the
    /// right remainder; for the other types it is not used. Nothing can fail here: the caller
    /// has already secured every record the fit needs.
    /// </summary>
    public void Carve(int block, FitType fit, int start, int pages, int spare)
    {
        int end = start + pages;
        switch (fit)
        {
            case FitType.Full:
                // |<--- block --->|
                // |VVVVVVVVVVVVVVV|     the block leaves the tree and the list.
                Unlink(block);
                break;

            case FitType.LeftEdge:
                // |<--- block --->|
                // |VVVVVV|<-rest->|     the block keeps its place: its start only grows
                _r[(block << 3) + FStart] = end; //  past pages no other block can own.
                _r[(block << 3) + FSize] -= pages;
                Tree.SizeChanged(block);
                break;

            case FitType.RightEdge:
                // |<--- block --->|
                // |<-rest->|VVVVVV|
                _r[(block << 3) + FSize] -= pages;
                Tree.SizeChanged(block);
                break;

            default:
                // |<--------- block -------->|
                // |<-L->|VVVVVVVVVV|<-spare->|   the block keeps L, spare takes R.
                int blockEnd = _r[(block << 3) + FStart] + _r[(block << 3) + FSize];
                _r[(block << 3) + FSize] = start - _r[(block << 3) + FStart];
                Tree.SizeChanged(block);
                _r[(spare << 3) + FStart] = end;
                _r[(spare << 3) + FSize] = blockEnd - end;
                Tree.Insert(spare);
                LinkAfter(block, spare);
                break;
        }
        FreePages -= pages;
    }

    // ---- giving back -------------------------------------------------------------------------

    /// <summary>
    /// Returns the range held by <paramref name="area"/> (Start, Size) to free space, merging
    /// with the free blocks on either side (Linux merge_or_add_vmap_area). Records that are no
    /// longer needed (the area's own, an absorbed neighbour's) go back to the pool, so a
    /// release never needs a new record and cannot fail.
    /// </summary>
    public void Release(int area)
    {
        int start = _r[(area << 3) + FStart];
        int size = _r[(area << 3) + FSize];
        int end = start + size;
        int prev = Tree.Floor(start);
        int next = prev != Nil ? _r[(prev << 3) + FNext] : _head;
        bool touchPrev = prev != Nil && _r[(prev << 3) + FStart] + _r[(prev << 3) + FSize] == start;
        bool touchNext = next != Nil && _r[(next << 3) + FStart] == end;
        FreePages += size;

        if (touchPrev && touchNext)
        {
            // |<-prev->|<-area->|<-next->|  ->  |<------------ prev ------------>|
            _r[(prev << 3) + FSize] += size + _r[(next << 3) + FSize];
            Unlink(next);
            Tree.SizeChanged(prev);
            _pool.GiveLocked(next);
            _pool.GiveLocked(area);
        }
        else if (touchPrev)
        {
            // |<-prev->|<-area->|   gap   |  ->  |<----- prev ----->|   gap   |
            _r[(prev << 3) + FSize] += size;
            Tree.SizeChanged(prev);
            _pool.GiveLocked(area);
        }
        else if (touchNext)
        {
            // |   gap   |<-area->|<-next->|  ->  |   gap   |<----- next ----->|
            // next's key falls to the area's start; no block lies in between, so the order holds.
            _r[(next << 3) + FStart] = start;
            _r[(next << 3) + FSize] += size;
            Tree.SizeChanged(next);
            _pool.GiveLocked(area);
        }
        else
        {
            // |   gap   |<-area->|   gap   |  ->  the area's record becomes a free block.
            Tree.Insert(area);
            LinkBetween(prev, area, next);
        }
    }

    /// <summary>Adds the first block of an empty free space (start-up).</summary>
    public void AddInitial(int block)
    {
        Tree.Insert(block);
        LinkBetween(Nil, block, Nil);
        FreePages += _r[(block << 3) + FSize];
    }

    // ---- the address-ordered list -------------------------------------------------------------

    private int _head;

    /// <summary>The lowest block by the list (cross-checked against the tree by Validate).</summary>
    public int ListHead => _head;

    private void LinkAfter(int block, int added) => LinkBetween(block, added, _r[(block << 3) + FNext]);

    private void LinkBetween(int prev, int added, int next)
    {
        _r[(added << 3) + FPrev] = prev;
        _r[(added << 3) + FNext] = next;
        if (prev != Nil) _r[(prev << 3) + FNext] = added;
        else _head = added;
        if (next != Nil) _r[(next << 3) + FPrev] = added;
    }

    private void Unlink(int block)
    {
        Tree.Remove(block);
        int prev = _r[(block << 3) + FPrev];
        int next = _r[(block << 3) + FNext];
        if (prev != Nil) _r[(prev << 3) + FNext] = next;
        else _head = next;
        if (next != Nil) _r[(next << 3) + FPrev] = prev;
    }
}
