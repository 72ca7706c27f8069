using Vmap.Hal;

namespace Vmap;

/// <summary>
/// The free address space of the span (Linux free_vmap_area_root + free_vmap_area_list): every
/// free block, in an augmented red-black tree keyed by start page and in an address-ordered
/// doubly linked list through <c>Prev</c>/<c>Next</c>. Blocks never touch: two adjacent free
/// blocks are always merged into one.
/// <para>
/// Boundary tags (as in TLSF): the tag of page p names the record of the range that starts at page
/// p, and for a free block also the one that ends at p. A released range finds its free
/// neighbours through the tags of the pages just before and just after it in O(1), instead of
/// a tree search; a stale tag is harmless because every hit is checked against the record's
/// state and extent. Costs one int per page of the span, stored in chunks of
/// <see cref="TagChunk"/> pages: a 1 GiB span of 4 KiB pages needs 262,144 tags, more than the
/// nanoFramework heap's largest object (<see cref="HeapLimits.MaxArrayInts"/>), so one flat array
/// would make such a profile die at start-up on the device. A chunked read costs a shift, a
/// mask and one more array load.
/// </para>
/// Work units (<see cref="AreaTree.Work"/>): one per tree node a search visits, one per split
/// or merge, plus the tree's own. Protected by the allocator's free-tree lock.
/// </summary>
internal sealed class FreeSpace
{
    private const int Nil = AreaPool.Nil;

    private readonly AreaPool _pool;
    private readonly int[] _start;
    private readonly int[] _size;
    private readonly int[] _prev;
    private readonly int[] _next;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly int[] _max;
    private readonly int[] _parentColor;

    /// <summary>The free tree, augmented with the largest block of each subtree.</summary>
    public readonly AreaTree Tree;

    /// <summary>Total free pages (the sum of every block's size).</summary>
    public int FreePages;

    /// <summary>Pages per chunk of boundary tags: 2^16, 256 KB of ints, a third of the largest heap object.</summary>
    public const int TagChunk = 1 << TagShift;

    /// <summary>A page's chunk is page &gt;&gt; TagShift, its slot page &amp; TagMask.</summary>
    public const int TagShift = 16;

    /// <summary>See <see cref="TagShift"/>.</summary>
    public const int TagMask = TagChunk - 1;

    /// <summary>
    /// The boundary tags, one record handle per page of the span (see the class remarks): the
    /// tag of page p is <c>Tags[p &gt;&gt; TagShift][p &amp; TagMask]</c>. Hot paths index it
    /// directly (the interpreter inlines no call); <see cref="Tag"/> is for the checker.
    /// </summary>
    public readonly int[][] Tags;

    private readonly int _spanPages;

    public FreeSpace(AreaPool pool, int spanPages)
    {
        Tags = new int[(spanPages + TagMask) >> TagShift][];
        for (int i = 0; i < Tags.Length; i++) Tags[i] = HeapLimits.NewInts(spanPages - (i << TagShift) < TagChunk ? spanPages - (i << TagShift) : TagChunk);
        _spanPages = spanPages;
        _pool = pool;
        _start = pool.Start;
        _size = pool.Size;
        _prev = pool.Prev;
        _next = pool.Next;
        _left = pool.Left;
        _right = pool.Right;
        _max = pool.SubtreeMax;
        _parentColor = pool.ParentColor;
        Tree = new AreaTree(pool);
    }

    /// <summary>The record tagged at <paramref name="page"/>: a range that starts there, or a free block that ends there (possibly stale, see the class remarks).</summary>
    public int Tag(int page) => Tags[page >> TagShift][page & TagMask];

    /// <summary>The largest free block in pages.</summary>
    public int LargestBlock => Tree.SubtreeMax(Tree.Root);

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

    /// <summary>True when <paramref name="block"/> (at least <paramref name="pages"/> long) holds them on an <paramref name="align"/> boundary.</summary>
    private bool Fits(int block, int pages, int align, int alignOffset)
    {
        int size = _size[block];
        int start = _start[block];
        long aligned = AlignUp(start, align, alignOffset);
        return aligned + pages <= (long)start + size;
    }

    /// <summary>
    /// Candidates (blocks big enough but badly aligned) one step of an aligned search rejects
    /// before it stops (see <see cref="FindLowestFit"/>): bounds a step to O(log n + this many
    /// climbs), so a critical section does not grow with the fragmentation of the span.
    /// </summary>
    public const int MaxRejections = 32;

