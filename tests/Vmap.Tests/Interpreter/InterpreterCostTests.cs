using System.Reflection;
using Vmap.Hal;
using Vmap.Sim.Boards;
using Xunit.Abstractions;

namespace Vmap.Tests.Interpreter;

/// <summary>
/// Regime: what one allocation and one free cost the nanoFramework interpreter, counted on the
/// firmware as a board runs it (<see cref="IlCounter"/>): the esp32 profile with its zones, on the
/// device HAL (a tick clock for the ESP32's timer, thread cores, the managed page table, inline
/// drains). The counts are exact and pinned, so a change that adds a call, an interface
/// dispatch or a runtime call to a hot path fails here; the IL instructions may only shrink
/// below their budget.
/// </summary>
public sealed class InterpreterCostTests(ITestOutputHelper output)
{
    private sealed class Counted
    {
        private readonly object _allocator;
        private readonly MethodInfo _alloc;
        private readonly MethodInfo _free;

        public Counted(bool zones)
        {
            // VMAP_COUNT_DIR: count another build's Vmap.Hal.dll and Vmap.dll instead (an older
            // commit built in a worktree), to compare; the pinned lists then fail and print its counts.
            string? dir = Environment.GetEnvironmentVariable("VMAP_COUNT_DIR");
            Assembly[] counted = IlCounter.LoadCounted(
                dir != null ? Path.Combine(dir, "Vmap.Hal.dll") : typeof(Board).Assembly.Location,
                dir != null ? Path.Combine(dir, "Vmap.dll") : typeof(Allocator).Assembly.Location);
            Assembly hal = counted[0], vmap = counted[1];
            VmapConfig profile = BoardProfile.Load("esp32").ToConfig();
            profile.Zones = zones;
            object config = Activator.CreateInstance(vmap.GetType("Vmap.VmapConfig")!)!;
            foreach (FieldInfo f in typeof(VmapConfig).GetFields(BindingFlags.Public | BindingFlags.Instance))
                config.GetType().GetField(f.Name)?.SetValue(config, f.GetValue(profile)); // an older build may lack a setting
            object New(string type, params object[] args) => Activator.CreateInstance(hal.GetType("Vmap.Hal." + type)!, args)!;
            object board = New("Board", New("TickClock"), New("ThreadCores", profile.Cores), New("TableMmu", profile.SpanPages), New("InlineDrainRequests"));
            _allocator = Activator.CreateInstance(vmap.GetType("Vmap.Allocator")!, board)!;
            object status = _allocator.GetType().GetMethod("Start")!.Invoke(_allocator, [config])!;
            Assert.Equal("Ok", status.ToString());
            _alloc = _allocator.GetType().GetMethod("Alloc", [typeof(ulong), typeof(ulong), typeof(int), typeof(ulong).MakeByRefType()])!;
            _free = _allocator.GetType().GetMethod("Free", [typeof(ulong)])!;
            PageSize = (ulong)profile.PageSize;
        }

        public ulong PageSize { get; }

        public ulong Alloc(int pages)
        {
            object[] args = [(ulong)pages * PageSize, PageSize, 7, 0UL];
            Assert.Equal("Ok", _alloc.Invoke(_allocator, args)!.ToString());
            return (ulong)args[3];
        }

        public void Free(ulong address) => Assert.Equal("Ok", _free.Invoke(_allocator, [address])!.ToString());

        public void Purge() => Assert.Equal("Ok", _allocator.GetType().GetMethod("Purge")!.Invoke(_allocator, null)!.ToString());
    }

    private void Show(string what, IlCounter.Counts c)
    {
        output.WriteLine($"{what}: {c.Instructions} IL instructions, {c.ManagedCalls} managed calls, {c.InterfaceCalls} interface dispatches, {c.RuntimeCalls} runtime calls");
        output.WriteLine("  managed: " + string.Join(", ", c.Managed));
        output.WriteLine("  runtime: " + string.Join(", ", c.Runtime));
        output.WriteLine("  IL by method: " + string.Join(", ", c.InstructionsByMethod.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));
    }

