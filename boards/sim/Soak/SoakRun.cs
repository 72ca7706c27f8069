using System.Collections.Concurrent;
using System.Diagnostics;
using Vmap.Hal.Sim;

namespace Vmap.Sim.Soak;

/// <summary>
/// The soak: N logical cores (one thread each) run random mixes of every operation on one
/// allocator with zones on: all sizes and alignments, frees of other cores' areas, purges and
/// drains on demand, LazyMaxPages and PurgeChunk changed at random moments, bad input that must
/// be refused, and (with faults on) pool exhaustion, failing flushes, unanswered drain requests
/// and a jumping clock. Every 10 000 operations all cores meet at a barrier (a quiescent point)
/// and the checks run: the allocator's invariant checker, the shadow MMU against the live set
/// (mapped pages = live pages, stale pages no more than lazy pages), and the counters against
/// what the cores hold. At the end everything is freed and the span must be one free block.
/// </summary>
public sealed class SoakRun
{
    public const int CheckEvery = 10_000;

    public sealed record Options(int Cores, double Seconds, int Seed, bool Faults, long MaxOperations = long.MaxValue);

    public sealed record Result(
        long Operations, int Checks, IReadOnlyList<string> Violations, double Seconds, Stats Stats,
        long BadInputsRefused, long FaultsInjected, long FlushFaults, long ClockJumps, int Cores, int Seed, bool Faults);

    private readonly Options _o;
    private readonly VmapConfig _config;
    private readonly SimBoard _sim;
    private readonly Allocator _a;
    private readonly Worker[] _workers;
    private readonly ConcurrentQueue<(int Page, int Pages)> _handoff = new();
    private readonly List<string> _violations = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _operations;
    private int _checks;
    private bool _stop;
    private long _badInputs;
    private long _faults;
    private int _flushFaultsLeft;
    private long _flushFaults;

    public SoakRun(Options o)
    {
        _o = o;
        _config = new VmapConfig
        {
            PageSize = 4096, SpanStart = 0x4000_0000, SpanSize = 64UL << 20, GuardPages = 1, MaxAreas = 12_000,
            Cores = o.Cores, Zones = true, PurgeMode = PurgeMode.Zones, SizeClassLimit = 32, LazyMaxPages = 2048, PurgeChunk = 16, CsBudgetMicros = 100,
            DrainTimeoutMs = 20,
        };
        _sim = SimBoard.For(_config);
        _sim.Mmu.FlushFault = (_, _) =>
        {
            if (Volatile.Read(ref _flushFaultsLeft) <= 0 || Interlocked.Decrement(ref _flushFaultsLeft) < 0) return false;
            Interlocked.Increment(ref _flushFaults);
            return true; // injected: the TLB flush fails
        };
        _a = new Allocator(_sim.Board);
        if (_a.Start(_config) != Status.Ok) throw new InvalidOperationException(_a.ConfigProblem);
        _workers = Enumerable.Range(0, o.Cores).Select(c => new Worker(this, c, o.Seed * 7919 + c)).ToArray();
    }

