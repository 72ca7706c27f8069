using System;

namespace Vmap.Hal;

/// <summary>
/// A clock from the managed system time (100 ns ticks of <see cref="DateTime.UtcNow"/>), for
/// boards without a finer counter (the STM32 HAL, the on-device tests). Coarser than a cycle
/// counter: on such boards the critical-section histogram starts at the tick resolution.
/// </summary>
public sealed class TickClock : IClock
{
    /// <inheritdoc />
    public long Ticks => DateTime.UtcNow.Ticks;

    /// <inheritdoc />
    public long TicksPerSecond => 10000000;
}
