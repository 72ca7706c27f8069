namespace Vmap;

/// <summary>
/// The free tree: a red-black tree of area records keyed by <c>Start</c> (Linux lib/rbtree.c),
/// with the augmentation of mm/vmalloc.c's free tree.
/// <para>Red-black properties, true whenever no operation is in progress:</para>
/// <list type="number">
/// <item>every node is red or black; nil is black;</item>
/// <item>the root is black;</item>
/// <item>a red node has two black children;</item>
/// <item>every path from a node down to nil crosses the same number of black nodes.</item>
/// </list>
/// Hence the height is at most 2 log2(n + 1).
/// <para>Augmentation: <c>SubtreeMax[n] = max(Size[n], SubtreeMax[Left[n]], SubtreeMax[Right[n]])</c>
/// (the pool's <c>Aux</c>), the largest free block in n's subtree, with <c>SubtreeMax[nil] = 0</c>. It lets the lowest-fit search
/// skip every subtree that cannot hold the request.</para>
/// <para>Nil (handle 0) is never written, so the zones' lists under other locks may share the pool.</para>
/// The caller holds the lock that protects the tree.
/// </summary>
internal sealed class AreaTree
{
    private const int Nil = AreaPool.Nil;

    private readonly int[] _start;
    private readonly int[] _size;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly int[] _pc;
    private readonly int[] _aux;

    /// <summary>The root handle, nil when the tree is empty.</summary>
    public int Root;

    /// <summary>The number of nodes.</summary>
    public int Count;

    /// <summary>
    /// Work units done so far, only growing (see <see cref="CsMeter"/>): one per node a walk
    /// visits (a descent, a climb, a fix-up step) and one per rotation. Each is a few array
    /// loads and stores through calls the interpreter does not inline, the cost that grows with
    /// the tree's height; the sections read the difference.
    /// </summary>
    public int Work;

    public AreaTree(AreaPool pool)
    {
        _start = pool.Start;
        _size = pool.Size;
        _left = pool.Left;
        _right = pool.Right;
        _pc = pool.ParentColor;
        _aux = pool.SubtreeMax;
    }

    // ---- node building blocks -------------------------------------------------------------

    /// <summary>Bits 1..28 of ParentColor: the parent handle.</summary>
    public const int ParentBits = 0x1FFFFFFE;

    /// <summary>Bit 0 of ParentColor: set for a black node (nil's is set), clear for a red one.</summary>
    private const int Black = 1;

    // The walks below that run once per tree level or per fix-up step (the upward updates, the
    // rotations, both fix-ups) read and write ParentColor directly instead of through the
    // helpers here: the interpreter inlines no call, and a call costs it more than the bit
    // operation it wraps.

    public int ParentOf(int n) => (_pc[n] & ParentBits) >> 1;

    public bool IsRed(int n) => (_pc[n] & Black) == 0;

    private bool IsBlack(int n) => (_pc[n] & Black) != 0;

    private void SetParent(int n, int parent) => _pc[n] = (parent << 1) | (_pc[n] & ~ParentBits);

    private void CopyColor(int to, int from) => _pc[to] = (_pc[to] & ~Black) | (_pc[from] & Black);

    /// <summary>Largest free block in the subtree of <paramref name="n"/>.</summary>
    public int SubtreeMax(int n) => _aux[n];

    private int ComputeMax(int n)
    {
        int m = _size[n];
        int l = _aux[_left[n]];
        int r = _aux[_right[n]];
        if (l > m) m = l;
        if (r > m) m = r;
        return m;
    }

    /// <summary>
    /// Recomputes SubtreeMax from <paramref name="n"/> upwards: to the root (<paramref name="toRoot"/>,
    /// after a removal changed the shape), or only while it changes, which is enough after
    /// <c>Size[n]</c> changed in place (the key order unchanged): where an ancestor's value stays,
    /// nothing above it can change. <see cref="ComputeMax"/> is written out: this runs once per level.
    /// </summary>
    public void UpdateMaxUpward(int n, bool toRoot)
    {
        int[] aux = _aux;
        int w = toRoot ? 0 : 1;
        while (n != Nil)
        {
            int m = _size[n];
            int l = aux[_left[n]];
            int r = aux[_right[n]];
            if (l > m) m = l;
            if (r > m) m = r;
            if (!toRoot && aux[n] == m) break;
            aux[n] = m;
            n = (_pc[n] & ParentBits) >> 1;
            w++;
        }
        Work += w;
    }

