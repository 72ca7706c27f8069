using nanoFramework.TestFramework;
using Vmap;
using Vmap.Hal;
using Vmap.Suite;

namespace NFUnitTest;

/// <summary>
/// Runs every portable scenario of the latency suite on the board, on a small allocator:
/// 4 KiB pages, a 256-page span at 0x20000000, 1024 records, one guard page, one core.
/// Each scenario frees every area it allocated (a failed allocation is counted, not freed),
/// and the suite runs the invariant checker after it; the scenario's results line is printed
/// in the firmware's log format (<see cref="SuiteLog"/>).
/// </summary>
[TestClass]
public class LatencySuiteTests
{
    private const int Pages = 256;
    private const int Ops = 200;
    private const int Seed = 1;
    private const int LiveCapacity = 256;

    // Static: one allocator for the class, whether the launcher makes one instance or many.
    private static Allocator s_allocator;
    private static TableMmu s_mmu;
    private static LatencySuite s_suite;
    private static SuiteLog s_log;

    [Setup]
    public void StartAllocator()
    {
        var config = new VmapConfig();
        config.PageSize = 4096;
        config.SpanStart = 0x20000000;
        config.SpanSize = Pages * 4096UL;
        config.MaxAreas = 1024;
        config.GuardPages = 1;
        config.Cores = 1;

        var clock = new TickClock();
        s_mmu = new TableMmu(Pages);
        s_allocator = new Allocator(new Board(clock, new ThreadCores(1), s_mmu, new InlineDrainRequests()));
        Status s = s_allocator.Start(config);
        Assert.AreEqual((int)Status.Ok, (int)s, "Start: " + StatusText.Describe(s) + " " + s_allocator.ConfigProblem);
        s_suite = new LatencySuite(s_allocator, clock, LiveCapacity);
        s_log = new SuiteLog(new OutputSink());
    }

    [TestMethod]
    public void EveryScenarioIsListedAndFound()
    {
        Scenario[] all = LatencySuite.All();
        Assert.AreEqual(8, all.Length, "portable scenarios");
        for (int i = 0; i < all.Length; i++)
        {
            Assert.IsNotNull(LatencySuite.Find(all[i].Name), "Find(" + all[i].Name + ")");
        }
        Assert.IsNull(LatencySuite.Find("no_such_scenario"), "Find of an unknown name");
    }

    [TestMethod]
    public void FixSizeRunsClean()
    {
        RunScenario("fix_size");
    }

    [TestMethod]
    public void FullFitRunsClean()
    {
        RunScenario("full_fit");
    }

    [TestMethod]
    public void LongBusyListRunsClean()
    {
        RunScenario("long_busy_list");
    }

    [TestMethod]
    public void RandomSizeRunsClean()
    {
        RunScenario("random_size");
    }

    [TestMethod]
    public void FixAlignRunsClean()
    {
        RunScenario("fix_align");
    }

    [TestMethod]
    public void RandomSizeAlignRunsClean()
    {
        RunScenario("random_size_align");
    }

    [TestMethod]
    public void PurgeBacklogRunsClean()
    {
        RunScenario("purge_backlog");
    }

    [TestMethod]
    public void SoakRunsClean()
    {
        RunScenario("soak");
    }

    [Cleanup]
    public void CheckAllocatorIsEmpty()
    {
        var stats = new Stats();
        s_allocator.GetStats(stats);
        Assert.AreEqual(0, stats.LiveAreas, "live areas after the suite");
        Assert.AreEqual(0, s_mmu.Violations, "MMU contract violations");
        Assert.IsNull(s_allocator.Validate(), "invariants after the suite");
    }

    /// <summary>Runs one scenario; the suite purges before and after it and validates the allocator.</summary>
    private static void RunScenario(string name)
    {
        Scenario scenario = LatencySuite.Find(name);
        Assert.IsNotNull(scenario, "no scenario named " + name);

        ScenarioResult r = s_suite.Run(scenario, Ops, Seed);
        s_log.Scenario(r);

        Assert.IsNull(r.Problem, name + ": invariant check: " + r.Problem);
        Assert.IsTrue(r.Allocs > 0, name + ": no allocation succeeded");
        Assert.AreEqual(r.Allocs, r.Frees, name + ": every area allocated is freed");
        Assert.AreEqual(r.Ops, r.Allocs + r.Failures + r.Frees, name + ": operations = allocations tried + frees");

        var stats = new Stats();
        s_allocator.GetStats(stats);
        Assert.AreEqual(0, stats.LiveAreas, name + ": live areas left");
        Assert.AreEqual(0, stats.LazyPages, name + ": lazy pages left after the closing purge");
        Assert.AreEqual(0, s_mmu.Violations, name + ": MMU contract violations");
    }

    /// <summary>Prints the suite's lines into the test output.</summary>
    private sealed class OutputSink : ILineSink
    {
        public void WriteLine(string line)
        {
            OutputHelper.WriteLine(line);
        }
    }
}