    [Fact]
    public void A_cache_hit_allocation_and_a_plain_free_cost_what_the_readme_says()
    {
        var a = new Counted(zones: true);
        // Three areas of a page freed and purged: the purge hands them to the class's cache, so
        // the measured allocation is a hit that leaves the class non-empty (the common case).
        ulong[] warm = [a.Alloc(1), a.Alloc(1), a.Alloc(1)];
        foreach (ulong w in warm) a.Free(w);
        a.Purge();
        ulong hit = 0;
        IlCounter.Counts alloc = IlCounter.Measure(() => hit = a.Alloc(1));
        IlCounter.Counts free = IlCounter.Measure(() => a.Free(hit));
        Show("cache-hit alloc", alloc);
        Show("plain free", free);

        // Counted at commit b9e1552: the hit 661 IL instructions and 14 managed calls, the free
        // 549 and 13 with 10 runtime calls (CsMeter.Record alone was 188 and 175).
        Assert.Equal(
            ["Allocator.Alloc", "Allocator.AllocValid", "ThreadCores.get_Current", "Allocator.TryAlloc", "ZoneCaches.TryHit", "TickClock.get_Ticks",
             "ZoneCaches.Pop", "Zone.EnterBusyLocked", "BusyList.Add", "TickClock.get_Ticks", "CsMeter.Record", "TableMmu.Map", "Allocator.AddressOf"],
            alloc.Managed);
        Assert.Equal(4, alloc.InterfaceCalls); // the core, the clock twice, the map
        Assert.Equal(
            ["Thread.get_CurrentThread", "Thread.get_ManagedThreadId", "Monitor.Enter", "DateTime.get_UtcNow", "DateTime.get_Ticks", "DateTime.get_UtcNow", "DateTime.get_Ticks", "Monitor.Exit"],
            alloc.Runtime);
        Assert.True(alloc.Instructions <= 520, $"{alloc.Instructions} IL instructions");

        Assert.Equal(
            ["Allocator.Free", "Allocator.FreeValid", "Allocator.UnlinkBusy", "Zone.UnlinkBusy", "TickClock.get_Ticks", "BusyList.Remove",
             "TickClock.get_Ticks", "CsMeter.Record", "TableMmu.Unmap", "LazyPurge.Queue", "Zone.QueueLazy", "Atomic.Push"],
            free.Managed);
        Assert.Equal(3, free.InterfaceCalls); // the clock twice, the unmap
        Assert.Equal(
            ["Monitor.Enter", "DateTime.get_UtcNow", "DateTime.get_Ticks", "DateTime.get_UtcNow", "DateTime.get_Ticks", "Monitor.Exit", "Interlocked.CompareExchange", "Interlocked.Increment"],
            free.Runtime);
        Assert.True(free.Instructions <= 460, $"{free.Instructions} IL instructions");
    }

    /// <summary>
    /// The slow paths a board's longest sections are made of: a carve from the free tree (zones
    /// off, as the single-core boards run) and a purge that merges eight areas with no free
    /// neighbour (each a tree insert with its fix-up). Budgets on calls and IL instructions; at
    /// commit b9e1552 the purge made 207 managed calls.
    /// </summary>
    [Fact]
    public void A_carve_and_a_purge_stay_within_their_budgets()
    {
        var a = new Counted(zones: false);
        a.Alloc(1); // the first section builds nothing, but warm up all the same
        var areas = new List<ulong>();
        IlCounter.Counts carve = IlCounter.Measure(() => areas.Add(a.Alloc(1)));
        Show("carve alloc", carve);
        for (int i = 0; i < 15; i++) areas.Add(a.Alloc(1));
        for (int i = 0; i < areas.Count; i += 2) a.Free(areas[i]);
        IlCounter.Counts purge = IlCounter.Measure(() => a.Purge());
        Show("purge of 8 areas", purge);

        Assert.True(carve.ManagedCalls <= 20 && carve.Instructions <= 820, $"carve: {carve.ManagedCalls} calls, {carve.Instructions} IL instructions");
        Assert.True(purge.ManagedCalls <= 95 && purge.Instructions <= 6200, $"purge: {purge.ManagedCalls} calls, {purge.Instructions} IL instructions");
        Assert.DoesNotContain("AreaPool.IsFree", purge.Managed);
        Assert.DoesNotContain("AreaTree.ParentOf", purge.Managed);
    }
}