    // ---- rotations --------------------------------------------------------------------------
    //
    //      X              Y           RotateLeft(X): Y rises, X takes Y's left subtree b.
    //     / \            / \          RotateRight(Y) is the mirror image.
    //    a   Y    <->   X   c         The pair's subtree holds the same blocks before and
    //       / \        / \            after, so Y inherits X's old maximum and only X is
    //      b   c      a   b           recomputed; ancestors are unaffected.

    private void RotateLeft(int x)
    {
        Work++;
        int[] pc = _pc;
        int y = _right[x];
        int b = _left[y];
        _right[x] = b;
        if (b != Nil) pc[b] = (x << 1) | (pc[b] & ~ParentBits);
        int p = (pc[x] & ParentBits) >> 1; // y takes x's place under p
        pc[y] = (p << 1) | (pc[y] & ~ParentBits);
        if (p == Nil) Root = y;
        else if (_left[p] == x) _left[p] = y;
        else _right[p] = y;
        _left[y] = x;
        pc[x] = (y << 1) | (pc[x] & ~ParentBits);
        _aux[y] = _aux[x];
        _aux[x] = ComputeMax(x);
    }

    private void RotateRight(int y)
    {
        Work++;
        int[] pc = _pc;
        int x = _left[y];
        int b = _right[x];
        _left[y] = b;
        if (b != Nil) pc[b] = (y << 1) | (pc[b] & ~ParentBits);
        int p = (pc[y] & ParentBits) >> 1; // x takes y's place under p
        pc[x] = (p << 1) | (pc[x] & ~ParentBits);
        if (p == Nil) Root = x;
        else if (_left[p] == y) _left[p] = x;
        else _right[p] = x;
        _right[x] = y;
        pc[y] = (x << 1) | (pc[y] & ~ParentBits);
        _aux[x] = _aux[y];
        _aux[y] = ComputeMax(y);
    }

    /// <summary>Puts <paramref name="newChild"/> where <paramref name="oldChild"/> hung under <paramref name="parent"/>.</summary>
    private void ReplaceChild(int parent, int oldChild, int newChild)
    {
        if (newChild != Nil) SetParent(newChild, parent);
        if (parent == Nil) Root = newChild;
        else if (_left[parent] == oldChild) _left[parent] = newChild;
        else _right[parent] = newChild;
    }

    // ---- lookups ------------------------------------------------------------------------------

    /// <summary>The node whose Start is <paramref name="key"/>, or nil.</summary>
    public int Find(int key)
    {
        int n = Root;
        while (n != Nil)
        {
            int s = _start[n];
            if (key < s) n = _left[n];
            else if (key > s) n = _right[n];
            else return n;
        }
        return Nil;
    }

    // ---- insertion ------------------------------------------------------------------------------

    /// <summary>
    /// Links <paramref name="n"/> into the tree and reports its in-order neighbours, found on
    /// the way down: the last node the walk left to its right is the predecessor, the last one
    /// left to its left the successor.
    /// </summary>
    public void Insert(int n, out int predecessor, out int successor)
    {
        int key = _start[n];
        int parent = Nil;
        int cur = Root;
        bool goLeft = false;
        int before = Nil; // locals, not the out parameters: one store each per level, not an indirect one
        int after = Nil;
        int w = 1;
        while (cur != Nil)
        {
            w++;
            parent = cur;
            goLeft = key < _start[cur];
            if (goLeft)
            {
                after = cur;
                cur = _left[cur];
            }
            else
            {
                before = cur;
                cur = _right[cur];
            }
        }
        predecessor = before;
        successor = after;
        _left[n] = Nil;
        _right[n] = Nil;
        _pc[n] = (parent << 1) | (_pc[n] & AreaPool.StateMask); // red, state kept
        if (parent == Nil) Root = n;
        else if (goLeft) _left[parent] = n;
        else _right[parent] = n;
        _aux[n] = _size[n];
        Work += w;
        UpdateMaxUpward(parent, false);
        Count++;
        InsertFixup(n);
    }

