namespace Vmap.Hal.Sim;

/// <summary>
/// Fault injection: a clock that jumps. Every <see cref="JumpEvery"/>-th reading it moves by
/// <see cref="JumpTicks"/> (negative: backwards) for good, as a clock whose counter was reset or
/// resynchronised would. 0 disables it.
/// </summary>
public sealed class JumpingClock(IClock inner) : IClock
{
    private long _offset;
    private long _readings;

    /// <summary>Readings between jumps (0: never).</summary>
    public int JumpEvery { get; set; }

    /// <summary>How far each jump moves the clock, in ticks.</summary>
    public long JumpTicks { get; set; }

    /// <summary>Jumps so far.</summary>
    public long Jumps { get; private set; }

    /// <inheritdoc />
    public long Ticks
    {
        get
        {
            int every = JumpEvery;
            if (every > 0 && Interlocked.Increment(ref _readings) % every == 0)
            {
                Interlocked.Add(ref _offset, JumpTicks);
                Jumps++;
            }
            return inner.Ticks + Volatile.Read(ref _offset);
        }
    }

    /// <inheritdoc />
    public long TicksPerSecond => inner.TicksPerSecond;
}
