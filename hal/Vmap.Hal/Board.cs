namespace Vmap.Hal;

/// <summary>
/// The hardware one allocator runs on: its clock, its cores, the MMU of its span and the way
/// to reach other cores. A plain holder, so a board wires its parts once at boot.
/// </summary>
public sealed class Board
{
    /// <summary>Creates the holder; every part is required.</summary>
    public Board(IClock clock, ICores cores, IMmu mmu, IDrainRequests drain)
    {
        Clock = clock;
        Cores = cores;
        Mmu = mmu;
        Drain = drain;
    }

    /// <summary>The critical-section clock.</summary>
    public IClock Clock { get; }

    /// <summary>The logical cores.</summary>
    public ICores Cores { get; }

    /// <summary>The MMU of the span.</summary>
    public IMmu Mmu { get; }

    /// <summary>Cross-core drain requests.</summary>
    public IDrainRequests Drain { get; }
}