    // Insert rebalancing (n is red; lowercase red, uppercase black). While n's parent p is red,
    // p is not the root, so the grandparent G exists and is black. With uncle u:
    //
    //  case 1, u red: recolour        G            g
    //                                / \          / \
    //                               p   u  ->    P   U     and continue from g
    //                              /            /
    //                             n            n
    //
    //  case 2, n is an inner child: rotate at p so that n becomes the outer child (case 3).
    //
    //  case 3, n outer: rotate at G   G            P
    //                                / \          / \
    //                               p   U  ->    n   g
    //                              /                  \
    //                             n                    U
    private void InsertFixup(int n)
    {
        int[] pc = _pc;
        while (true)
        {
            Work++;
            int p = (pc[n] & ParentBits) >> 1;
            if (p == Nil)
            {
                pc[n] |= Black;
                return;
            }
            if ((pc[p] & Black) != 0) return;
            int g = (pc[p] & ParentBits) >> 1;
            bool parentIsLeft = p == _left[g];
            int u = parentIsLeft ? _right[g] : _left[g];
            if (u != Nil && (pc[u] & Black) == 0)
            {
                // Case 1: recolour and go on from the grandparent.
                pc[p] |= Black;
                pc[u] |= Black;
                pc[g] &= ~Black;
                n = g;
                continue;
            }
            if (parentIsLeft)
            {
                if (n == _right[p])
                {
                    // Case 2: n rises above p and takes its role in case 3.
                    RotateLeft(p);
                    p = n;
                }
                pc[p] |= Black;
                pc[g] &= ~Black;
                RotateRight(g);
            }
            else
            {
                if (n == _left[p])
                {
                    RotateRight(p);
                    p = n;
                }
                pc[p] |= Black;
                pc[g] &= ~Black;
                RotateLeft(g);
            }
            return;
        }
    }

    // ---- removal -------------------------------------------------------------------------------

    /// <summary>Unlinks <paramref name="z"/> from the tree; the record itself is left to the caller.</summary>
    public void Remove(int z)
    {
        int child;
        int parent;
        bool removedBlack;
        if (_left[z] == Nil || _right[z] == Nil)
        {
            // z has at most one child: that child takes its place.
            child = _left[z] != Nil ? _left[z] : _right[z];
            parent = ParentOf(z);
            removedBlack = IsBlack(z);
            ReplaceChild(parent, z, child);
        }
        else
        {
            // Two children: z's successor y (leftmost of the right subtree, no left child)
            // leaves its own place to its right child, then takes z's place and colour.
            int y = _right[z];
            while (_left[y] != Nil)
            {
                y = _left[y];
                Work++;
            }
            removedBlack = IsBlack(y);
            child = _right[y];
            if (ParentOf(y) == z)
            {
                parent = y;
            }
            else
            {
                parent = ParentOf(y);
                ReplaceChild(parent, y, child);
                _right[y] = _right[z];
                SetParent(_right[y], y);
            }
            ReplaceChild(ParentOf(z), z, y);
            _left[y] = _left[z];
            SetParent(_left[y], y);
            CopyColor(y, z);
        }
        Count--;
        UpdateMaxUpward(parent, true);
        if (removedBlack) RemoveFixup(child, parent);
    }

