namespace Vmap.Suite;

/// <summary>
/// A small deterministic random generator (xorshift32) so that a scenario does the same work
/// on the board, on the simulated board and in the tests for the same seed.
/// </summary>
public sealed class Rng
{
    private uint _state;

    /// <summary>Seeds the generator; any seed works (0 is mapped to a fixed non-zero state).</summary>
    public Rng(int seed)
    {
        _state = (uint)seed * 2654435761u;
        if (_state == 0) _state = 0x9E3779B9u;
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt()
    {
        uint x = _state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _state = x;
        return x;
    }

    /// <summary>A number from <paramref name="low"/> to <paramref name="high"/>, both included.</summary>
    public int Between(int low, int high) => low + (int)(NextUInt() % (uint)(high - low + 1));

    /// <summary>True with probability <paramref name="percent"/> / 100.</summary>
    public bool Chance(int percent) => NextUInt() % 100u < (uint)percent;
}
