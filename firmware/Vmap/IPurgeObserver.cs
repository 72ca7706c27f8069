namespace Vmap;

/// <summary>
/// Told about every purge that merged something back, on the purging thread, outside every
/// critical section but while the purge still holds the purge gate (a global purge) or its
/// zone's purge flag (a zone's own threshold purge, PurgeMode.Zones): an observer must
/// not purge, allocate or wait for another thread that does (it would wait for itself). With
/// zone purges, zones purge side by side, so it may be called from several cores at once.
/// Meant for logs and counters.
/// </summary>
public interface IPurgeObserver
{
    /// <summary>
    /// A purge merged <paramref name="areas"/> areas of <paramref name="pages"/> pages back after
    /// one flush of [<paramref name="flushStart"/>, <paramref name="flushEnd"/>) (addresses, end exclusive).
    /// </summary>
    void OnPurge(int areas, int pages, ulong flushStart, ulong flushEnd);
}
