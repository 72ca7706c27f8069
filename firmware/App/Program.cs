using System.Threading;

namespace Vmap.App;

/// <summary>The firmware's entry point: run the latency suite once at boot, print the results, idle.</summary>
public static class Program
{
    /// <summary>Boots the allocator with the compiled-in board profile on the board's HAL.</summary>
    public static void Main()
    {
        FirmwareApp.RunOnBoard();
        while (true) Thread.Sleep(1000);
    }
}
