namespace Vmap;

/// <summary>
/// The outcome of every allocator operation. The device API never throws for an expected
/// failure: exceptions allocate and are slow on the nanoFramework interpreter.
/// <see cref="StatusText.Describe"/> turns a status into a sentence for humans.
/// </summary>
public enum Status
{
    /// <summary>The operation did what was asked.</summary>
    Ok = 0,

    /// <summary>No free range fits the request, even after purging the lazy backlog and draining the core caches.</summary>
    NoSpace,

    /// <summary>The pool of area records is empty, even after purging (raise MaxAreas).</summary>
    NoRecords,

    /// <summary>The size is 0 or larger than the span.</summary>
    InvalidSize,

    /// <summary>The alignment is not a power of two or is larger than the span.</summary>
    InvalidAlignment,

    /// <summary>The address is not the start of a live area (never allocated, or already freed).</summary>
    NotAnArea,

    /// <summary>The allocator has not been started.</summary>
    NotStarted,

    /// <summary>The allocator was already started.</summary>
    AlreadyStarted,

    /// <summary>A configuration value is out of range; <c>Allocator.ConfigProblem</c> names it.</summary>
    InvalidConfig,

    /// <summary>A drain request was not answered in time; nothing was lost, the caller may retry.</summary>
    DrainTimeout,

    /// <summary>The MMU's TLB flush failed during a purge; the backlog stays queued, whole, for the next purge.</summary>
    FlushFailed,

    /// <summary>The MMU failed to map the range; nothing is allocated (the range waits, unmapped, for the next purge).</summary>
    MapFailed,

    /// <summary>The MMU failed to unmap the area; it stays allocated and mapped, the caller may free it again.</summary>
    UnmapFailed,
}

/// <summary>Human-readable text for <see cref="Status"/> values.</summary>
public static class StatusText
{
    /// <summary>One sentence describing <paramref name="status"/>.</summary>
    public static string Describe(Status status)
    {
        switch (status)
        {
            case Status.Ok: return "ok";
            case Status.NoSpace: return "no memory: no free range fits, even after purging lazily freed areas";
            case Status.NoRecords: return "no memory: the pool of area records is exhausted (raise MaxAreas)";
            case Status.InvalidSize: return "invalid size: must be at least 1 byte and at most the span size";
            case Status.InvalidAlignment: return "invalid alignment: must be a power of two no larger than the span";
            case Status.NotAnArea: return "not an area: the address is not the start of a live area (never allocated or already freed)";
            case Status.NotStarted: return "the allocator has not been started";
            case Status.AlreadyStarted: return "the allocator is already started";
            case Status.InvalidConfig: return "invalid configuration";
            case Status.DrainTimeout: return "a drain request to another core timed out";
            case Status.FlushFailed: return "the MMU's TLB flush failed; the lazily freed areas stay queued for the next purge";
            case Status.MapFailed: return "the MMU failed to map the range; nothing was allocated";
            case Status.UnmapFailed: return "the MMU failed to unmap the area; it is still allocated and mapped";
            default: return "unknown status";
        }
    }

    /// <summary>True for the two "no memory" outcomes.</summary>
    public static bool IsNoMemory(Status status) => status == Status.NoSpace || status == Status.NoRecords;
}
