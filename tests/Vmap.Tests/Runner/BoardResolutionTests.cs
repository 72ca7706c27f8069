using Vmap.Sim.Boards;

namespace Vmap.Tests.Runner;

/// <summary>Regime: where --board finds its profile (issue 18, item 3): never the current directory, never a copy under bin/.</summary>
public sealed class BoardResolutionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmap-boards-where").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void The_boards_directory_is_the_repositorys_wherever_the_runner_runs()
    {
        string expected = Path.Combine(RunnerCli.RepositoryRoot(), "boards");
        Assert.Equal(expected, BoardProfile.BoardsDirectory());
        Assert.DoesNotContain(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, BoardProfile.BoardsDirectory() + Path.DirectorySeparatorChar);
        // The build puts no copy of the profiles next to the runner.
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "boards", "esp32.board")), "boards/*.board must not be copied into bin/");

        // From a directory outside the repository, as its own process: the same profile.
        File.WriteAllText(Path.Combine(_dir, "t.trace"), "alloc 1 65536\n");
        var (exit, output, err) = RunnerCli.RunProcess(_dir, null, "replay", "t.trace", "--board", "esp32");
        Assert.True(exit == 0, err);
        Assert.Equal("1 0x" + BoardProfile.Load("esp32").SpanStart.ToString("x"), output.Trim());
    }

    [Fact]
    public void Board_takes_the_path_of_a_profile_relative_or_absolute()
    {
        string text = File.ReadAllText(Path.Combine(BoardProfile.BoardsDirectory(), "esp32.board")).Replace("name = esp32", "name = mine");
        string file = Path.Combine(_dir, "mine.board");
        File.WriteAllText(file, text);
        Assert.Equal("mine", BoardProfile.Load(file).Name);
        Assert.Equal(file, BoardProfile.Load(file).Path);

        File.WriteAllText(Path.Combine(_dir, "t.trace"), "alloc 1 65536\n");
        var (exit, output, err) = RunnerCli.RunProcess(_dir, null, "replay", "t.trace", "--board", "mine.board");
        Assert.True(exit == 0, err);
        Assert.StartsWith("1 0x", output);

        var missing = RunnerCli.Run("replay", file, "--board", Path.Combine(_dir, "nope.board"));
        Assert.Equal(2, missing.Exit);
        Assert.Contains("nope.board", missing.Err);
        Assert.Single(missing.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Vmap_boards_names_the_directory_when_set()
    {
        string text = File.ReadAllText(Path.Combine(BoardProfile.BoardsDirectory(), "stm32f769.board")).Replace("name = stm32f769", "name = other");
        File.WriteAllText(Path.Combine(_dir, "other.board"), text);
        File.WriteAllText(Path.Combine(_dir, "t.trace"), "alloc 1 4096\n");
        var (exit, output, err) = RunnerCli.RunProcess(Path.GetTempPath(), null, new Dictionary<string, string?> { ["VMAP_BOARDS"] = _dir },
            "replay", Path.Combine(_dir, "t.trace"), "--board", "other");
        Assert.True(exit == 0, err);
        Assert.StartsWith("1 0x", output);
    }
}
