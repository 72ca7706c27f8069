using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Vmap.Hal.Sim;

/// <summary>
/// The simulated board's critical-section clock: the processor's time-stamp counter, the same
/// kind of source a board uses (the Xtensa CCOUNT or the Cortex-M DWT cycle counter). It costs
/// a few nanoseconds where <see cref="Stopwatch.GetTimestamp"/> costs a system call's worth,
/// which matters because the allocator reads the clock twice per critical section.
/// <para>
/// .NET exposes no RDTSC intrinsic, so on x86-64 Linux the clock maps a ten-byte function
/// (rdtsc; shl rdx, 32; or rax, rdx; ret) into executable memory once and calls it through an
/// unmanaged function pointer without a GC transition. The counter's rate is calibrated against
/// the stopwatch at start-up. Anywhere else (or if the mapping fails) the clock falls back to
/// the stopwatch.
/// </para>
/// </summary>
public sealed unsafe class CycleClock : IClock
{
    private static readonly delegate* unmanaged[SuppressGCTransition]<long> s_rdtsc = MapRdtsc();
    private static readonly long s_tscPerSecond = s_rdtsc != null ? Calibrate() : 0;

    /// <summary>True when the time-stamp counter is in use (false: the stopwatch fallback).</summary>
    public static bool UsesCycleCounter => s_rdtsc != null;

    /// <inheritdoc />
    public long Ticks => s_rdtsc != null ? s_rdtsc() : Stopwatch.GetTimestamp();

    /// <inheritdoc />
    public long TicksPerSecond => s_rdtsc != null ? s_tscPerSecond : Stopwatch.Frequency;

    private static delegate* unmanaged[SuppressGCTransition]<long> MapRdtsc()
    {
        if (!OperatingSystem.IsLinux() || !X86Base.X64.IsSupported) return null;
        if (Environment.GetEnvironmentVariable("VMAP_SIM_CLOCK") == "stopwatch") return null;
        try
        {
            const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;
            nint mem = Mmap(0, 4096, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (mem == -1 || mem == 0) return null;
            ReadOnlySpan<byte> code = [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];
            code.CopyTo(new Span<byte>((void*)mem, code.Length));
            if (Mprotect(mem, 4096, ProtRead | ProtExec) != 0) return null;
            return (delegate* unmanaged[SuppressGCTransition]<long>)mem;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static long Calibrate()
    {
        long best = 0;
        for (int i = 0; i < 3; i++)
        {
            long s0 = Stopwatch.GetTimestamp();
            long c0 = s_rdtsc();
            while (Stopwatch.GetTimestamp() - s0 < Stopwatch.Frequency / 100) { }
            long c1 = s_rdtsc();
            long s1 = Stopwatch.GetTimestamp();
            long rate = (long)((c1 - c0) * (double)Stopwatch.Frequency / (s1 - s0));
            if (rate > best) best = rate;
        }
        return Math.Max(best, 1);
    }

    [DllImport("libc", EntryPoint = "mmap")]
    private static extern nint Mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "mprotect")]
    private static extern int Mprotect(nint addr, nuint length, int prot);
}
