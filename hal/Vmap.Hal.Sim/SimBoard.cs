using Vmap;

namespace Vmap.Hal.Sim;

/// <summary>Builds the simulated board's HAL for one span: cycle clock, logical cores, shadow MMU, drain requests.</summary>
public sealed class SimBoard
{
    /// <summary>Wires a simulated board with <paramref name="cores"/> logical cores.</summary>
    public SimBoard(ulong spanStart, int pageSize, int spanPages, int cores, double flushFixedMicros = 0, double flushPerPageMicros = 0)
    {
        Clock = new CycleClock();
        Jumping = new JumpingClock(Clock);
        Cores = new SimCores(cores);
        Mmu = new ShadowMmu(spanStart, pageSize, spanPages, Clock, flushFixedMicros, flushPerPageMicros);
        Drain = new SyncDrainRequests();
        Board = new Board(Jumping, Cores, Mmu, Drain);
    }

    /// <summary>The HAL holder handed to the allocator.</summary>
    public Board Board { get; }

    /// <summary>The clock.</summary>
    public CycleClock Clock { get; }

    /// <summary>The clock the allocator reads: the cycle clock, unless a jump is injected.</summary>
    public JumpingClock Jumping { get; }

    /// <summary>The logical cores.</summary>
    public SimCores Cores { get; }

    /// <summary>The shadow MMU.</summary>
    public ShadowMmu Mmu { get; }

    /// <summary>The drain requests.</summary>
    public SyncDrainRequests Drain { get; }

    /// <summary>A simulated board sized for <paramref name="config"/>.</summary>
    public static SimBoard For(VmapConfig config, double flushFixedMicros = 0, double flushPerPageMicros = 0)
    {
        ulong pages = config.PageSize > 0 ? config.SpanSize / (ulong)config.PageSize : 1;
        return new(config.SpanStart, config.PageSize, (int)Math.Clamp(pages, 1UL, (ulong)VmapConfig.MaxSpanPages), Math.Clamp(config.Cores, 1, 32), flushFixedMicros, flushPerPageMicros);
    }
}
