using nanoFramework.Hardware.Esp32;
using Vmap.Hal;

namespace Vmap.Hal.Esp32;

/// <summary>
/// The ESP32 critical-section clock: <c>HighResTimer.GetCurrent()</c>, the microseconds since
/// boot of the esp_timer (64-bit, 1 µs resolution). Reading it is a native call of a few
/// microseconds on the interpreter, which is the floor of every section the allocator times.
/// </summary>
public sealed class Esp32Clock : IClock
{
    /// <inheritdoc />
    public long Ticks => (long)HighResTimer.GetCurrent();

    /// <inheritdoc />
    public long TicksPerSecond => 1000000;
}
