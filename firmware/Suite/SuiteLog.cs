using System.Text;

namespace Vmap.Suite;

/// <summary>
/// The results format the firmware prints over its debug/serial output and <c>report</c>
/// reads back. Line oriented; every line starts with <c>VMAP </c>, so a capture may hold any
/// other output around it. Fields are <c>key=value</c> separated by single spaces.
/// <code>
/// VMAP BEGIN board=&lt;name&gt; cores=&lt;n&gt; page_size=&lt;bytes&gt; span_start=0x&lt;hex&gt; span_size=&lt;bytes&gt;
///      max_areas=&lt;n&gt; guard_pages=&lt;n&gt; lazy_max_pages=&lt;n&gt; purge_chunk=&lt;n&gt; size_class_limit=&lt;n&gt;
///      zones=&lt;0|1&gt; cs_budget_us=&lt;n&gt; flush_fixed_us=&lt;x&gt; flush_per_page_us=&lt;x&gt; ops=&lt;n&gt;
///      mem_total=&lt;bytes&gt; mem_free=&lt;bytes&gt; mem_largest=&lt;bytes&gt;         (one line)
/// VMAP SCENARIO name=&lt;s&gt; ops=&lt;n&gt; allocs=&lt;n&gt; frees=&lt;n&gt; failures=&lt;n&gt; purges=&lt;n&gt;
///      flushes=&lt;n&gt; elapsed_us=&lt;n&gt; ops_per_s=&lt;n&gt; cs_count=&lt;n&gt; cs_max_ns=&lt;n&gt;
///      cs_over_budget=&lt;n&gt; max_lazy_pages=&lt;n&gt; hist=&lt;16 counts, comma separated&gt; check=&lt;ok|FAIL&gt;
///      cs_max_ns_units=&lt;n&gt; cs_max_units=&lt;n&gt; cs_max_units_ns=&lt;n&gt; cs_units=&lt;n&gt; flushed_pages=&lt;n&gt;
///      units_hist=&lt;20 counts, comma separated&gt;                            (one line)
/// VMAP CAL kind=&lt;purge|search|drain&gt; n=&lt;n&gt; units=&lt;n&gt; ns=&lt;n&gt;       (any number, after the scenarios)
/// VMAP END scenarios=&lt;n&gt; over_budget=&lt;n&gt; verdict=&lt;PASS|FAIL&gt;
/// </code>
/// Histogram buckets are those of <see cref="CsMeter"/>: under 1 µs, then [2^(k-1), 2^k) µs;
/// unit buckets: 0 units, then [2^(k-1), 2^k) units. Units are the deterministic work units each
/// critical section counts (<see cref="CsMeter.Record(long, int)"/>): <c>cs_max_ns_units</c> are
/// those of the longest section, <c>cs_max_units</c> the most any section did and
/// <c>cs_max_units_ns</c> that section's time. The fields from <c>cs_max_ns_units</c> on came
/// with units: a reader accepts a SCENARIO line without them (an older firmware's log).
/// A CAL line is one calibration sample (<see cref="Calibration"/>): a section that did
/// <c>units</c> work units in <c>ns</c> nanoseconds on the board's clock, taken by an operation
/// of <c>kind</c> on <c>n</c> areas; <c>report --calibrate</c> fits the board's cost model to them.
/// The verdict is PASS when no critical section went over the budget and every check passed.
/// </summary>
public sealed class SuiteLog
{
    private readonly ILineSink _sink;
    private int _scenarios;
    private int _overBudget;
    private bool _failed;

    /// <summary>A log written to <paramref name="sink"/>.</summary>
    public SuiteLog(ILineSink sink)
    {
        _sink = sink;
    }