    /// <summary>
    /// The lowest-address free block starting at or above page <paramref name="from"/> that
    /// can hold <paramref name="pages"/> pages starting on an <paramref name="align"/> boundary,
    /// or nil (Linux find_vmap_lowest_match; its vstart is <paramref name="from"/>).
    /// <para>
    /// The search prunes with the exact size, not size + align - 1: a block of exactly the
    /// requested size that happens to be aligned is a fit, and the padded size would skip it
    /// (the trap of seed 002). The price is that blocks big enough but badly aligned are
    /// visited and rejected, each at the cost of one climb, and a span fragmented into many
    /// such blocks would make one search linear. Linux searches with the padded size instead
    /// and so misses such fits (and may report no space while one exists).
    /// </para>
    /// <para>
    /// Here a search is exact and runs in steps: after <see cref="MaxRejections"/> rejections
    /// a step returns nil with <paramref name="resumeAt"/> set to the page after the last
    /// rejected block's start, and the caller runs the next step from there in a new critical
    /// section. <paramref name="resumeAt"/> is -1 when the search is over: a block was found,
    /// or none at or above <paramref name="from"/> fits. On one core the steps together find
    /// the exact lowest fit; with other cores allocating and freeing between steps, a block
    /// that appears below the resume point is missed, as if it had appeared after the search.
    /// An unaligned request never rejects a candidate: one step, O(log n).
    /// </para>
    /// </summary>
    public int FindLowestFit(int pages, int align, int alignOffset, int from, out int resumeAt)
    {
        // The tree's arrays are read directly: the interpreter inlines no call, and this loop
        // runs once per tree level.
        resumeAt = -1;
        AreaTree tree = Tree;
        int[] max = _max;
        int n = tree.Root;
        if (max[n] < pages) return Nil;
        int rejected = 0;
        int work = 0;
        while (true)
        {
            // Invariant: SubtreeMax(n) >= pages, and every block below n's subtree either
            // starts below from or was rejected.
            work++;
            if (_start[n] >= from)
            {
                int l = _left[n];
                if (max[l] >= pages)
                {
                    n = l;
                    continue;
                }
                if (_size[n] >= pages)
                {
                    if (align == 1 || Fits(n, pages, align, alignOffset)) break;
                    if (++rejected > MaxRejections)
                    {
                        resumeAt = _start[n] + 1;
                        n = Nil;
                        break;
                    }
                }
            }
            // n is done (rejected, too small, or with its left subtree below from): its right
            // subtree holds the next blocks in address order.
            int r = _right[n];
            if (max[r] >= pages)
            {
                n = r;
                continue;
            }
            // n's subtree is exhausted: climb to the nearest ancestor entered from its left
            // child; that ancestor and its right subtree are the next blocks in address order.
            // (A left subtree is only entered from a node at or above from, so that ancestor
            // is too.)
            if (!Climb(ref n, pages, align, alignOffset, ref rejected, ref work, out resumeAt)) break;
        }
        tree.Work += work;
        return n;
    }

    /// <summary>
    /// The climb of <see cref="FindLowestFit"/> from an exhausted subtree at <paramref name="n"/>:
    /// returns true with <paramref name="n"/> at the next right subtree to search, or false
    /// with <paramref name="n"/> the fit found, or nil (none, or a step's rejections used up:
    /// then <paramref name="resumeAt"/> is set).
    /// </summary>
    private bool Climb(ref int n, int pages, int align, int alignOffset, ref int rejected, ref int work, out int resumeAt)
    {
        resumeAt = -1;
        int[] max = _max;
        int[] pc = _parentColor;
        while (true)
        {
            work++;
            int p = (pc[n] & AreaTree.ParentBits) >> 1;
            if (p == Nil)
            {
                n = Nil;
                return false;
            }
            bool fromLeft = _left[p] == n;
            n = p;
            if (!fromLeft) continue;
            if (_size[n] >= pages)
            {
                if (align == 1 || Fits(n, pages, align, alignOffset)) return false;
                if (++rejected > MaxRejections)
                {
                    resumeAt = _start[n] + 1;
                    n = Nil;
                    return false;
                }
            }
            int r = _right[n];
            if (max[r] >= pages)
            {
                n = r;
                return true;
            }
        }
    }

