using System.Text;
using Vmap.Sim.Boards;
using Vmap.Sim.Report;
using Vmap.Sim.Trace;
using Xunit.Abstractions;

namespace Vmap.Tests.Reliability;

/// <summary>
/// Regime: thousands of random and mutated inputs to every parser of outside data (traces,
/// board profiles, results logs). Each input either parses or is rejected with the parser's own
/// exception naming a line; no other exception type may escape. Seeds are fixed and printed.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Pieces =
    [
        "alloc", "free", "purge", " ", "  ", "\t", "\n", "\r\n", "#", "0", "1", "7", "4096", "-1", "+5", "0x10", "1e9", "99999999999999999999999",
        "18446744073709551615", "9223372036854775807", "=", "==", "name", "cores", "page_size", "span_size", "\u0000", "\u00e9", "\u2028",
        "\ud83d\ude00", "VMAP ", "BEGIN", "SCENARIO", "END", "NOTE", "ERROR", "hist=", "1,2,3", "key=value", "x", new string('a', 300),
    ];

    private static string RandomText(Random rnd)
    {
        var sb = new StringBuilder();
        int n = rnd.Next(0, 40);
        for (int i = 0; i < n; i++)
        {
            if (rnd.Next(10) == 0) sb.Append((char)rnd.Next(0, 0x3000));
            else sb.Append(Pieces[rnd.Next(Pieces.Length)]);
        }
        return sb.ToString();
    }

    private static string Mutate(string text, Random rnd)
    {
        var sb = new StringBuilder(text);
        int edits = rnd.Next(1, 6);
        for (int e = 0; e < edits && sb.Length > 0; e++)
        {
            int at = rnd.Next(sb.Length);
            switch (rnd.Next(6))
            {
                case 0: sb.Remove(at, Math.Min(sb.Length - at, rnd.Next(1, 20))); break;                  // cut
                case 1: sb.Insert(at, Pieces[rnd.Next(Pieces.Length)]); break;                             // insert
                case 2: sb[at] = (char)rnd.Next(0, 128); break;                                            // flip
                case 3: sb.Length = at; break;                                                             // truncate
                case 4: sb.Insert(at, sb.ToString(at, Math.Min(sb.Length - at, 50))); break;              // duplicate
                default: sb.Insert(at, new string((char)rnd.Next(32, 127), rnd.Next(1, 5000))); break;     // very long
            }
        }
        return sb.ToString();
    }

    private void Fuzz<TExpected>(string name, string valid, Action<string> parse, Func<TExpected, bool> namesALine) where TExpected : Exception
    {
        const int Seed = 20261122;
        var rnd = new Random(Seed);
        int ok = 0, rejected = 0;
        for (int i = 0; i < 4000; i++)
        {
            string input = i switch
            {
                0 => "",
                1 => "\u0000\u0000\u0000",
                2 => new string('x', 200_000),
                _ => i % 2 == 0 ? RandomText(rnd) : Mutate(valid, rnd),
            };
            try
            {
                parse(input);
                ok++;
            }
            catch (TExpected e)
            {
                rejected++;
                Assert.True(namesALine(e), $"{name} (seed {Seed}, input {i}): the error does not name a line: {e.Message}");
                Assert.DoesNotContain('\n', e.Message);
            }
            catch (Exception e)
            {
                Assert.Fail($"{name} (seed {Seed}, input {i}): {e.GetType().Name} escaped: {e.Message}\ninput: {input[..Math.Min(input.Length, 200)]}");
            }
        }
        output.WriteLine($"{name}: {ok} parsed, {rejected} rejected (seed {Seed})");
        Assert.True(rejected > 1000 && ok > 0, $"{name}: the fuzzer must hit both outcomes ({ok} parsed, {rejected} rejected)");
    }

    [Fact]
    public void The_trace_parser_never_throws_anything_but_a_trace_error()
    {
        string valid = "# a trace\nalloc 1 4096\nalloc 2 8192 16384\nfree 1\npurge\nalloc 3 1\nfree 2\nfree 3\n";
        Fuzz<TraceException>("trace parser", valid, text => TraceParser.Parse(text, 1UL << 30, 4096), e => e.Message.StartsWith($"line {e.Line}: ") && e.Line >= 1);
    }

    [Fact]
    public void The_profile_parser_never_throws_anything_but_a_profile_error()
    {
        string valid = File.ReadAllText(Path.Combine(BoardProfile.BoardsDirectory(), "esp32.board"));
        Fuzz<ProfileException>("profile parser", valid, text => BoardProfile.Parse(text, "fuzz.board"), e => e.Message.StartsWith("fuzz.board:"));
    }

    [Fact]
    public void The_results_log_reader_never_throws_anything_but_a_log_error()
    {
        var o = new StringWriter();
        string log = Path.Combine(Path.GetTempPath(), $"vmap-fuzz-{Environment.ProcessId}.log");
        Assert.Equal(0, Vmap.Sim.Cli.Run(["run", "--board", "esp32c3", "--ops", "200", "--emit-log", log], o, new StringWriter()));
        string valid = File.ReadAllText(log);
        File.Delete(log);
        Fuzz<LogException>("log reader", valid, text => SuiteLogReader.Parse(text, "fuzz.log"), e => e.Message.StartsWith("fuzz.log:"));
    }
}
