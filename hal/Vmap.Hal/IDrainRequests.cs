namespace Vmap.Hal;

/// <summary>
/// Work the allocator asks another core to do on itself: give back what its zone caches.
/// Implemented by the allocator and handed to <see cref="IDrainRequests"/>.
/// </summary>
public interface IDrainable
{
    /// <summary>Runs on (or on behalf of) <paramref name="core"/>: empties that core's zone cache.</summary>
    void DrainCore(int core);
}

/// <summary>
/// Cross-core requests (the IPI of the kernel). A board delivers a request to the target
/// core's thread, or runs it synchronously on the core's behalf when that is equivalent.
/// </summary>
public interface IDrainRequests
{
    /// <summary>Asks every core whose bit is set in <paramref name="coreMask"/> to drain.</summary>
    void Send(int coreMask, IDrainable target);

    /// <summary>
    /// Waits until every request sent by the last <see cref="Send"/> has been carried out,
    /// for at most <paramref name="timeoutMs"/> milliseconds. Returns false on time-out.
    /// </summary>
    bool WaitAll(int timeoutMs);
}
