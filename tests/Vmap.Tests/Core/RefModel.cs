namespace Vmap.Tests.Core;

/// <summary>
/// The reference the tree search is checked against: lowest-address first fit by a linear
/// scan over a sorted list of free blocks,
/// with lazily freed ranges held apart until a purge.
/// </summary>
public sealed class RefModel
{
    private readonly List<(int Start, int Size)> _free = [];
    private readonly List<(int Start, int Size)> _lazy = [];
    private readonly int _alignOffsetBase;

    public RefModel(int spanPages, long spanFirstAbsPage)
    {
        _free.Add((0, spanPages));
        _alignOffsetBase = (int)(spanFirstAbsPage & ((1 << 30) - 1));
    }

    public int FreeBlocks => _free.Count;

    /// <summary>
    /// Where the lowest fit of <paramref name="reserve"/> pages aligned to <paramref name="align"/>
    /// starts, or -1 when none fits.
    /// </summary>
    public int LowestFit(int reserve, int align)
    {
        int offset = _alignOffsetBase & (align - 1);
        foreach (var (start, size) in _free)
        {
            long aligned = start + ((align - ((start + offset) & (align - 1))) & (align - 1));
            if (aligned + reserve <= (long)start + size) return (int)aligned;
        }
        return -1;
    }

    public void Take(int start, int reserve)
    {
        int i = _free.FindIndex(b => b.Start <= start && start + reserve <= b.Start + b.Size);
        Assert.True(i >= 0, $"model: [{start}, {start + reserve}) is not free");
        var (bs, bz) = _free[i];
        _free.RemoveAt(i);
        if (start + reserve < bs + bz) _free.Insert(i, (start + reserve, bs + bz - start - reserve));
        if (bs < start) _free.Insert(i, (bs, start - bs));
    }

    public void FreeLazy(int start, int reserve) => _lazy.Add((start, reserve));

    public void Purge()
    {
        foreach (var r in _lazy) Give(r.Start, r.Size);
        _lazy.Clear();
    }

    private void Give(int start, int size)
    {
        int i = 0;
        while (i < _free.Count && _free[i].Start < start) i++;
        _free.Insert(i, (start, size));
        if (i + 1 < _free.Count && start + size == _free[i + 1].Start)
        {
            _free[i] = (start, size + _free[i + 1].Size);
            _free.RemoveAt(i + 1);
        }
        if (i > 0 && _free[i - 1].Start + _free[i - 1].Size == start)
        {
            _free[i - 1] = (_free[i - 1].Start, _free[i - 1].Size + _free[i].Size);
            _free.RemoveAt(i);
        }
    }

    public int FreePages => _free.Sum(b => b.Size);
    public int LargestBlock => _free.Count == 0 ? 0 : _free.Max(b => b.Size);
}