    /// <summary>The header: the board and every setting the results depend on.</summary>
    public void Begin(string board, VmapConfig c, int lazyMaxPages, string flushFixedMicros, string flushPerPageMicros, int ops, long memTotal, long memFree, long memLargest)
    {
        var sb = new StringBuilder();
        sb.Append("VMAP BEGIN board=").Append(board)
          .Append(" cores=").Append(c.Cores.ToString())
          .Append(" page_size=").Append(c.PageSize.ToString())
          .Append(" span_start=0x").Append(Hex.Format(c.SpanStart))
          .Append(" span_size=").Append(c.SpanSize.ToString())
          .Append(" max_areas=").Append(c.MaxAreas.ToString())
          .Append(" guard_pages=").Append(c.GuardPages.ToString())
          .Append(" lazy_max_pages=").Append(lazyMaxPages.ToString())
          .Append(" purge_chunk=").Append(c.PurgeChunk.ToString())
          .Append(" size_class_limit=").Append(c.SizeClassLimit.ToString())
          .Append(" zones=").Append(c.Zones ? "1" : "0")
          .Append(" cs_budget_us=").Append(c.CsBudgetMicros.ToString())
          .Append(" flush_fixed_us=").Append(flushFixedMicros)
          .Append(" flush_per_page_us=").Append(flushPerPageMicros)
          .Append(" ops=").Append(ops.ToString())
          .Append(" mem_total=").Append(memTotal.ToString())
          .Append(" mem_free=").Append(memFree.ToString())
          .Append(" mem_largest=").Append(memLargest.ToString());
        _sink.WriteLine(sb.ToString());
    }

    /// <summary>One scenario's line.</summary>
    public void Scenario(ScenarioResult r)
    {
        var sb = new StringBuilder();
        sb.Append("VMAP SCENARIO name=").Append(r.Name)
          .Append(" ops=").Append(r.Ops.ToString())
          .Append(" allocs=").Append(r.Allocs.ToString())
          .Append(" frees=").Append(r.Frees.ToString())
          .Append(" failures=").Append(r.Failures.ToString())
          .Append(" purges=").Append(r.Purges.ToString())
          .Append(" flushes=").Append(r.Flushes.ToString())
          .Append(" elapsed_us=").Append(r.ElapsedMicros.ToString())
          .Append(" ops_per_s=").Append(r.OpsPerSecond.ToString())
          .Append(" cs_count=").Append(r.CsCount.ToString())
          .Append(" cs_max_ns=").Append(r.CsMaxNanos.ToString())
          .Append(" cs_over_budget=").Append(r.CsOverBudget.ToString())
          .Append(" max_lazy_pages=").Append(r.MaxLazyPages.ToString())
          .Append(" hist=");
        AppendCounts(sb, r.Histogram);
        sb.Append(" check=").Append(r.Problem == null ? "ok" : "FAIL")
          .Append(" cs_max_ns_units=").Append(r.CsMaxNanosUnits.ToString())
          .Append(" cs_max_units=").Append(r.CsMaxUnits.ToString())
          .Append(" cs_max_units_ns=").Append(r.CsMaxUnitsNanos.ToString())
          .Append(" cs_units=").Append(r.CsTotalUnits.ToString())
          .Append(" flushed_pages=").Append(r.FlushedPages.ToString())
          .Append(" units_hist=");
        AppendCounts(sb, r.UnitHistogram);
        _sink.WriteLine(sb.ToString());
        if (r.Problem != null)
        {
            _sink.WriteLine("VMAP NOTE " + r.Name + ": " + r.Problem);
            _failed = true;
        }
        _scenarios++;
        _overBudget += r.CsOverBudget;
    }

    /// <summary>Appends <paramref name="counts"/> comma separated.</summary>
    private static void AppendCounts(StringBuilder sb, int[] counts)
    {
        for (int i = 0; i < counts.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(counts[i].ToString());
        }
    }

    /// <summary>One calibration sample: an operation of <paramref name="kind"/> on <paramref name="n"/> areas ran a section of <paramref name="units"/> units in <paramref name="nanos"/> ns.</summary>
    public void Calibration(string kind, int n, int units, long nanos)
    {
        _sink.WriteLine("VMAP CAL kind=" + kind + " n=" + n.ToString() + " units=" + units.ToString() + " ns=" + nanos.ToString());
    }

    /// <summary>The end line with the verdict.</summary>
    public void End()
    {
        bool pass = !_failed && _overBudget == 0;
        _sink.WriteLine("VMAP END scenarios=" + _scenarios.ToString() + " over_budget=" + _overBudget.ToString() + " verdict=" + (pass ? "PASS" : "FAIL"));
    }
}
