using Vmap.Sim.Bench;
using Vmap.Sim.Boards;
using Vmap.Tests.Runner;
using Xunit.Abstractions;

namespace Vmap.Tests.Interpreter;

/// <summary>
/// Regime: what single operations cost the nanoFramework interpreter, counted on the firmware as
/// a board runs it (<see cref="InterpBench"/>, <see cref="IlCounter"/>): the esp32 profile on the
/// device HAL. The counts are exact, so the calls of the hot paths are pinned (a change that adds
/// a call, an interface dispatch or a runtime call to them fails here) and every IL count keeps
/// within a budget. At commit b9e1552 the four operations took 653, 541, 942 and 6,639 IL
/// instructions, and the purge 200 managed calls.
/// </summary>
public sealed class InterpreterCostTests(ITestOutputHelper output)
{
    private static readonly Lazy<List<InterpBench.Operation>> s_esp32 = new(() => InterpBench.Run(BoardProfile.Load("esp32")));

    private IlCounter.Counts Op(string prefix)
    {
        InterpBench.Operation op = s_esp32.Value.Single(o => o.Name.StartsWith(prefix, StringComparison.Ordinal));
        IlCounter.Counts c = op.Counts;
        output.WriteLine($"{op.Name}: {c.Instructions} IL instructions, {c.ManagedCalls} managed calls, {c.InterfaceCalls} interface dispatches, {c.RuntimeCalls} runtime calls");
        output.WriteLine("  managed: " + string.Join(", ", c.Managed));
        output.WriteLine("  runtime: " + string.Join(", ", c.Runtime));
        output.WriteLine("  IL by method: " + string.Join(", ", c.InstructionsByMethod.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));
        return c;
    }

    [Fact]
    public void A_cache_hit_allocation_makes_the_calls_the_readme_lists()
    {
        IlCounter.Counts alloc = Op("cache-hit alloc");
        Assert.Equal(
            ["Allocator.Alloc", "Allocator.AllocValid", "ThreadCores.get_Current", "Allocator.TryAlloc", "ZoneCaches.TryHit",
             "ZoneCaches.Pop", "Zone.EnterBusyLocked", "BusyList.Add", "CsMeter.Record", "TableMmu.Map", "Allocator.AddressOf"],
            alloc.Managed);
        Assert.Equal(4, alloc.InterfaceCalls); // the core, the clock twice, the map
        Assert.Equal(["Thread.get_CurrentThread", "Thread.get_ManagedThreadId", "Monitor.Enter", "Monitor.Exit"], alloc.Runtime);
        Assert.True(alloc.Instructions <= 515, $"{alloc.Instructions} IL instructions");
    }

    [Fact]
    public void A_plain_free_makes_the_calls_the_readme_lists()
    {
        IlCounter.Counts free = Op("plain free");
        Assert.Equal(
            ["Allocator.Free", "Allocator.FreeValid", "Allocator.UnlinkBusy", "Zone.UnlinkBusy", "BusyList.Remove",
             "CsMeter.Record", "TableMmu.Unmap", "LazyPurge.Queue", "Zone.QueueLazy", "Atomic.Push"],
            free.Managed);
        Assert.Equal(3, free.InterfaceCalls); // the clock twice, the unmap
        Assert.Equal(["Monitor.Enter", "Monitor.Exit", "Interlocked.CompareExchange", "Interlocked.Increment"], free.Runtime);
        Assert.True(free.Instructions <= 455, $"{free.Instructions} IL instructions");
    }

    /// <summary>The slow paths a board's longest sections are made of stay within budgets: a carve from the free tree and a purge whose areas each become a block of their own.</summary>
    [Fact]
    public void A_carve_and_a_purge_stay_within_their_budgets()
    {
        IlCounter.Counts carve = Op("carve alloc");
        IlCounter.Counts purge = Op("purge of 8 areas");
        Assert.True(carve.ManagedCalls <= 17 && carve.Instructions <= 800, $"carve: {carve.ManagedCalls} calls, {carve.Instructions} IL instructions");
        Assert.True(purge.ManagedCalls <= 80 && purge.Instructions <= 6100, $"purge: {purge.ManagedCalls} calls, {purge.Instructions} IL instructions");
        Assert.DoesNotContain("AreaPool.IsFree", purge.Managed);
        Assert.DoesNotContain("AreaTree.ParentOf", purge.Managed);
    }

    /// <summary>The counts are the same on every run: they depend on the build, not on the host.</summary>
    [Fact]
    public void The_counts_are_deterministic_and_the_verb_prints_them()
    {
        var again = InterpBench.Run(BoardProfile.Load("esp32"));
        Assert.Equal(s_esp32.Value.Select(o => (o.Name, o.Counts.Instructions, o.Counts.ManagedCalls)), again.Select(o => (o.Name, o.Counts.Instructions, o.Counts.ManagedCalls)));
        var (exit, text, err) = RunnerCli.Run("bench", "interp", "--board", "esp32c3");
        Assert.True(exit == 0, err);
        Assert.Contains("carve alloc (1 page, zones off):", text);
        Assert.Contains("plain free (zones off):", text); // one core: no zones, no cache hit
        Assert.DoesNotContain("cache-hit", text);
        var (bad, _, badErr) = RunnerCli.Run("bench", "interp", "--count-dir", "/nonexistent");
        Assert.Equal(2, bad);
        Assert.Contains("--count-dir", badErr);
    }
}
