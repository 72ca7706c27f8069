using System;

namespace Vmap.Hal;

/// <summary>
/// The largest single object the nanoFramework heap can hold, and the only way device code
/// allocates an array whose length depends on the board profile.
/// <para>
/// The nanoCLR heap is made of 12-byte blocks and one object spans at most 65,535 of them
/// (about 786 KB): measured on the real interpreter with a microcontroller's heap layout,
/// <c>new int[196591]</c> works and <c>new int[196592]</c> throws OutOfMemoryException. On .NET
/// there is no such limit, so a profile that starts on the simulated board could die at boot on
/// the device. Allocating through <see cref="NewInts"/> and <see cref="NewBytes"/> makes the host
/// refuse exactly what the interpreter refuses. The allocator's configuration check
/// (<c>VmapConfig.Validate</c>) names the setting before it comes to that; these throws are the
/// backstop for any array the check missed.
/// </para>
/// Start-up only: nothing here runs on an allocation path.
/// </summary>
public static class HeapLimits
{
    /// <summary>The longest <c>int[]</c> the interpreter allocates (196,591 elements).</summary>
    public const int MaxArrayInts = 196591;

    /// <summary>The longest <c>byte[]</c> (and the payload limit of any array), in bytes: <see cref="MaxArrayInts"/> × 4.</summary>
    public const int MaxArrayBytes = MaxArrayInts * 4;

    /// <summary>A new <c>int[length]</c>, refused as the interpreter refuses it when it is larger than one heap object.</summary>
    public static int[] NewInts(int length)
    {
        if (length > MaxArrayInts) throw new OutOfMemoryException(TooLarge(length, "ints", MaxArrayInts));
        return new int[length];
    }

    /// <summary>A new <c>byte[length]</c>, refused as the interpreter refuses it when it is larger than one heap object.</summary>
    public static byte[] NewBytes(int length)
    {
        if (length > MaxArrayBytes) throw new OutOfMemoryException(TooLarge(length, "bytes", MaxArrayBytes));
        return new byte[length];
    }

    private static string TooLarge(int length, string unit, int limit) =>
        "an array of " + length + " " + unit + " is larger than the largest object of the nanoFramework heap (" + limit + " " + unit + ")";
}
