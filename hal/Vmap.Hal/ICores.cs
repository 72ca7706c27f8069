namespace Vmap.Hal;

/// <summary>
/// The logical cores as the board defines them. On nanoFramework the whole CLR runs in one
/// RTOS task, so a "core" is a logical one: the HAL of each board documents how managed
/// threads map onto them. The allocator keeps one preload slot (and later one zone) per core.
/// </summary>
public interface ICores
{
    /// <summary>How many logical cores there are (1 to 32).</summary>
    int Count { get; }

    /// <summary>The logical core the calling thread runs on, 0 to Count - 1.</summary>
    int Current { get; }
}
