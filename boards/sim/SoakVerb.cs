using System.CommandLine;
using Vmap.Sim.Bench;
using Vmap.Sim.Soak;

namespace Vmap.Sim;

/// <summary><c>soak</c>: many cores, every operation, invariant checks at quiescent points; Ctrl-C stops with the summary and exit 130.</summary>
public static class SoakVerb
{
    public static Command Build(TextWriter output)
    {
        var cores = new Option<int>("--cores") { Description = "Logical cores, one thread each", DefaultValueFactory = _ => 4 };
        var seconds = new Option<double>("--seconds") { Description = "How long to run", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var faults = new Option<bool>("--faults") { Description = "Inject faults: pool exhaustion, failing flushes, unanswered drains, a jumping clock" };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object" };
        var cmd = new Command("soak", "Run random operation mixes on many cores and check every invariant every 10 000 operations");
        foreach (Option o in new Option[] { cores, seconds, seed, faults, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            int n = r.GetValue(cores);
            if (n is < 1 or > 32) throw new UsageException($"option --cores: {n} is out of range 1..32");
            double s = r.GetValue(seconds);
            if (!(s > 0) || s > 7 * 24 * 3600) throw new UsageException($"option --seconds: {s} is out of range (0, 604800]");
            using var interrupt = new Interrupt();
            TextWriter error = r.InvocationConfiguration.Error;
            var soak = new SoakRun(new SoakRun.Options(n, s, r.GetValue(seed), r.GetValue(faults)));
            bool quiet = r.GetValue(json);
            error.WriteLine($"soak: {n} cores for {s} s; Ctrl-C stops at the next check with the summary");
            SoakRun.Result res = soak.Run(interrupt.Token, quiet ? null : p =>
                error.WriteLine($"soak: {p.Seconds,6:F1} s, {p.Operations,12:N0} operations, {p.Checks,6:N0} checks, {p.Violations.Count} violations"));
            Print(output, res, quiet);
            if (interrupt.Requested)
            {
                error.WriteLine("soak: interrupted");
                return Interrupt.ExitCode;
            }
            return res.Violations.Count == 0 ? 0 : 1;
        });
        return cmd;
    }

    private static void Print(TextWriter output, SoakRun.Result r, bool json)
    {
        Stats s = r.Stats;
        if (json)
        {
            Measure.WriteJson(output, new Dictionary<string, object>
            {
                ["scenario"] = "soak", ["cores"] = r.Cores, ["seed"] = r.Seed, ["faults"] = r.Faults, ["seconds"] = Measure.R(r.Seconds, 1),
                ["operations"] = r.Operations, ["checks"] = r.Checks, ["violations"] = r.Violations.Count,
                ["allocs"] = s.Allocs, ["frees"] = s.Frees, ["purges"] = s.Purges, ["drains"] = s.Drains,
                ["fail_no_space"] = s.FailNoSpace, ["fail_no_records"] = s.FailNoRecords, ["fail_drain_timeout"] = s.FailDrainTimeout,
                ["fail_flush"] = s.FailFlush, ["refused_bad_input"] = s.FailInvalid + s.FailNotAnArea,
                ["faults_injected"] = r.FaultsInjected, ["flush_faults"] = r.FlushFaults, ["pool_faults"] = s.InjectedPoolFaults, ["clock_jumps"] = r.ClockJumps,
                ["max_cs_us"] = Measure.R(s.AllLocks.MaxMicros),
            });
        }
        else
        {
            output.WriteLine($"soak: {r.Cores} cores, seed {r.Seed}, faults {(r.Faults ? "on" : "off")}, {r.Seconds:F1} s");
            output.WriteLine($"  operations {r.Operations:N0}, invariant checks {r.Checks:N0}, violations {r.Violations.Count}");
            output.WriteLine($"  allocs {s.Allocs:N0}, frees {s.Frees:N0}, purges {s.Purges:N0}, drains {s.Drains:N0} (requests sent {s.DrainRequestsSent:N0}, saved {s.DrainRequestsSaved:N0})");
            output.WriteLine($"  failures: no space {s.FailNoSpace:N0}, no records {s.FailNoRecords:N0}, drain timeout {s.FailDrainTimeout:N0}, flush failed {s.FailFlush:N0}; bad input refused {s.FailInvalid + s.FailNotAnArea:N0}");
            if (r.Faults) output.WriteLine($"  faults injected {r.FaultsInjected:N0}: flushes failed {r.FlushFaults:N0}, pool takes refused {s.InjectedPoolFaults:N0}, clock jumps {r.ClockJumps:N0}");
            output.WriteLine($"  longest critical section {s.AllLocks.MaxMicros:F1} us (host threads can be preempted inside a section){(s.AllLocks.ClockAnomalies > 0 ? $", {s.AllLocks.ClockAnomalies} measured negative (clock jumps)" : "")}");
            foreach (string v in r.Violations.Take(20)) output.WriteLine("  VIOLATION " + v);
        }
    }
}
