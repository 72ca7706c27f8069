namespace Vmap.Hal;

/// <summary>
/// Drain requests for a board whose managed code runs in one RTOS task: no other core runs
/// managed code at the same time, so the request is carried out at once on the target's
/// behalf (the zone lock makes that equivalent to running on it).
/// </summary>
public sealed class InlineDrainRequests : IDrainRequests
{
    /// <inheritdoc />
    public void Send(int coreMask, IDrainable target)
    {
        for (int core = 0; core < 32; core++)
        {
            if ((coreMask & (1 << core)) != 0) target.DrainCore(core);
        }
    }

    /// <inheritdoc />
    public bool WaitAll(int timeoutMs) => true;
}
