using System.Diagnostics;
using System.Text;

namespace Vmap.Tests.Runner;

/// <summary>
/// Regime: Ctrl-C (SIGINT) in the long verbs, sent to the runner as its own process once it has
/// started work: the verb prints what it did and "interrupted", and exits 130.
/// </summary>
[Collection("boards directory")]
public sealed class InterruptTests
{
    /// <summary>Starts the runner, waits for <paramref name="ready"/> on stderr, sends SIGINT, and returns what it printed.</summary>
    private static (int Exit, string Out, string Err) Interrupt(string ready, params string[] args)
    {
        Assert.False(OperatingSystem.IsWindows(), "SIGINT is sent with kill(1): a Linux or macOS host test");
        using Process p = RunnerCli.Start(Path.GetTempPath(), null, args);
        var err = new StringBuilder();
        var seen = new ManualResetEventSlim();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (err) err.AppendLine(e.Data);
            if (e.Data.Contains(ready)) seen.Set();
        };
        p.BeginErrorReadLine();
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        try
        {
            Assert.True(seen.Wait(TimeSpan.FromMinutes(2)), $"'{ready}' never appeared on stderr: {err}");
            Thread.Sleep(300);
            using (Process kill = Process.Start("kill", ["-INT", p.Id.ToString()])) kill.WaitForExit();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "the runner did not stop after Ctrl-C");
            p.WaitForExit();
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
        }
        lock (err) return (p.ExitCode, output.Result, err.ToString());
    }

    [Fact]
    public void Soak_prints_its_summary_and_exits_130()
    {
        var (exit, output, err) = Interrupt("Ctrl-C stops", "soak", "--cores", "2", "--seconds", "600");
        Assert.Equal(130, exit);
        Assert.Contains("soak: 2 cores, seed 1", output); // the summary, so the process was not just killed
        Assert.Contains("violations 0", output);
        Assert.Contains("soak: interrupted", err);
    }

    [Fact]
    public void Run_stops_after_the_running_scenario_says_what_it_did_and_exits_130()
    {
        var (exit, output, err) = Interrupt("scenarios", "run", "--ops", "100000");
        Assert.Equal(130, exit);
        Assert.Matches(@"^interrupted: \d of 8 scenarios done; nothing written", output);
        Assert.DoesNotContain("verdict", output);
        Assert.DoesNotContain("\u001b[?25l", err + output); // no live display, so no hidden cursor to restore
    }

    [Fact]
    public void Tune_stops_writes_nothing_and_exits_130()
    {
        string dir = Directory.CreateTempSubdirectory("vmap-tune-int").FullName;
        try
        {
            string board = Path.Combine(dir, "sim.board");
            File.Copy(Path.Combine(RunnerCli.RepositoryRoot(), "boards", "sim.board"), board);
            string before = File.ReadAllText(board);
            var (exit, output, _) = Interrupt("settings", "tune", "--board", board, "--ops", "3000", "--write", "--svg", Path.Combine(dir, "t.svg"));
            Assert.Equal(130, exit);
            Assert.Contains("interrupted: ", output);
            Assert.Contains("nothing written", output);
            Assert.Equal(before, File.ReadAllText(board));
            Assert.False(File.Exists(Path.Combine(dir, "t.svg")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
