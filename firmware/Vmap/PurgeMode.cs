namespace Vmap;

/// <summary>
/// Who runs a purge that the lazy threshold triggers, and what it takes (<see cref="VmapConfig.PurgeMode"/>).
/// A purge for space (an allocation that found none) and one asked for with
/// <c>Allocator.Purge</c> always take every zone's lazy areas with one flush, whatever the mode.
/// </summary>
public enum PurgeMode
{
    /// <summary>
    /// The free that takes the backlog over <see cref="VmapConfig.LazyMaxPages"/> purges every
    /// zone's lazy areas with one flush, as Linux did in 2016, and waits for it. Deterministic
    /// (replay uses it); the default.
    /// </summary>
    Global = 0,

    /// <summary>
    /// With zones: each zone keeps to an even share of <see cref="VmapConfig.LazyMaxPages"/>, and
    /// the free that takes its zone over the share purges only that zone's areas (as Linux 6.9
    /// purges each vmap node on its own CPU), so zones purge side by side and no core walks
    /// another core's records. Each zone flushes its own batch: a purge period costs a flush per
    /// zone instead of one, and a lone busy core purges at its share. For boards whose flush is
    /// cheap next to the allocation work; on boards with a costly flush (ESP32: 40 us each) use
    /// Global. Without zones it is Global.
    /// </summary>
    Zones = 1,

    /// <summary>
    /// A purge thread the allocator starts runs every threshold purge (all zones, one flush), so
    /// no free ever waits for a purge (Linux now uses a work queue the same way). Stop it with
    /// <c>Allocator.Stop</c>.
    /// </summary>
    Deferred = 2,
}
