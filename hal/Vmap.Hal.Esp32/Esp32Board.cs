using nanoFramework.Hardware.Esp32;
using Vmap.Hal;

namespace Vmap.Hal.Esp32;

/// <summary>
/// The ESP32 family's HAL (ESP32, ESP32-S3, ESP32-C3).
/// <list type="bullet">
/// <item>Clock: <see cref="Esp32Clock"/> (HighResTimer, µs).</item>
/// <item>Cores: the CLR runs in one FreeRTOS task (pinned to core 1 on the ESP32, core 0 on the
///   ESP32-S3), so managed code never runs on two hardware cores at once. The logical cores are
///   the profile's count; a managed thread uses logical core ManagedThreadId % count
///   (<see cref="ThreadCores"/>), so concurrent threads mostly get their own zone.</item>
/// <item>MMU: the PSRAM window is mapped by the cache MMU, which only the native firmware
///   programs; the managed side keeps the page table and its contract (<see cref="TableMmu"/>).</item>
/// <item>Drain requests: carried out inline (<see cref="InlineDrainRequests"/>): no other core
///   runs managed code meanwhile.</item>
/// </list>
/// </summary>
public static class Esp32Board
{
    /// <summary>The HAL for a span of <paramref name="spanPages"/> pages on <paramref name="cores"/> logical cores.</summary>
    public static Board Create(int cores, int spanPages)
    {
        return new Board(new Esp32Clock(), new ThreadCores(cores), new TableMmu(spanPages), new InlineDrainRequests());
    }

    /// <summary>The PSRAM (SPI RAM) heap figures for the results header: total, free, largest free block, in bytes.</summary>
    public static void SpiRamInfo(out long total, out long free, out long largest)
    {
        NativeMemory.GetMemoryInfo(NativeMemory.MemoryType.SpiRam, out uint t, out uint f, out uint l);
        total = t;
        free = f;
        largest = l;
    }
}
