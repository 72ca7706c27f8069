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

    public int ParentOf(int n) => (_pc[n] & ParentBits) >> 1;

    public bool IsRed(int n) => (_pc[n] & 1) == 0;

    private bool IsBlack(int n) => (_pc[n] & 1) != 0;

    private void SetParent(int n, int parent) => _pc[n] = (parent << 1) | (_pc[n] & ~ParentBits);

    private void SetRed(int n) => _pc[n] &= ~1;

    private void SetBlack(int n) => _pc[n] |= 1;

    private void CopyColor(int to, int from) => _pc[to] = (_pc[to] & ~1) | (_pc[from] & 1);

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

    /// <summary>Recomputes the augmented value from <paramref name="n"/> up to the root.</summary>
    private void PropagateToRoot(int n)
    {
        int w = 0;
        while (n != Nil)
        {
            _aux[n] = ComputeMax(n);
            n = (_pc[n] & ParentBits) >> 1;
            w++;
        }
        Work += w;
    }

    /// <summary>
    /// After <c>Size[n]</c> changed in place (the key order is unchanged): recomputes upwards,
    /// stopping where an ancestor's value does not change, since nothing above it can.
    /// </summary>
    public void SizeChanged(int n)
    {
        int w = 1;
        while (n != Nil)
        {
            int m = ComputeMax(n);
            if (_aux[n] == m) break;
            _aux[n] = m;
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
        int y = _right[x];
        int b = _left[y];
        _right[x] = b;
        if (b != Nil) SetParent(b, x);
        ReplaceChild(ParentOf(x), x, y);
        _left[y] = x;
        SetParent(x, y);
        _aux[y] = _aux[x];
        _aux[x] = ComputeMax(x);
    }

    private void RotateRight(int y)
    {
        Work++;
        int x = _left[y];
        int b = _right[x];
        _left[y] = b;
        if (b != Nil) SetParent(b, y);
        ReplaceChild(ParentOf(y), y, x);
        _right[x] = y;
        SetParent(y, x);
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

    /// <summary>Links <paramref name="n"/> (Start and Size set, key not present) into the tree.</summary>
    public void Insert(int n) => Insert(n, out _, out _);

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
        predecessor = Nil;
        successor = Nil;
        int w = 1;
        while (cur != Nil)
        {
            w++;
            parent = cur;
            goLeft = key < _start[cur];
            if (goLeft)
            {
                successor = cur;
                cur = _left[cur];
            }
            else
            {
                predecessor = cur;
                cur = _right[cur];
            }
        }
        _left[n] = Nil;
        _right[n] = Nil;
        _pc[n] = (parent << 1) | (_pc[n] & AreaPool.StateMask); // red, state kept
        if (parent == Nil) Root = n;
        else if (goLeft) _left[parent] = n;
        else _right[parent] = n;
        _aux[n] = _size[n];
        Work += w;
        SizeChanged(parent);
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
        while (true)
        {
            Work++;
            int p = ParentOf(n);
            if (p == Nil)
            {
                SetBlack(n);
                return;
            }
            if (IsBlack(p)) return;
            int g = ParentOf(p);
            if (p == _left[g])
            {
                int u = _right[g];
                if (u != Nil && IsRed(u))
                {
                    SetBlack(p);
                    SetBlack(u);
                    SetRed(g);
                    n = g;
                    continue;
                }
                if (n == _right[p])
                {
                    RotateLeft(p);
                    n = p;
                    p = ParentOf(n);
                }
                SetBlack(p);
                SetRed(g);
                RotateRight(g);
                return;
            }
            else
            {
                int u = _left[g];
                if (u != Nil && IsRed(u))
                {
                    SetBlack(p);
                    SetBlack(u);
                    SetRed(g);
                    n = g;
                    continue;
                }
                if (n == _left[p])
                {
                    RotateRight(p);
                    n = p;
                    p = ParentOf(n);
                }
                SetBlack(p);
                SetRed(g);
                RotateLeft(g);
                return;
            }
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
        PropagateToRoot(parent);
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
        while (x != Root && (x == Nil || IsBlack(x)))
        {
            Work++;
            if (x == _left[p])
            {
                int w = _right[p];
                if (IsRed(w))
                {
                    SetBlack(w);
                    SetRed(p);
                    RotateLeft(p);
                    w = _right[p];
                }
                if (IsBlack(_left[w]) && IsBlack(_right[w]))
                {
                    SetRed(w);
                    x = p;
                    p = ParentOf(x);
                    continue;
                }
                if (IsBlack(_right[w]))
                {
                    SetBlack(_left[w]);
                    SetRed(w);
                    RotateRight(w);
                    w = _right[p];
                }
                CopyColor(w, p);
                SetBlack(p);
                SetBlack(_right[w]);
                RotateLeft(p);
                x = Root;
            }
            else
            {
                int w = _left[p];
                if (IsRed(w))
                {
                    SetBlack(w);
                    SetRed(p);
                    RotateRight(p);
                    w = _left[p];
                }
                if (IsBlack(_left[w]) && IsBlack(_right[w]))
                {
                    SetRed(w);
                    x = p;
                    p = ParentOf(x);
                    continue;
                }
                if (IsBlack(_left[w]))
                {
                    SetBlack(_right[w]);
                    SetRed(w);
                    RotateLeft(w);
                    w = _left[p];
                }
                CopyColor(w, p);
                SetBlack(p);
                SetBlack(_left[w]);
                RotateRight(p);
                x = Root;
            }
        }
        if (x != Nil) SetBlack(x);
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
