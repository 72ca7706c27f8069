using System.CommandLine;
using Spectre.Console;
using Vmap.Sim.Bench;
using Vmap.Sim.Boards;
using Vmap.Sim.Trace;

namespace Vmap.Sim;

/// <summary>
/// The simulated board's command line. Every verb has --help; bad input is one line on
/// stderr and exit code 2 (1 where a contract says so), never a stack trace.
/// </summary>
public static class Cli
{
    /// <summary>Runs the command line and returns the exit code.</summary>
    public static int Run(string[] args) => Run(args, System.Console.Out, System.Console.Error);

    /// <summary>Runs the command line with <paramref name="input"/> as the standard input that <c>-</c> names (tests call this).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, TextReader input)
    {
        InputText.StandardInput = input;
        return Run(args, output, error);
    }

    /// <summary>Runs the command line against the given writers (tests call this directly).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        RootCommand root = Build(output, error);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            // One line, as every other error: all the parser's complaints, in order.
            error.WriteLine(string.Join("; ", parsed.Errors.Select(e => e.Message.Trim().TrimEnd('.'))));
            return 2;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is UsageException or TraceException or ProfileException or Report.LogException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine(e.Message);
            return 2;
        }
    }

    private static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Vmap on the simulated board: the vmalloc address-space allocator for nanoFramework boards.");
        root.Subcommands.Add(RunVerb.Build(output));
        root.Subcommands.Add(ReportVerb.Build(output));
        root.Subcommands.Add(TuneVerb.Build(output));
        root.Subcommands.Add(SoakVerb.Build(output));
        root.Subcommands.Add(BuildReplay(output, error));
        root.Subcommands.Add(BuildVmallocInfo(output, error));
        root.Subcommands.Add(BuildGenTrace(output));
        root.Subcommands.Add(BuildBench(output));
        return root;
    }

    private static Command BuildReplay(TextWriter output, TextWriter error)
    {
        var trace = new Argument<string>("TRACE") { Description = "Operation trace: 'alloc <id> <bytes> [<align>]', 'free <id>', 'purge' ('-' reads standard input)" };
        var span = new SpanOptions();
        var cmd = new Command("replay", "Run an operation trace deterministically on one core (exit 0; 1 after a bad free; 2 for a malformed trace)");
        cmd.Arguments.Add(trace);
        span.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var (config, t) = ReadTrace(r, span, trace, error);
            var buffered = new StreamWriter(System.Console.OpenStandardOutput(), bufferSize: 1 << 16) { AutoFlush = false };
            TextWriter target = ReferenceEquals(output, System.Console.Out) ? buffered : output;
            int exit = new Replay(config, target, error).Run(t);
            target.Flush();
            return exit;
        });
        return cmd;
    }

    /// <summary>The settings and the parsed trace of replay and vmallocinfo; warns when the trace names another board.</summary>
    private static (VmapConfig, Trace.Trace) ReadTrace(ParseResult r, SpanOptions span, Argument<string> trace, TextWriter error)
    {
        var (config, profile) = span.Resolve(r);
        Trace.Trace t = TraceParser.Parse(InputText.Read(r.GetValue(trace)!, "trace"), config.SpanSize, config.PageSize);
        if (t.Board != null && t.Board != profile.Name)
            error.WriteLine($"warning: the trace was made for board '{t.Board}', replayed with board '{profile.Name}'");
        return (config, t);
    }

    private static Command BuildVmallocInfo(TextWriter output, TextWriter error)
    {
        var trace = new Argument<string>("TRACE") { Description = "The workload: an operation trace ('-' reads standard input)" };
        var span = new SpanOptions();
        var cmd = new Command("vmallocinfo", "Replay a trace quietly, then print the allocator's listing of the areas still allocated, as /proc/vmallocinfo does: " +
            "'0x<start>-0x<end> <bytes> pages=<n> core=<c> tag=<id>' (exit 1 after a bad free, 2 for a malformed trace)");
        cmd.Arguments.Add(trace);
        span.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var (config, t) = ReadTrace(r, span, trace, error);
            string listing = "";
            int exit = new Replay(config, TextWriter.Null, error) { Finished = a => listing = a.VmallocInfo() }.Run(t);
            output.Write(listing);
            return exit;
        });
        return cmd;
    }

    private static Command BuildGenTrace(TextWriter output)
    {
        var ops = new Option<int>("--ops") { Description = "Operations to write", DefaultValueFactory = _ => 1_000_000 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var file = new Option<string>("--out") { Description = "Where to write the trace", Required = true };
        var board = new Option<string>("--board") { Description = "Board (name or .board path) whose page size and span shape the trace; the trace names it", DefaultValueFactory = _ => "sim" };
        var cmd = new Command("gen-trace", "Write the benchmark trace: sizes 1-256 pages (at most a sixteenth of the span), 30 % aligned, live set up to half the span");
        cmd.Options.Add(ops);
        cmd.Options.Add(seed);
        cmd.Options.Add(file);
        cmd.Options.Add(board);
        cmd.SetAction(r =>
        {
            BoardProfile p = LoadBoard(r.GetValue(board)!);
            int n = r.GetValue(ops);
            if (n < 1) throw new UsageException("option --ops: must be at least 1");
            string path = OutputFile.Check(r.GetValue(file)!, "--out");
            File.WriteAllText(path, TraceGenerator.Generate(n, r.GetValue(seed), p.PageSize, p.SpanSize, p.Name));
            output.WriteLine($"wrote {n} operations for board {p.Name} to {path}");
            return 0;
        });
        return cmd;
    }

    private static Command BuildBench(TextWriter output)
    {
        var bench = new Command("bench", "Performance comparisons, each measured within one run");
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var runs = new Option<int>("--runs") { Description = "Timed repetitions after a warm-up (the best is reported)", DefaultValueFactory = _ => 5 };

        var traceFile = new Option<string>("--trace") { Description = "The trace to time ('-' reads standard input)", Required = true };
        var span = new SpanOptions();
        var breakdown = new Option<bool>("--breakdown") { Description = "Also time the trace without the clock's reads, without the shadow MMU, and without both (in the same run)" };
        var trace = new Command("trace", "Time a trace's operations: ns per operation, counts, managed bytes allocated");
        trace.Options.Add(traceFile);
        trace.Options.Add(json);
        trace.Options.Add(runs);
        trace.Options.Add(breakdown);
        span.AddTo(trace);
        trace.SetAction(r =>
        {
            var (config, _) = span.Resolve(r);
            Trace.Trace t = TraceParser.Parse(InputText.Read(r.GetValue(traceFile)!, "trace"), config.SpanSize, config.PageSize);
            int n = Math.Max(1, r.GetValue(runs));
            TraceBench.Result res = TraceBench.Run(t, config, n);
            TraceBench.Breakdown? parts = r.GetValue(breakdown) ? TraceBench.RunBreakdown(t, config, n) : null;
            if (r.GetValue(json))
            {
                var fields = new Dictionary<string, object>
                {
                    ["scenario"] = "trace", ["ops"] = res.Ops, ["ns_per_op"] = Measure.R(res.NsPerOp), ["allocs"] = res.Allocs,
                    ["frees"] = res.Frees, ["enomem"] = res.Enomem, ["allocated_bytes"] = res.AllocatedBytes,
                };
                if (parts != null)
                {
                    fields["breakdown_ns_per_op"] = new Dictionary<string, double>
                    {
                        ["full"] = Measure.R(parts.Full), ["no_clock"] = Measure.R(parts.NoClock),
                        ["no_mmu"] = Measure.R(parts.NoMmu), ["bare"] = Measure.R(parts.Bare),
                    };
                }
                Measure.WriteJson(output, fields);
            }
            else
            {
                output.WriteLine($"trace: {res.Ops} ops, {res.NsPerOp:F1} ns/op (best of {n}), allocs {res.Allocs}, frees {res.Frees}, enomem {res.Enomem}, purges {res.Purges}, longest critical section {res.MaxCsMicros:F2} us, managed bytes allocated {res.AllocatedBytes}");
                if (parts != null)
                {
                    output.WriteLine($"breakdown (ns/op, best of {n} each, interleaved): sim board {parts.Full:F1}; clock reading 0 {parts.NoClock:F1}; no shadow MMU {parts.NoMmu:F1}; neither (the allocator alone) {parts.Bare:F1}");
                    output.WriteLine($"  per operation: section timing {parts.Full - parts.NoClock:F1} ns, shadow MMU {parts.Full - parts.NoMmu:F1} ns, both {parts.Full - parts.Bare:F1} ns");
                }
            }
            return 0;
        });
        bench.Subcommands.Add(trace);

        var iterations = new Option<int>("--iterations") { Description = "Loop iterations (4 operations each)", DefaultValueFactory = _ => 200_000 };
        var busy = new Command("busy-list", "long_busy_list of lib/test_vmalloc.c: the loop with 15 000 busy areas against the loop with none");
        busy.Options.Add(json);
        busy.Options.Add(runs);
        busy.Options.Add(iterations);
        busy.SetAction(r =>
        {
            VmapConfig config = LoadBoard("sim").ToConfig();
            config.Cores = 1;
            BusyListBench.Result res = BusyListBench.Run(config, Math.Max(1, r.GetValue(iterations)), Math.Max(1, r.GetValue(runs)));
            if (r.GetValue(json))
            {
                Measure.WriteJson(output, new Dictionary<string, object>
                {
                    ["scenario"] = "busy-list", ["ns_per_op_empty"] = Measure.R(res.NsPerOpEmpty), ["ns_per_op_busy"] = Measure.R(res.NsPerOpBusy), ["ratio"] = Measure.R(res.Ratio, 3),
                });
            }
            else
            {
                output.WriteLine($"busy-list: {res.NsPerOpEmpty:F1} ns/op with no busy areas, {res.NsPerOpBusy:F1} ns/op with {BusyListBench.BusyAreas}, ratio {res.Ratio:F3}");
            }
            return 0;
        });
        bench.Subcommands.Add(busy);

        var purge = new Command("purge", "Longest critical section of a 24 576-page purge, chunked against unbounded, in modeled board time (the sim profile's cost model) and host time");
        var backlog = new Option<int>("--backlog") { Description = "Lazy backlog in pages (the unbounded purge's section grows with it, a chunk's does not)", DefaultValueFactory = _ => PurgeBench.BacklogPages };
        purge.Options.Add(json);
        purge.Options.Add(runs);
        purge.Options.Add(backlog);
        purge.SetAction(r =>
        {
            BoardProfile sim = LoadBoard("sim");
            int pages = r.GetValue(backlog);
            if (pages < 16 || pages > 65_536) throw new UsageException($"option --backlog: {pages} is out of range 16..65536");
            PurgeBench.Result res = PurgeBench.Run(sim.ToConfig(), sim.Cost, Math.Max(1, r.GetValue(runs)), pages);
            if (r.GetValue(json))
            {
                Measure.WriteJson(output, new Dictionary<string, object>
                {
                    ["scenario"] = "purge", ["backlog_pages"] = res.BacklogPages, ["bounded_max_cs_us"] = Measure.R(res.BoundedMaxCsMicros),
                    ["unbounded_max_cs_us"] = Measure.R(res.UnboundedMaxCsMicros), ["ratio"] = Measure.R(res.Ratio, 1), ["flushes"] = res.Flushes,
                    ["bounded_max_units"] = res.BoundedMaxUnits, ["unbounded_max_units"] = res.UnboundedMaxUnits,
                    ["bounded_max_board_us"] = Measure.R(res.BoundedMaxBoardMicros), ["unbounded_max_board_us"] = Measure.R(res.UnboundedMaxBoardMicros),
                    ["board_ratio"] = Measure.R(res.BoardRatio, 1),
                });
            }
            else
            {
                output.WriteLine($"purge: backlog {res.BacklogPages} pages in {res.BacklogAreas} areas; longest critical section in modeled board time " +
                    $"{res.BoundedMaxBoardMicros:F1} us ({res.BoundedMaxUnits} units) with purge_chunk {res.Chunk}, {res.UnboundedMaxBoardMicros:F1} us ({res.UnboundedMaxUnits} units) unbounded; ratio {res.BoardRatio:F1}");
                output.WriteLine($"  host time (best of {r.GetValue(runs)}): {res.BoundedMaxCsMicros:F2} us with purge_chunk {res.Chunk}, {res.UnboundedMaxCsMicros:F2} us unbounded; ratio {res.Ratio:F1}; flushes per purge {res.Flushes}");
            }
            return 0;
        });
        bench.Subcommands.Add(purge);

        var contention = new Command("contention", "fix_size and random_size of lib/test_vmalloc.c on 1, 2, 4 and 8 threads, zones off and on");
        contention.Options.Add(json);
        contention.Options.Add(runs);
        var contentionIterations = new Option<int>("--iterations") { Description = "Iterations per thread (each: 2 allocs and 2 frees)", DefaultValueFactory = _ => 20_000 };
        contention.Options.Add(contentionIterations);
        var floor = new Option<bool>("--floor") { Description = "Also time an allocator per thread, sharing nothing: what the host itself loses from 1 to N threads" };
        contention.Options.Add(floor);
        contention.SetAction(r =>
        {
            VmapConfig config = LoadBoard("sim").ToConfig();
            ContentionBench.Result res = ContentionBench.Run(config, Math.Max(1, r.GetValue(contentionIterations)), Math.Max(1, r.GetValue(runs)), r.GetValue(floor));
            double[]? separate = res.SeparateNsPerOp;
            if (r.GetValue(json))
            {
                var fields = new Dictionary<string, object>
                {
                    ["scenario"] = "contention", ["threads"] = res.Threads,
                    ["global_ns_per_op"] = res.GlobalNsPerOp.Select(v => Measure.R(v, 1)).ToArray(),
                    ["zones_ns_per_op"] = res.ZonesNsPerOp.Select(v => Measure.R(v, 1)).ToArray(),
                };
                if (separate != null) fields["separate_ns_per_op"] = separate.Select(v => Measure.R(v, 1)).ToArray();
                Measure.WriteJson(output, fields);
            }
            else
            {
                output.WriteLine($"contention (ns per operation, each thread's time over its operations, best of {r.GetValue(runs)} after {res.WarmupRounds} warm-up rounds):");
                for (int i = 0; i < res.Threads.Length; i++)
                {
                    string line = $"  {res.Threads[i]} threads: global lock {res.GlobalNsPerOp[i],8:F1}   zones {res.ZonesNsPerOp[i],8:F1}   ({res.GlobalNsPerOp[i] / res.ZonesNsPerOp[i]:F2}x)";
                    if (separate != null) line += $"   an allocator per thread {separate[i],8:F1}";
                    output.WriteLine(line);
                }
                output.WriteLine($"  zones, 2 threads / 1 thread: {res.ZonesNsPerOp[1] / res.ZonesNsPerOp[0]:F2}");
                if (separate != null)
                {
                    output.WriteLine($"  an allocator per thread (nothing shared), 2 threads / 1 thread: {separate[1] / separate[0]:F2}");
                    output.WriteLine($"  zones / an allocator per thread, 2 threads: {res.ZonesNsPerOp[1] / separate[1]:F2}");
                }
            }
            return 0;
        });
        bench.Subcommands.Add(contention);

        var drain = new Command("drain", "8 cores, a small span that runs out again and again, a few cores allocating at a time: drain requests sent and saved");
        drain.Options.Add(json);
        var phases = new Option<int>("--phases") { Description = "Phases (the active cores change every phase)", DefaultValueFactory = _ => 64 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        drain.Options.Add(phases);
        drain.Options.Add(seed);
        drain.SetAction(r =>
        {
            VmapConfig config = LoadBoard("sim").ToConfig();
            DrainBench.Result res = DrainBench.Run(config, Math.Max(1, r.GetValue(phases)), r.GetValue(seed));
            if (r.GetValue(json))
            {
                Measure.WriteJson(output, new Dictionary<string, object>
                {
                    ["scenario"] = "drain", ["cores"] = DrainBench.Cores, ["drains"] = res.Drains, ["requests_sent"] = res.RequestsSent,
                    ["requests_saved"] = res.RequestsSaved, ["saved_pct"] = Measure.R(res.SavedPct, 1), ["spurious_enomem"] = res.SpuriousEnomem,
                });
            }
            else
            {
                output.WriteLine($"drain: {DrainBench.Cores} cores, {res.Phases} phases, {res.Failures} allocations failed (span full), {res.Drains} drains; requests sent {res.RequestsSent}, saved {res.RequestsSaved} ({res.SavedPct:F1} %); spurious ENOMEM {res.SpuriousEnomem}");
            }
            return 0;
        });
        bench.Subcommands.Add(drain);

        var interp = new Command("interp", "What single operations cost the nanoFramework interpreter on a board's firmware (IL instructions, managed calls, interface dispatches, runtime calls), counted exactly: the same on any host");
        var interpBoard = new Option<string>("--board") { Description = "Board profile (name or .board path)", DefaultValueFactory = _ => "esp32" };
        var countDir = new Option<string?>("--count-dir") { Description = "Count the Vmap.Hal.dll and Vmap.dll in this directory instead of this build's (an older commit built in a worktree, to compare)" };
        var detail = new Option<bool>("--detail") { Description = "Also list each operation's managed and runtime calls in order" };
        interp.Options.Add(interpBoard);
        interp.Options.Add(countDir);
        interp.Options.Add(detail);
        interp.Options.Add(json);
        interp.SetAction(r =>
        {
            BoardProfile profile = LoadBoard(r.GetValue(interpBoard)!);
            string? dir = r.GetValue(countDir);
            if (dir != null && !(File.Exists(Path.Combine(dir, "Vmap.dll")) && File.Exists(Path.Combine(dir, "Vmap.Hal.dll"))))
                throw new UsageException($"option --count-dir: {dir} holds no Vmap.dll and Vmap.Hal.dll");
            List<InterpBench.Operation> ops = InterpBench.Run(profile, dir);
            if (r.GetValue(json))
            {
                Measure.WriteJson(output, new Dictionary<string, object>
                {
                    ["scenario"] = "interp", ["board"] = profile.Name,
                    ["operations"] = ops.Select(o => new Dictionary<string, object>
                    {
                        ["operation"] = o.Name, ["il_instructions"] = o.Counts.Instructions, ["managed_calls"] = o.Counts.ManagedCalls,
                        ["interface_dispatches"] = o.Counts.InterfaceCalls, ["runtime_calls"] = o.Counts.RuntimeCalls,
                        ["managed"] = o.Counts.Managed, ["runtime"] = o.Counts.Runtime,
                    }).ToArray(),
                });
                return 0;
            }
            output.WriteLine($"interp: board {profile.Name}, the firmware on the device HAL, counted per operation:");
            foreach (InterpBench.Operation o in ops)
            {
                IlCounter.Counts c = o.Counts;
                output.WriteLine($"  {o.Name}: {c.Instructions:N0} IL instructions, {c.ManagedCalls} managed calls, {c.InterfaceCalls} interface dispatches, {c.RuntimeCalls} runtime calls");
                if (!r.GetValue(detail)) continue;
                output.WriteLine("    managed: " + string.Join(", ", c.Managed));
                output.WriteLine("    runtime: " + string.Join(", ", c.Runtime));
            }
            return 0;
        });
        bench.Subcommands.Add(interp);
        return bench;
    }

    /// <summary>
    /// A Spectre console on <paramref name="output"/>: colours and live progress only on a real
    /// terminal; box-drawing borders only on a terminal whose locale is UTF-8 and whose TERM is not
    /// dumb (LANG=C, TERM=dumb, files and pipes get ASCII); 132 columns for files and pipes.
    /// </summary>
    internal static IAnsiConsole Console(TextWriter output)
    {
        bool terminal = IsTerminal(output);
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal) console.Profile.Width = 132; // files and pipes: wide enough for the results table
        console.Profile.Capabilities.Unicode = terminal && UnicodeTerminal();
        return console;
    }

    /// <summary>True when <paramref name="w"/> is this process's standard output or error and that is a terminal.</summary>
    internal static bool IsTerminal(TextWriter w) =>
        (ReferenceEquals(w, System.Console.Out) && !System.Console.IsOutputRedirected)
        || (ReferenceEquals(w, System.Console.Error) && !System.Console.IsErrorRedirected);

    /// <summary>False for TERM=dumb and for a locale that is not UTF-8 (LC_ALL, else LC_CTYPE, else LANG; unset or C is not).</summary>
    internal static bool UnicodeTerminal()
    {
        if (Environment.GetEnvironmentVariable("TERM") == "dumb") return false;
        if (OperatingSystem.IsWindows()) return true;
        string? locale = new[] { "LC_ALL", "LC_CTYPE", "LANG" }.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        return locale != null && (locale.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) || locale.Contains("utf8", StringComparison.OrdinalIgnoreCase));
    }

    internal static BoardProfile LoadBoard(string name)
    {
        try
        {
            return BoardProfile.Load(name);
        }
        catch (ProfileException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