    public Result Run(CancellationToken cancel, Action<Result>? progress = null)
    {
        long lastReport = 0;
        using var barrier = new Barrier(_o.Cores, _ =>
        {
            // Quiescent: every core waits here.
            Check();
            bool timeUp = _clock.Elapsed.TotalSeconds >= _o.Seconds || Interlocked.Read(ref _operations) >= _o.MaxOperations;
            _stop = timeUp || cancel.IsCancellationRequested;
            if (progress != null && (_stop || _clock.ElapsedMilliseconds - lastReport >= 10_000))
            {
                lastReport = _clock.ElapsedMilliseconds;
                progress(Snapshot());
            }
        });
        var threads = _workers.Select(w => new Thread(() => w.Loop(barrier)) { Name = $"soak core {w.Core}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // Give everything back: the span must be one free block again.
        ClearFaults();
        foreach (Worker w in _workers) w.FreeAll();
        while (_handoff.TryDequeue(out var h)) Expect(_a.FreePages(h.Page), Status.Ok, "final free of a handed-off area");
        Expect(_a.Purge(), Status.Ok, "final purge");
        Expect(_a.DrainCaches(), Status.Ok, "final drain");
        Check();
        Stats s = Stats();
        if (s.FreeBlocks != 1 || s.FreePages != s.SpanPages) Violation($"after freeing everything the span is {s.FreeBlocks} free blocks of {s.FreePages} pages, not one of {s.SpanPages}");
        if (_sim.Mmu.MappedPages != 0) Violation($"after freeing everything {_sim.Mmu.MappedPages} pages are still mapped");
        _a.Stop();
        return Snapshot();
    }

    private Result Snapshot() => new(Interlocked.Read(ref _operations), _checks, _violations.ToList(), _clock.Elapsed.TotalSeconds, Stats(),
        Interlocked.Read(ref _badInputs), Interlocked.Read(ref _faults), Interlocked.Read(ref _flushFaults), _sim.Jumping.Jumps, _o.Cores, _o.Seed, _o.Faults);

    private Stats Stats()
    {
        var s = new Stats();
        _a.GetStats(s);
        return s;
    }

    /// <summary>The checks at a quiescent point.</summary>
    private void Check()
    {
        _checks++;
        string? problem = _a.Validate();
        if (problem != null) Violation("invariant: " + problem);
        Stats s = Stats();
        long held = _workers.Sum(w => w.LivePages) + _handoff.Sum(h => (long)h.Pages);
        long areas = _workers.Sum(w => w.LiveCount) + _handoff.Count;
        if (held != s.LivePages) Violation($"the cores hold {held} live pages, the allocator counts {s.LivePages}");
        if (areas != s.LiveAreas) Violation($"the cores hold {areas} live areas, the allocator counts {s.LiveAreas}");
        if (_sim.Mmu.MappedPages != s.LivePages) Violation($"the MMU maps {_sim.Mmu.MappedPages} pages, the live areas have {s.LivePages}");
        int stale = _sim.Mmu.StalePages();
        if (stale > s.LazyPages) Violation($"the MMU holds {stale} stale pages, more than the {s.LazyPages} lazily freed ones");
        if (s.PurgeOverlaps != 0) Violation($"{s.PurgeOverlaps} purges overlapped");
    }

    private void Violation(string what)
    {
        lock (_violations)
        {
            if (_violations.Count < 100) _violations.Add($"after {Interlocked.Read(ref _operations):N0} operations: {what}");
        }
    }

    private void Expect(Status got, Status expected, string what)
    {
        if (got != expected) Violation($"{what}: {got} ({StatusText.Describe(got)}), expected {expected}");
    }

    private void ClearFaults()
    {
        Volatile.Write(ref _flushFaultsLeft, 0);
        _sim.Drain.DeafMask = 0;
        _sim.Jumping.JumpEvery = 0;
        _a.InjectPoolDry(0, 0);
    }

    /// <summary>One logical core's thread: its live set and its random mix.</summary>
    private sealed class Worker(SoakRun soak, int core, int seed)
    {
        private readonly Random _rnd = new(seed);
        private readonly List<(int Page, int Pages)> _live = [];
        public int Core { get; } = core;
        public long LivePages { get; private set; }
        public int LiveCount => _live.Count;

        public void Loop(Barrier barrier)
        {
            soak._sim.Cores.Bind(Core);
            int batch = Math.Max(1, CheckEvery / soak._o.Cores);
            while (true)
            {
                for (int i = 0; i < batch; i++) Step();
                Interlocked.Add(ref soak._operations, batch);
                barrier.SignalAndWait();
                if (soak._stop) return;
            }
        }

        public void FreeAll()
        {
            soak._sim.Cores.Bind(Core);
            foreach (var (page, _) in _live) soak.Expect(soak._a.FreePages(page), Status.Ok, "final free");
            _live.Clear();
            LivePages = 0;
        }

        private void Step()
        {
            Allocator a = soak._a;
            int r = _rnd.Next(1000);
            if (r < 480) Alloc();
            else if (r < 900) FreeOwn();
            else if (r < 930) HandOff();
            else if (r < 960) TakeHandOff();
            else if (r < 970) a.Purge();
            else if (r < 975) a.DrainCaches();
            else if (r < 980) a.LazyMaxPages = _rnd.Next(4) switch { 0 => 0, 1 => _rnd.Next(1, 64), 2 => _rnd.Next(64, 4096), _ => 16384 };
            else if (r < 985) a.PurgeChunk = _rnd.Next(4) switch { 0 => 0, 1 => 1, 2 => _rnd.Next(2, 32), _ => 256 };
            else if (r < 995) BadInput();
            else if (soak._o.Faults) InjectFault();
            else Alloc();
        }

        private void Alloc()
        {
            int k = _rnd.Next(100);
            int pages = k < 70 ? _rnd.Next(1, 17) : k < 95 ? _rnd.Next(17, 257) : _rnd.Next(257, 2049);
            int align = _rnd.Next(100) < 70 ? 1 : 1 << (_rnd.Next(100) < 90 ? _rnd.Next(1, 9) : _rnd.Next(9, 15));
            Status s = soak._a.AllocPages(pages, align, Core, out int page);
            if (s == Status.Ok)
            {
                if ((page + (int)(soak._config.SpanStart >> 12)) % align != 0) soak.Violation($"page {page} is not aligned to {align}");
                _live.Add((page, pages));
                LivePages += pages;
            }
            else if (s is not (Status.NoSpace or Status.NoRecords or Status.DrainTimeout or Status.FlushFailed))
            {
                soak.Violation($"alloc of {pages} pages aligned {align}: unexpected {s}");
            }
            else if (_live.Count > 0 && _rnd.Next(2) == 0)
            {
                FreeOwn(); // under pressure: give something back
            }
        }

        private void FreeOwn()
        {
            if (_live.Count == 0) return;
            int i = _rnd.Next(_live.Count);
            var (page, pages) = _live[i];
            _live[i] = _live[^1];
            _live.RemoveAt(_live.Count - 1);
            LivePages -= pages;
            soak.Expect(soak._a.FreePages(page), Status.Ok, $"free of page {page}");
        }

        private void HandOff()
        {
            if (_live.Count == 0) return;
            int i = _rnd.Next(_live.Count);
            var area = _live[i];
            _live[i] = _live[^1];
            _live.RemoveAt(_live.Count - 1);
            LivePages -= area.Pages;
            soak._handoff.Enqueue(area);
        }

        private void TakeHandOff()
        {
            if (soak._handoff.TryDequeue(out var area)) soak.Expect(soak._a.FreePages(area.Page), Status.Ok, "free of another core's area");
        }

        private void BadInput()
        {
            Interlocked.Increment(ref soak._badInputs);
            Allocator a = soak._a;
            switch (_rnd.Next(4))
            {
                case 0:
                    soak.Expect(a.AllocPages(0, 1, Core, out _), Status.InvalidSize, "alloc of 0 pages");
                    break;
                case 1:
                    soak.Expect(a.AllocPages(1, 3, Core, out _), Status.InvalidAlignment, "alloc aligned to 3 pages");
                    break;
                case 2:
                    if (_live.Count > 0)
                    {
                        var (page, pages) = _live[_rnd.Next(_live.Count)];
                        if (pages > 1) soak.Expect(a.FreePages(page + 1), Status.NotAnArea, "free inside an area");
                    }
                    break;
                default:
                    // Outside the span. (A double free is covered by the unit tests: here another
                    // core may legitimately get the same address between the two frees.)
                    soak.Expect(a.FreePages(_rnd.Next(2) == 0 ? -1 - _rnd.Next(100) : soak._config.SpanPages + _rnd.Next(100)), Status.NotAnArea, "free outside the span");
                    break;
            }
        }

        private void InjectFault()
        {
            Interlocked.Increment(ref soak._faults);
            switch (_rnd.Next(4))
            {
                case 0: soak._a.InjectPoolDry(_rnd.Next(0, 64), _rnd.Next(1, 32)); break;
                case 1: Volatile.Write(ref soak._flushFaultsLeft, _rnd.Next(1, 4)); break;
                case 2: soak._sim.Drain.DeafMask = _rnd.Next(3) == 0 ? 0 : 1 << _rnd.Next(soak._o.Cores); break;
                default:
                    soak._sim.Jumping.JumpTicks = _rnd.Next(2) == 0 ? -soak._sim.Clock.TicksPerSecond / 1000 : soak._sim.Clock.TicksPerSecond / 100;
                    soak._sim.Jumping.JumpEvery = _rnd.Next(3) == 0 ? 0 : _rnd.Next(1000, 100_000);
                    break;
            }
        }
    }
}
