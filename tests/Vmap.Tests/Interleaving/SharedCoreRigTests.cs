using Vmap.Hal.Sim;
using Xunit.Abstractions;

namespace Vmap.Tests.Interleaving;

/// <summary>
/// Regime: several threads per logical core (1, 2 and 4 cores; 2 to 8 threads), random sizes
/// and alignments near a full span. Phases alternate: in an allocation phase every thread only
/// allocates, in a free phase every thread frees half of what it holds (lazily: nothing is
/// purged then). An allocation phase frees nothing, so space only shrinks or comes back from
/// what was already lazy or cached when it began: any request that failed in it and succeeds
/// when retried alone after the phase failed while a hole that fit existed, once purges and
/// drains had run. No such request may exist.
/// </summary>
public sealed class SharedCoreRigTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 2, 11)]
    [InlineData(1, 4, 12)]
    [InlineData(2, 4, 13)]
    [InlineData(2, 8, 14)]
    [InlineData(4, 8, 15)]
    public void No_allocation_fails_while_a_hole_that_fits_exists(int cores, int threads, int seed)
    {
        output.WriteLine($"seed {seed}: {cores} cores, {threads} threads");
        VmapConfig c = Rig.Small(spanPages: 1024, guard: 1, maxAreas: 2048, lazyMaxPages: 32, cores: cores, zones: cores > 1);
        c.SizeClassLimit = 8;
        c.PurgeChunk = 4;
        var rig = new Rig(c);
        var live = new List<int>[threads];
        var failed = new List<(int Pages, int Align, int Core)>[threads];
        for (int t = 0; t < threads; t++)
        {
            live[t] = [];
            failed[t] = [];
        }
        int totalFailures = 0;
        const int Rounds = 25;
        using var phase = new Barrier(threads + 1);
        string? error = null;

        void Worker(int t)
        {
            int core = t % cores;
            rig.Sim.Cores.Bind(core);
            var rng = new Random(seed * 1000 + t);
            for (int round = 0; round < Rounds; round++)
            {
                phase.SignalAndWait(); // allocation phase
                for (int i = 0; i < 30; i++)
                {
                    int pages = 1 + rng.Next(12);
                    int align = rng.Next(4) == 0 ? 1 << rng.Next(1, 4) : 1;
                    Status s = rig.A.AllocPages(pages, align, t, out int page);
                    if (s == Status.Ok) live[t].Add(page);
                    else if (s is Status.NoSpace or Status.NoRecords) failed[t].Add((pages, align, core));
                    else error ??= $"round {round}: alloc {pages} align {align}: {s}";
                }
                phase.SignalAndWait(); // the allocation phase ends: the main thread retries the failures
                phase.SignalAndWait(); // free phase
                for (int i = live[t].Count - 1; i >= 0; i--)
                {
                    if (rng.Next(2) == 0) continue;
                    Status f = rig.A.FreePages(live[t][i]);
                    if (f != Status.Ok) error ??= $"round {round}: free: {f}";
                    live[t].RemoveAt(i);
                }
            }
        }

        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => Worker(t)) { IsBackground = true }).ToArray();
        foreach (Thread w in workers) w.Start();
        var spurious = new List<string>();
        for (int round = 0; round < Rounds; round++)
        {
            phase.SignalAndWait(); // the allocation phase starts
            phase.SignalAndWait(); // it ended: every worker waits, nothing frees
            for (int t = 0; t < threads; t++)
            {
                foreach ((int pages, int align, int core) in failed[t])
                {
                    rig.Sim.Cores.Bind(core);
                    totalFailures++;
                    if (rig.A.AllocPages(pages, align, 0, out int page) != Status.Ok) continue;
                    spurious.Add($"seed {seed} round {round}: {pages} pages align {align} on core {core} failed under load, fits alone");
                    Assert.Equal(Status.Ok, rig.A.FreePages(page));
                }
                failed[t].Clear();
            }
            rig.Sim.Cores.Bind(0);
            rig.Check($"seed {seed} after round {round}");
            phase.SignalAndWait(); // the free phase starts
        }
        foreach (Thread w in workers) Assert.True(w.Join(TimeSpan.FromMinutes(2)), "a worker hung");
        Assert.Null(error);
        output.WriteLine($"{totalFailures} allocations failed under load, {spurious.Count} of them spurious");
        Assert.True(spurious.Count == 0, string.Join("\n", spurious.Take(10)));
        Assert.True(totalFailures > 0, "the span never filled: the rig tested nothing near full");
        rig.Check();
    }
}
