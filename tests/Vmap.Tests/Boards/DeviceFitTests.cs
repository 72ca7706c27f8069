using System.Diagnostics;
using Vmap.Hal;
using Vmap.Sim.Boards;
using Vmap.Tests.Gate;

namespace Vmap.Tests.Boards;

/// <summary>
/// Regime: the nanoFramework heap's largest object (196,591 ints). Device code allocates its
/// profile-sized arrays through <see cref="HeapLimits"/>, which refuses on the host exactly what
/// the interpreter refuses, so starting a profile here shows whether it starts on the device.
/// </summary>
public sealed class DeviceFitTests
{
    private const int TagChunk = 1 << 16; // FreeSpace.TagChunk (internal)

    [Fact]
    public void The_stand_in_refuses_what_the_interpreter_refuses()
    {
        Assert.Equal(196591, HeapLimits.NewInts(196591).Length);
        var e = Assert.Throws<OutOfMemoryException>(() => HeapLimits.NewInts(196592));
        Assert.Contains("196592 ints", e.Message);
        Assert.Contains("(196591 ints)", e.Message);
        Assert.Equal(786364, HeapLimits.NewBytes(786364).Length);
        Assert.Throws<OutOfMemoryException>(() => HeapLimits.NewBytes(786365));
    }

    [Theory]
    [MemberData(nameof(ProfileTests.Shipped), MemberType = typeof(ProfileTests))]
    public void Every_shipped_profile_starts_as_the_firmware_starts_it(string name)
    {
        BoardProfile p = BoardProfile.Load(name);
        VmapConfig c = p.ToConfig();
        c.Zones = c.Cores > 1; // as FirmwareApp.CompiledConfig
        var a = new Allocator(Vmap.Hal.Sim.SimBoard.For(c).Board);
        Assert.True(a.Start(c) == Status.Ok, $"{name}: {a.ConfigProblem}");
        Assert.Equal(Status.Ok, a.AllocPages(1, 1, 0, out int page));
        Assert.Equal(Status.Ok, a.FreePages(page));
        Assert.Null(a.Validate());
        // The managed page table of the boards without a native MMU module is one byte per page.
        Assert.Equal(0, new TableMmu(c.SpanPages).Flushes);
        a.Stop();
    }

    [Fact]
    public void The_esp32_profile_starts_in_a_few_kilobytes_of_managed_memory()
    {
        // Everything Start allocates on the esp32 profile as the firmware runs it (2 cores,
        // zones on): 67 records of 8 ints, 64 boundary tags, 2 zones with 8 classes, the locks
        // and meters. On .NET an object header is 16 bytes and an array's 24; nanoFramework's
        // heap blocks are 12 bytes, so the board's figure is of the same order.
        VmapConfig c = BoardProfile.Load("esp32").ToConfig();
        c.Zones = true;
        var board = Vmap.Hal.Sim.SimBoard.For(c).Board;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var a = new Allocator(board);
        Assert.Equal(Status.Ok, a.Start(c));
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        var s = new Stats();
        a.GetStats(s);
        Assert.Equal(67, s.PoolCapacity);
        Assert.True(bytes < 12 * 1024, $"esp32: Start allocated {bytes} managed bytes");
        Console.WriteLine($"esp32 profile: {bytes} managed bytes after Start, {s.PoolCapacity} records");
    }

    [Fact]
    public void A_pool_larger_than_one_heap_object_is_refused_naming_the_setting_the_size_and_the_limit()
    {
        VmapConfig c = Rig.Small(maxAreas: 196591);
        var a = new Allocator(Vmap.Hal.Sim.SimBoard.For(c).Board);
        Assert.Equal(Status.InvalidConfig, a.Start(c));
        Assert.Contains("MaxAreas = 196591", a.ConfigProblem);
        Assert.Contains("196592 ints", a.ConfigProblem);
        Assert.Contains("196591 ints", a.ConfigProblem);
        Assert.Contains("at most 196590", a.ConfigProblem);

        VmapConfig fits = Rig.Small(maxAreas: VmapConfig.MaxPoolCapacity);
        Assert.Equal(Status.Ok, new Allocator(Vmap.Hal.Sim.SimBoard.For(fits).Board).Start(fits));
    }

    [Fact]
    public void A_span_of_more_tags_than_one_heap_object_starts_with_its_tags_in_chunks()
    {
        // 2^20 pages: a flat tag array would be 1,048,576 ints, five heap objects' worth.
        VmapConfig c = Rig.Small(spanPages: 1 << 20, maxAreas: 4096);
        var rig = new Rig(c);
        int low = rig.Alloc(1);
        int high = rig.Alloc((1 << 20) - 2 - TagChunk);
        int last = rig.Alloc(TagChunk);
        rig.Check("after carving across every tag chunk");
        rig.Free(high);
        rig.Free(low);
        rig.Free(last);
        Assert.Equal(Status.Ok, rig.A.Purge());
        rig.Check("after merging across chunk boundaries");
        Assert.Equal(1 << 20, rig.Stats().LargestFreeBlock);
    }

    [Theory]
    [MemberData(nameof(ProfileTests.Shipped), MemberType = typeof(ProfileTests))]
    public void Each_profile_names_its_nanoff_target_or_says_it_is_simulated_only(string name)
    {
        BoardProfile p = BoardProfile.Load(name);
        Assert.False(string.IsNullOrWhiteSpace(p.NanoffTarget));
        Assert.Equal(name == "stb-arm64", p.SimulatedOnly);
    }

    [Theory]
    [InlineData("stb-arm64", false)]
    [InlineData("esp32", true)]
    public void The_firmware_build_refuses_a_simulated_only_profile(string board, bool builds)
    {
        string root = RepoRoot.Find();
        string dir = Directory.CreateTempSubdirectory("vmap-nfproj-").FullName;
        try
        {
            // A device project in the shape of App.nfproj, reduced to the board step of nf.proj.props.
            File.WriteAllText(Path.Combine(dir, "Probe.nfproj"),
                "<Project>\n" +
                "  <PropertyGroup><VmapGenerateBoard>true</VmapGenerateBoard></PropertyGroup>\n" +
                $"  <Import Project=\"{Path.Combine(root, "nf.proj.props")}\" />\n" +
                "  <Target Name=\"Build\" DependsOnTargets=\"VmapGenerateBoard\" />\n" +
                "</Project>\n");
            var psi = new ProcessStartInfo("dotnet", $"msbuild Probe.nfproj -nologo -v:q -p:Board={board}")
            {
                WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using Process proc = Process.Start(psi)!;
            string output = proc.StandardOutput.ReadToEnd() + proc.StandardError.ReadToEnd();
            proc.WaitForExit();
            if (builds)
            {
                Assert.True(proc.ExitCode == 0, output);
                Assert.Contains("NanoffTarget = \"ESP32_PSRAM_REV3\"", File.ReadAllText(Path.Combine(dir, "CompiledBoard.g.cs")));
            }
            else
            {
                Assert.NotEqual(0, proc.ExitCode);
                Assert.Contains("stb-arm64.board is simulated only (nanoff_target = none)", output);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