    // Removal rebalancing: x (possibly nil) under parent p carries an extra black. With
    // sibling w (mirror images when x is a right child):
    //
    //  case 1, w red: rotate at p so x gets a black sibling.
    //        P               W
    //       / \             / \
    //      x   w    ->     p   R
    //         / \         / \
    //        L   R       x   L
    //
    //  case 2, w black with two black children: recolour w red, move the extra black to p.
    //  case 3, w black, near child red, far child black: rotate at w (turns into case 4).
    //  case 4, w black, far child r red: rotate at p, and the extra black is absorbed.
    //        p               w
    //       / \             / \
    //      X   W    ->     P   R
    //         / \         / \
    //        l   r       X   l
    private void RemoveFixup(int x, int p)
    {
        int[] pc = _pc;
        while (x != Root && (pc[x] & Black) != 0) // nil is black
        {
            Work++;
            if (x == _left[p])
            {
                int w = _right[p];
                if ((pc[w] & Black) == 0)
                {
                    pc[w] |= Black;
                    pc[p] &= ~Black;
                    RotateLeft(p);
                    w = _right[p];
                }
                if ((pc[_left[w]] & Black) != 0 && (pc[_right[w]] & Black) != 0)
                {
                    pc[w] &= ~Black;
                    x = p;
                    p = (pc[x] & ParentBits) >> 1;
                    continue;
                }
                if ((pc[_right[w]] & Black) != 0)
                {
                    pc[_left[w]] |= Black;
                    pc[w] &= ~Black;
                    RotateRight(w);
                    w = _right[p];
                }
                pc[w] = (pc[w] & ~Black) | (pc[p] & Black);
                pc[p] |= Black;
                pc[_right[w]] |= Black;
                RotateLeft(p);
                x = Root;
            }
            else
            {
                int w = _left[p];
                if ((pc[w] & Black) == 0)
                {
                    pc[w] |= Black;
                    pc[p] &= ~Black;
                    RotateRight(p);
                    w = _left[p];
                }
                if ((pc[_left[w]] & Black) != 0 && (pc[_right[w]] & Black) != 0)
                {
                    pc[w] &= ~Black;
                    x = p;
                    p = (pc[x] & ParentBits) >> 1;
                    continue;
                }
                if ((pc[_left[w]] & Black) != 0)
                {
                    pc[_right[w]] |= Black;
                    pc[w] &= ~Black;
                    RotateLeft(w);
                    w = _left[p];
                }
                pc[w] = (pc[w] & ~Black) | (pc[p] & Black);
                pc[p] |= Black;
                pc[_left[w]] |= Black;
                RotateRight(p);
                x = Root;
            }
        }
        if (x != Nil) pc[x] |= Black;
    }

    // ---- checks ----------------------------------------------------------------------------------

    /// <summary>
    /// Checks the red-black properties, the parent links, the key order and the augmented
    /// values. Returns null when all hold, else what is wrong. Marks each node in
    /// <paramref name="seen"/>; a node already marked is reported (a record in two places).
    /// </summary>
    public string Validate(bool[] seen)
    {
        if (Root == Nil) return Count == 0 ? null : "tree is empty but counts " + Count + " nodes";
        if (!IsBlack(Root)) return "root " + Root + " is red";
        if (ParentOf(Root) != Nil) return "root " + Root + " has a parent";
        int nodes = 0;
        string problem = CheckSubtree(Root, int.MinValue, int.MaxValue, seen, ref nodes, out _);
        if (problem != null) return problem;
        return nodes == Count ? null : "tree holds " + nodes + " nodes but counts " + Count;
    }

    private string CheckSubtree(int n, int low, int high, bool[] seen, ref int nodes, out int blackHeight)
    {
        blackHeight = 1;
        if (n == Nil) return null;
        if (seen[n]) return "record " + n + " is reachable twice";
        seen[n] = true;
        nodes++;
        int key = _start[n];
        if (key < low || key > high) return "record " + n + " (start " + key + ") is out of key order";
        int l = _left[n];
        int r = _right[n];
        if (l != Nil && ParentOf(l) != n) return "record " + l + " has a wrong parent link";
        if (r != Nil && ParentOf(r) != n) return "record " + r + " has a wrong parent link";
        if (IsRed(n) && ((l != Nil && IsRed(l)) || (r != Nil && IsRed(r)))) return "red record " + n + " has a red child";
        string problem = CheckSubtree(l, low, key - 1, seen, ref nodes, out int lh);
        if (problem != null) return problem;
        problem = CheckSubtree(r, key + 1, high, seen, ref nodes, out int rh);
        if (problem != null) return problem;
        if (lh != rh) return "black heights differ under record " + n;
        if (_aux[n] != ComputeMax(n)) return "record " + n + " has subtree max " + _aux[n] + ", expected " + ComputeMax(n);
        blackHeight = lh + (IsBlack(n) ? 1 : 0);
        return null;
    }
}
