using Vmap.Sim.Boards;

namespace Vmap.Tests.Boards;

/// <summary>Regime: board profiles; every shipped one is valid, every kind of bad one is rejected with file, line and key.</summary>
public sealed class ProfileTests
{
    public static TheoryData<string> Shipped() => new() { "sim", "esp32", "esp32s3", "esp32c3", "stm32f769", "stb-arm64" };

    [Theory]
    [MemberData(nameof(Shipped))]
    public void Every_shipped_profile_parses_and_starts_an_allocator(string name)
    {
        BoardProfile p = BoardProfile.Load(name);
        Assert.Equal(name, p.Name);
        VmapConfig c = p.ToConfig();
        var a = new Allocator(Vmap.Hal.Sim.SimBoard.For(c).Board);
        Assert.Equal(Status.Ok, a.Start(c));
        Assert.Equal(Status.Ok, a.AllocPages(1, 1, 0, out _));
    }

    [Fact]
    public void Stb_arm64_uses_linux_default_for_four_cpus()
    {
        BoardProfile p = BoardProfile.Load("stb-arm64");
        Assert.Equal(4, p.Cores);
        Assert.Equal(4096, p.PageSize);
        Assert.Equal(new VmapConfig { Cores = 4, PageSize = 4096 }.LinuxDefaultLazyMaxPages(), p.LazyMaxPages);
    }

    private static string Good() => File.ReadAllText(Path.Combine(BoardProfile.BoardsDirectory(), "sim.board"));

    [Theory]
    [InlineData("cores = 2", "", "cores", "missing key")]
    [InlineData("cores = 2", "cores = 2\ncolour = red", "colour", "unknown key")]
    [InlineData("cores = 2", "cores = 2\ncores = 3", "cores", "duplicate key")]
    [InlineData("cores = 2", "cores = 99", "cores", "out of range")]
    [InlineData("cores = 2", "cores = two", "cores", "not a whole number")]
    [InlineData("cores = 2", "cores = -2", "cores", "not a whole number")]
    [InlineData("cores = 2", "cores =", "cores", "no value")]
    [InlineData("flush_fixed_us = 0", "flush_fixed_us = fast", "flush_fixed_us", "not a number")]
    [InlineData("page_size = 4096", "page_size = 3000", "page_size", "power of two")]
    [InlineData("span_size = 0x40000000", "span_size = 0x40000001", "span_size", "multiple of the page size")]
    [InlineData("cores = 2", "cores 2", null, "expected 'key = value'")]
    public void A_bad_profile_is_rejected_with_file_line_and_key(string from, string to, string? key, string what)
    {
        string text = Good().Replace(from, to);
        Assert.NotEqual(Good(), text);
        var e = Assert.Throws<ProfileException>(() => BoardProfile.Parse(text, "boards/test.board"));
        Assert.Equal("boards/test.board", e.File);
        Assert.Equal(key, e.Key);
        Assert.Contains(what, e.Message);
        Assert.StartsWith("boards/test.board:", e.Message);
        if (what != "missing key")
        {
            int line = text.Split('\n').ToList().FindIndex(l => to.Split('\n').Last().Trim() == l.Trim()) + 1;
            Assert.Equal(line, e.Line);
        }
    }
}