    /// <summary>Classifies how [start, start + pages) sits in <paramref name="block"/> (Linux classify_va_fit_type).</summary>
    public FitType Classify(int block, int start, int pages)
    {
        bool head = _start[block] == start;
        bool tail = _start[block] + _size[block] == start + pages;
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
                _parentColor[block] &= ~AreaPool.StateMask;
                break;

            case FitType.LeftEdge:
                // |<--- block --->|
                // |VVVVVV|<-rest->|     the block keeps its place: its start only grows
                _start[block] = end; //  past pages no other block can own.
                _size[block] -= pages;
                Tags[end >> TagShift][end & TagMask] = block;
                Tree.UpdateMaxUpward(block, false);
                break;

            case FitType.RightEdge:
                // |<--- block --->|
                // |<-rest->|VVVVVV|
                _size[block] -= pages;
                Tags[(start - 1) >> TagShift][(start - 1) & TagMask] = block;
                Tree.UpdateMaxUpward(block, false);
                break;

            default:
                // |<--------- block -------->|
                // |<-L->|VVVVVVVVVV|<-spare->|   the block keeps L, spare takes R.
                int blockEnd = _start[block] + _size[block];
                _size[block] = start - _start[block];
                Tags[(start - 1) >> TagShift][(start - 1) & TagMask] = block;
                Tree.UpdateMaxUpward(block, false);
                _start[spare] = end;
                _size[spare] = blockEnd - end;
                AddBlock(spare);
                break;
        }
        FreePages -= pages;
        Tree.Work++; // the split itself: the record and tag writes above
    }

    // ---- giving back -------------------------------------------------------------------------

    /// <summary>
    /// Returns the range held by <paramref name="area"/> (Start, Size) to free space, merging
    /// with the free blocks on either side (Linux merge_or_add_vmap_area), found in O(1) by
    /// their boundary tags. Records that are no longer needed (the area's own, an absorbed
    /// neighbour's) go back to the pool, so a release never needs a new record and cannot fail.
    /// </summary>
    public void Release(int area)
    {
        int start = _start[area];
        int size = _size[area];
        int end = start + size;
        int prev = start > 0 ? Tags[(start - 1) >> TagShift][(start - 1) & TagMask] : Nil;
        int next = end < _spanPages ? Tags[end >> TagShift][end & TagMask] : Nil;
        // AreaPool.IsFree written out (twice per merge; the interpreter inlines no call).
        bool touchPrev = prev != Nil && (_parentColor[prev] & AreaPool.FreeState) != 0 && _start[prev] + _size[prev] == start;
        bool touchNext = next != Nil && (_parentColor[next] & AreaPool.FreeState) != 0 && _start[next] == end;
        FreePages += size;
        Tree.Work++; // the merge itself: the neighbour checks and tag writes below

        if (touchPrev && touchNext)
        {
            // |<-prev->|<-area->|<-next->|  ->  |<------------ prev ------------>|
            _size[prev] += size + _size[next];
            int last = end + _size[next] - 1;
            Tags[last >> TagShift][last & TagMask] = prev;
            Unlink(next);
            Tree.UpdateMaxUpward(prev, false);
            _pool.GiveLocked(next);
            _pool.GiveLocked(area);
        }
        else if (touchPrev)
        {
            // |<-prev->|<-area->|   gap   |  ->  |<----- prev ----->|   gap   |
            _size[prev] += size;
            Tags[(end - 1) >> TagShift][(end - 1) & TagMask] = prev;
            Tree.UpdateMaxUpward(prev, false);
            _pool.GiveLocked(area);
        }
        else if (touchNext)
        {
            // |   gap   |<-area->|<-next->|  ->  |   gap   |<----- next ----->|
            // next's key falls to the area's start; no block lies in between, so the order holds.
            _start[next] = start;
            _size[next] += size;
            Tags[start >> TagShift][start & TagMask] = next;
            Tree.UpdateMaxUpward(next, false);
            _pool.GiveLocked(area);
        }
        else
        {
            // |   gap   |<-area->|   gap   |  ->  the area's record becomes a free block; the
            // tree walk that inserts it also finds its neighbours in address order.
            AddBlock(area);
        }
    }

    /// <summary>Adds the first block of an empty free space (start-up).</summary>
    public void AddInitial(int block)
    {
        AddBlock(block);
        FreePages += _size[block];
    }

    /// <summary>
    /// Makes <paramref name="block"/> a free block: its state, the tree (whose walk down finds
    /// its neighbours in address order), the list and the tags of its first and last pages.
    /// One method, the steps written out: it runs once per block a purge adds, inside the
    /// section, and the interpreter inlines no call.
    /// </summary>
    private void AddBlock(int block)
    {
        _parentColor[block] = (_parentColor[block] & ~AreaPool.StateMask) | AreaPool.FreeState;
        Tree.Insert(block, out int prev, out int next);

        // The address-ordered list: between prev and next.
        _prev[block] = prev;
        _next[block] = next;
        if (prev != Nil) _next[prev] = block;
        else _head = block;
        if (next != Nil) _prev[next] = block;

        // The boundary tags.
        int first = _start[block];
        int last = first + _size[block] - 1;
        Tags[first >> TagShift][first & TagMask] = block;
        Tags[last >> TagShift][last & TagMask] = block;
    }

    // ---- the address-ordered list -------------------------------------------------------------

    private int _head;

    /// <summary>The lowest block by the list (cross-checked against the tree by Validate).</summary>
    public int ListHead => _head;

    private void Unlink(int block)
    {
        Tree.Remove(block);
        int prev = _prev[block];
        int next = _next[block];
        if (prev != Nil) _next[prev] = next;
        else _head = next;
        if (next != Nil) _prev[next] = prev;
    }
}
