namespace Vmap.Hal;

/// <summary>
/// A free-running monotonic counter. The allocator reads it at the start and end of every
/// critical section, so a board should back it with its cheapest precise source (a cycle
/// counter or a microsecond timer), never with a system call.
/// </summary>
public interface IClock
{
    /// <summary>The current count. Never goes backwards on a healthy board.</summary>
    long Ticks { get; }

    /// <summary>Counts per second; constant for the life of the board.</summary>
    long TicksPerSecond { get; }
}
