namespace Vmap.Tests.Gate;

/// <summary>
/// The nanoFramework subset gate over the real device sources, and tests showing that the gate
/// refuses each construct nanoFramework 1.x cannot build or run.
/// </summary>
public sealed class SubsetGateTests
{
    private const string Usings = "using System;\nusing System.Collections;\nusing System.Diagnostics;\nusing System.Text;\nusing System.Threading;\n";

    private static readonly AllowList s_allow = AllowList.Load();

    /// <summary>Every file of every .nfproj stays inside the nanoFramework subset.</summary>
    [Fact]
    public void DeviceSourcesStayInsideTheNanoFrameworkSubset()
    {
        string root = RepoRoot.Find();
        Assert.NotEmpty(RepoRoot.FindFiles(root, "*.nfproj"));

        IReadOnlyList<Violation> violations = SubsetGate.CheckRepository(root, s_allow);

        Assert.True(violations.Count == 0, "Device sources leave the nanoFramework 1.x subset:\n" + string.Join("\n", violations));
    }

    /// <summary>The gate reads the file list of every .nfproj (so a new file is covered without touching the gate).</summary>
    [Fact]
    public void GateCoversEveryFileTheDeviceProjectsCompile()
    {
        string root = RepoRoot.Find();
        var vmap = NfProject.Load(Path.Combine(root, "firmware", "Vmap", "Vmap.nfproj"));

        Assert.Contains(vmap.CompileFiles, f => f.EndsWith("Hex.cs", StringComparison.Ordinal));
        Assert.Contains(SubsetGate.ReferencedProjects(vmap), p => p.FullPath.EndsWith("Vmap.Hal.nfproj", StringComparison.Ordinal));
        Assert.Equal(GateMode.Semantic, SubsetGate.ModeOf(root, vmap));
    }

    /// <summary>
    /// The on-device tests are gated too, by name, against their own references (TestFramework
    /// included); the Conditional rule covers firmware/ and hal/ only.
    /// </summary>
    [Fact]
    public void GateCoversTheOnDeviceTestsAgainstTheirOwnReferences()
    {
        string root = RepoRoot.Find();
        var tests = NfProject.Load(Path.Combine(root, "tests", "NFUnitTest", "NFUnitTest.nfproj"));
        var app = NfProject.Load(Path.Combine(root, "firmware", "App", "App.nfproj"));

        GateContext testContext = GateContext.For(root, tests, SubsetGate.Api);
        GateContext appContext = GateContext.For(root, app, SubsetGate.Api);

        Assert.Equal(GateMode.Syntactic, SubsetGate.ModeOf(root, tests));
        Assert.NotEmpty(tests.CompileFiles);
        Assert.Contains("nanoFramework.TestFramework", testContext.References!);
        Assert.False(testContext.RefuseConditional);
        Assert.True(appContext.RefuseConditional);
        Assert.Contains("nanoFramework.System.Text", appContext.References!);
    }

    /// <summary>Statements nanoFramework 1.x refuses, each reported under its construct's name.</summary>
    [Theory]
    [InlineData("var l = new System.Collections.Generic.List<int>();", "generic type System.Collections.Generic.List<int>")]
    [InlineData("var n = Pick(new System.Collections.Generic.List<int>());", "generic")]
    [InlineData("int? n = null;", "System.Nullable")]
    [InlineData("var q = from x in _array select x;", "LINQ")]
    [InlineData("int c = System.Linq.Enumerable.Count(_array);", "LINQ")]
    [InlineData("Span<int> s = _array;", "Span")]
    [InlineData("ReadOnlySpan<char> s = \"ab\";", "Span")]
    [InlineData("Memory<int> m = _array;", "Memory")]
    [InlineData("unsafe { int x = 1; int* p = &x; }", "unsafe")]
    [InlineData("unsafe { int x = 1; int* p = &x; }", "pointer")]
    [InlineData("unsafe { delegate*<void> f = null; }", "function pointer")]
    [InlineData("unsafe { int* p = stackalloc int[4]; }", "stackalloc")]
    [InlineData("Span<int> s = stackalloc int[4];", "stackalloc")]
    [InlineData("var t = (1, 2);", "tuple")]
    [InlineData("(int, int) t = (1, 2);", "tuple type")]
    [InlineData("var (a, b) = (1, 2);", "deconstruction")]
    [InlineData("int a = 0, b = 1; (a, b) = (b, a);", "deconstruction")]
    [InlineData("int x = _array[^1];", "index from end (^)")]
    [InlineData("var r = 1..3;", "range (..)")]
    [InlineData("var g = new int[2, 2];", "multidimensional array")]
    [InlineData("int[,] g = null;", "multidimensional array")]
    [InlineData("dynamic d = 1;", "dynamic")]
    [InlineData("var a = new { X = 1 };", "anonymous type")]
    [InlineData("string s = $\"{_int}\";", "interpolated string")]
    [InlineData("Interlocked.Add(ref _int, 2);", "System.Threading.Interlocked.Add(ref int, int)")]
    [InlineData("Interlocked.Read(ref _long);", "Interlocked.Read")]
    [InlineData("Interlocked.Increment(ref _long);", "System.Threading.Interlocked.Increment(ref long)")]
    [InlineData("Interlocked.Exchange(ref _object, null);", "Interlocked.Exchange(ref object, object)")]
    [InlineData("Interlocked.CompareExchange(ref _long, 1L, 0L);", "Interlocked.CompareExchange(ref long, long, long)")]
    [InlineData("Monitor.TryEnter(_object);", "Monitor.TryEnter")]
    [InlineData("Monitor.Wait(_object);", "Monitor.Wait")]
    [InlineData("Monitor.Pulse(_object);", "Monitor.Pulse")]
    [InlineData("Volatile.Read(ref _int);", "Volatile")]
    [InlineData("Thread.MemoryBarrier();", "Thread.MemoryBarrier")]
    [InlineData("Array.Resize(ref _array, 4);", "Array.Resize")]
    [InlineData("Array.Sort(_array);", "Array.Sort")]
    [InlineData("string s = string.Join(\",\", \"a\", \"b\");", "String.Join")]
    [InlineData("GC.Collect();", "GC.Collect")]
    [InlineData("var w = Stopwatch.StartNew();", "Stopwatch")]
    [InlineData("int m = Math.Max(1, 2);", "System.Math")]
    [InlineData("Buffer.BlockCopy(_array, 0, _array, 0, 4);", "System.Buffer")]
    [InlineData("Console.ReadLine();", "System.Console.ReadLine")]
    [InlineData("Debug.WriteLine(\"x\");", "System.Diagnostics.Debug.WriteLine(string) is [Conditional(\"DEBUG\")]")]
    [InlineData("Debug.Assert(_int > 0);", "System.Diagnostics.Debug.Assert(bool) is [Conditional(\"DEBUG\")]")]
    [InlineData("Console.WriteLine(_int);", "System.Console.WriteLine(int) is not on the nanoFramework allow-list")]
    [InlineData("bool k = new Hashtable().ContainsKey(1);", "System.Collections.Hashtable.ContainsKey(object) is not on the nanoFramework allow-list")]
    [InlineData("Action<int> a = null;", "generic type System.Action<int>")]
    [InlineData("Action<int, int> a = null;", "generic type System.Action<int, int>")]
    [InlineData("Func<int> f = null;", "generic type System.Func<int>")]
    [InlineData("Func<int, int> f = x => x;", "generic type System.Func<int, int>")]
    [InlineData("Func<int, int, int> f = null;", "generic type System.Func<int, int, int>")]
    [InlineData("EventHandler<EventArgs> h = null;", "generic type System.EventHandler<System.EventArgs>")]
    [InlineData("long t = Environment.TickCount64;", "Environment.TickCount64")]
    [InlineData("decimal d = 1m;", "System.Decimal")]
    public void RefusedStatementIsReported(string statement, string construct)
    {
        IReadOnlyList<Violation> violations = CheckSnippet(InClass("void M() { " + statement + " }"));

        Assert.Contains(violations, v => v.Construct.Contains(construct, StringComparison.Ordinal) && v.Line > 0);
    }

    /// <summary>Declarations nanoFramework 1.x refuses, each reported under its construct's name.</summary>
    [Theory]
    [InlineData("public class Box<T> { public T Value; }", "generic declaration Box<T>")]
    [InlineData("public class C { public T Id<T>(T x) => x; }", "generic declaration Id<T>")]
    [InlineData("public class C { public System.Collections.Generic.List<int> Items; }", "generic type")]
    [InlineData("public record Point(int X, int Y);", "record Point")]
    [InlineData("public record struct Point(int X, int Y);", "record Point")]
    [InlineData("public class C { public async System.Threading.Tasks.Task M() { await System.Threading.Tasks.Task.Yield(); } }", "async method")]
    [InlineData("public class C { public async System.Threading.Tasks.Task M() { await System.Threading.Tasks.Task.Yield(); } }", "await")]
    [InlineData("public class C { public System.Collections.IEnumerable M() { yield return 1; } }", "yield")]
    [InlineData("public class C { public (int, int) M() => (1, 2); }", "tuple type")]
    [InlineData("public class C { public unsafe void M(int* p) { } }", "unsafe modifier")]
    [InlineData("public unsafe class C { public void M(int* p) { } }", "pointer type")]
    [InlineData("public class C { public int X { get; init; } }", "init accessor")]
    [InlineData("public interface I { void M() { } }", "default interface method")]
    [InlineData("public ref struct R { public int X; }", "ref struct")]
    [InlineData("public class C { public void M(dynamic d) { } }", "dynamic")]
    [InlineData("public class C { public int[,] Grid; }", "multidimensional array")]
    [InlineData("public class C { public Stopwatch Watch; }", "type System.Diagnostics.Stopwatch")]
    [InlineData("using System.Linq;\npublic class C { }", "LINQ namespace System.Linq")]
    [InlineData("using System.Collections.Generic;\npublic class C { }", "namespace System.Collections.Generic is not on the nanoFramework allow-list")]
    public void RefusedDeclarationIsReported(string declarations, string construct)
    {
        IReadOnlyList<Violation> violations = CheckSnippet(declarations);

        Assert.Contains(violations, v => v.Construct.Contains(construct, StringComparison.Ordinal));
    }

    /// <summary>Code using only the allowed subset passes.</summary>
    [Fact]
    public void CleanSnippetPasses()
    {
        const string clean = """
            [Flags]
            public enum Mode { None = 0, Fast = 1 }

            public sealed class Clean : IDisposable
            {
                private readonly object _gate = new object();
                private readonly AutoResetEvent _wake = new AutoResetEvent(false);
                private readonly ManualResetEvent _done = new ManualResetEvent(false);
                private readonly int[] _slots = new int[8];
                private readonly int[][] _jagged = new int[2][];
                private readonly ArrayList _list = new ArrayList();
                private readonly Hashtable _table = new Hashtable();
                private int _count;
                private Thread _worker;

                public string Describe(int value, ulong big, double ratio)
                {
                    var sb = new StringBuilder();
                    sb.Append("value ").Append(value).Append(' ').Append(big.ToString()).Append(1L).Append(2u);
                    string text = "n=" + value + " r=" + ratio.ToString("F2") + sb.ToString() + sb.Length;
                    text = text.Substring(1).Trim().ToUpper() + new string(new char[] { 'a', 'b' }, 0, 2);
                    if (text.StartsWith("N") && text.IndexOf('=') > 0 && text.Length > 1 && text[0] == 'N') sb.Clear();
                    string[] parts = text.Split(',');
                    return parts[0] + int.Parse("12") + long.Parse("3") + double.Parse("1.5") + int.MaxValue + Mode.Fast.ToString();
                }

                public int Work(int expected)
                {
                    lock (_gate)
                    {
                        _count++;
                    }
                    Monitor.Enter(_gate);
                    try { _count--; } finally { Monitor.Exit(_gate); }
                    Interlocked.Increment(ref _count);
                    Interlocked.Decrement(ref _count);
                    Interlocked.Exchange(ref _count, 3);
                    int seen = Interlocked.CompareExchange(ref _count, expected, 3);
                    Array.Copy(_slots, 0, _slots, 1, 4);
                    Array.Clear(_slots, 0, _slots.Length);
                    foreach (int slot in _slots) seen += slot;
                    _jagged[0] = _slots;
                    _list.Add(seen);
                    _table[seen] = _list[0];
                    foreach (object o in _list) seen += o.GetHashCode();
                    Console.WriteLine("seen " + seen);
                    Console.Write("seen");
                    Console.WriteLine();
                    _wake.Set();
                    _wake.WaitOne(1, false);
                    WaitHandle.WaitAll(new WaitHandle[] { _wake, _done });
                    _worker = new Thread(Run);
                    _worker.Priority = ThreadPriority.Normal;
                    _worker.Start();
                    _worker.Join();
                    Thread.Sleep(1);
                    long now = DateTime.UtcNow.Ticks + Thread.CurrentThread.ManagedThreadId;
                    if (now < 0) throw new ArgumentOutOfRangeException("expected", "negative clock");
                    if (seen < 0) throw new InvalidOperationException("negative");
                    return seen;
                }

                private void Run() { }

                public void Dispose() => _done.Set();
            }
            """;

        IReadOnlyList<Violation> violations = CheckSnippet(clean);

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <summary>A List planted in a copy of a real device file is reported with that file's name and the planted line.</summary>
    [Fact]
    public void PlantedListInACopyOfADeviceFileIsReportedWithFileAndLine()
    {
        string root = RepoRoot.Find();
        var project = NfProject.Load(Path.Combine(root, "firmware", "Vmap", "Vmap.nfproj"));
        string hex = project.CompileFiles.Single(f => Path.GetFileName(f) == "Hex.cs");
        string[] lines = File.ReadAllLines(hex);
        int body = Array.FindIndex(lines, l => l.Contains("public static string Format(", StringComparison.Ordinal)) + 1;
        Assert.Equal("{", lines[body].Trim());
        var planted = lines.Take(body + 1).Append("        var l = new System.Collections.Generic.List<int>();").Concat(lines.Skip(body + 1));
        DirectoryInfo temp = Directory.CreateTempSubdirectory("vmap-gate-");
        string copy = Path.Combine(temp.FullName, "Hex.cs");
        File.WriteAllLines(copy, planted);
        try
        {
            AssertPlantedListReported(root, project, hex, copy, body + 2);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    private static void AssertPlantedListReported(string root, NfProject project, string hex, string copy, int plantedLine)
    {
        var own = project.CompileFiles.Select(f => f == hex ? copy : f).Select(f => new SourceFile(RepoRoot.Relative(root, f), File.ReadAllText(f))).ToList();
        var referenced = SubsetGate.ReferencedProjects(project).SelectMany(p => p.CompileFiles).Select(f => new SourceFile(f, File.ReadAllText(f))).ToList();
        IReadOnlyList<Violation> violations = SubsetGate.CheckSources(own, referenced, GateMode.Semantic, s_allow);

        Violation found = Assert.Single(violations);
        Assert.Equal(copy, found.Path);
        Assert.EndsWith("Hex.cs", found.Path, StringComparison.Ordinal);
        Assert.Equal(plantedLine, found.Line);
        Assert.Contains("List<int>", found.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A StringBuilder planted in a copy of hal/Vmap.Hal, whose .nfproj references mscorlib only, is
    /// reported with the file, the line, the member and the package to add; with the reference added, it passes.
    /// </summary>
    [Fact]
    public void PlantedStringBuilderInAProjectWithoutSystemTextIsReportedWithPackage()
    {
        string root = RepoRoot.Find();
        using var temp = new TempRepo();
        string folder = Path.Combine(root, "hal", "Vmap.Hal");
        var hal = NfProject.Load(Path.Combine(folder, "Vmap.Hal.nfproj"));
        Assert.DoesNotContain(hal.References, r => r.Assembly == "nanoFramework.System.Text");
        foreach (string file in hal.CompileFiles.Append(hal.FullPath).Append(Path.Combine(folder, "packages.config")))
            temp.Write("hal/Vmap.Hal/" + Path.GetRelativePath(folder, file).Replace('\\', '/'), File.ReadAllText(file));
        string[] lines = File.ReadAllLines(Path.Combine(folder, "TableMmu.cs"));
        temp.Write("hal/Vmap.Hal/TableMmu.cs", string.Join("\n", lines) + "\n\ninternal static class Planted\n{\n    internal static string Text(int n)\n    {\n"
            + "        var sb = new System.Text.StringBuilder();\n        return sb.Append(n).ToString();\n    }\n}\n");
        int planted = lines.Length + 6;

        IReadOnlyList<Violation> violations = SubsetGate.CheckRepository(temp.Root, s_allow);

        Assert.NotEmpty(violations);
        Assert.All(violations, v => Assert.Equal("hal/Vmap.Hal/TableMmu.cs", v.Path));
        Assert.All(violations, v => Assert.Contains("missing package nanoFramework.System.Text", v.Construct, StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Line == planted
            && v.ToString().Contains("System.Text.StringBuilder.StringBuilder() is in assembly nanoFramework.System.Text: hal/Vmap.Hal/Vmap.Hal.nfproj does not reference it", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Line == planted + 1 && v.Construct.StartsWith("System.Text.StringBuilder.Append(int) ", StringComparison.Ordinal));

        temp.Replace("hal/Vmap.Hal/Vmap.Hal.nfproj", "</Reference>",
            "</Reference>\n    <Reference Include=\"nanoFramework.System.Text\">\n      <HintPath>..\\..\\packages\\nanoFramework.System.Text.1.3.42\\lib\\nanoFramework.System.Text.dll</HintPath>\n    </Reference>");
        Assert.Empty(SubsetGate.CheckRepository(temp.Root, s_allow));
    }

    /// <summary>In a project checked by name (board-only libraries), a type from an unreferenced assembly is reported with its package.</summary>
    [Fact]
    public void ByNameCheckReportsTheMissingPackage()
    {
        const string source = "namespace Board;\npublic class C\n{\n    public string M()\n    {\n        var sb = new System.Text.StringBuilder();\n        return sb.ToString();\n    }\n}\n";
        var context = new GateContext("firmware/App/App.nfproj", new[] { "mscorlib" }, true, SubsetGate.Api);

        IReadOnlyList<Violation> violations = SubsetGate.CheckSources(new[] { new SourceFile("Board.cs", source) }, Array.Empty<SourceFile>(), GateMode.Syntactic, s_allow, context);

        Violation found = Assert.Single(violations);
        Assert.Equal("Board.cs:6: type System.Text.StringBuilder is in assembly nanoFramework.System.Text: firmware/App/App.nfproj does not reference it (missing package nanoFramework.System.Text)", found.ToString());
    }

    /// <summary>
    /// A Debug.WriteLine planted in a firmware project is reported with file and line (it is
    /// [Conditional("DEBUG")]: a Release build prints nothing); outside firmware/ and hal/ it is allowed,
    /// and Console.WriteLine passes everywhere.
    /// </summary>
    [Fact]
    public void PlantedDebugWriteLineInFirmwareIsReportedWithFileAndLine()
    {
        const string debug = "using System.Diagnostics;\n\nnamespace Planted;\n\npublic static class Report\n{\n    public static void Print(string line) => Debug.WriteLine(line);\n}\n";
        using var temp = new TempRepo();
        temp.WriteProject("firmware/Planted", "Planted.cs", debug, "mscorlib");
        temp.WriteProject("tests/PlantedTests", "Planted.cs", debug, "mscorlib");

        Violation found = Assert.Single(SubsetGate.CheckRepository(temp.Root, s_allow));

        Assert.Equal("firmware/Planted/Planted.cs", found.Path);
        Assert.Equal(7, found.Line);
        Assert.Contains("System.Diagnostics.Debug.WriteLine(string) is [Conditional(\"DEBUG\")]", found.Construct, StringComparison.Ordinal);

        temp.Write("firmware/Planted/Planted.cs", debug.Replace("using System.Diagnostics;", "using System;", StringComparison.Ordinal).Replace("Debug.", "Console.", StringComparison.Ordinal));
        Assert.Empty(SubsetGate.CheckRepository(temp.Root, s_allow));
    }

    /// <summary>Console.Write(string), WriteLine() and WriteLine(string) pass in both modes (mscorlib, not conditional).</summary>
    [Theory]
    [InlineData("Console.WriteLine(\"VMAP BEGIN\");")]
    [InlineData("Console.WriteLine();")]
    [InlineData("Console.Write(\"VMAP \" + _int);")]
    public void ConsoleOutputPasses(string statement)
    {
        var context = new GateContext("firmware/App/App.nfproj", new[] { "mscorlib" }, true, SubsetGate.Api);
        var file = new SourceFile("Out.cs", "using System;\nnamespace Out;\npublic class C\n{\n    private int _int;\n    public void M()\n    {\n        " + statement + "\n    }\n}\n");

        var violations = SubsetGate.CheckSources(new[] { file }, Array.Empty<SourceFile>(), GateMode.Semantic, s_allow, context)
            .Concat(SubsetGate.CheckSources(new[] { file }, Array.Empty<SourceFile>(), GateMode.Syntactic, s_allow, context)).ToList();

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <summary>Which sources a project owns comes from its Compile items: a file no .nfproj compiles is not checked, one that two compile is checked against each.</summary>
    [Fact]
    public void SourcesBelongToTheProjectsThatCompileThem()
    {
        const string text = "namespace Shared;\npublic static class Text\n{\n    public static string Of(int n) => new System.Text.StringBuilder().Append(n).ToString();\n}\n";
        using var temp = new TempRepo();
        temp.WriteProject("firmware/WithText", "Own.cs", "namespace WithText;\npublic class Own { }\n", "mscorlib", "nanoFramework.System.Text");
        temp.WriteProject("firmware/Plain", "Own.cs", "namespace Plain;\npublic class Own { }\n", "mscorlib");
        temp.Write("firmware/Shared/Text.cs", text);
        temp.Write("firmware/Stray/Stray.cs", text);
        Assert.Empty(SubsetGate.CheckRepository(temp.Root, s_allow));

        foreach (string project in new[] { "firmware/WithText/WithText.nfproj", "firmware/Plain/Plain.nfproj" })
            temp.Replace(project, "<Compile Include=\"Own.cs\" />", "<Compile Include=\"Own.cs\" /><Compile Include=\"..\\Shared\\Text.cs\" />");
        IReadOnlyList<Violation> violations = SubsetGate.CheckRepository(temp.Root, s_allow);

        Assert.NotEmpty(violations);
        Assert.All(violations, v => Assert.Equal("firmware/Shared/Text.cs", v.Path));
        Assert.All(violations, v => Assert.Contains("firmware/Plain/Plain.nfproj does not reference it (missing package nanoFramework.System.Text)", v.Construct, StringComparison.Ordinal));
    }

    /// <summary>An ESP32 HAL and an on-device test class using only their libraries' allowed surface pass the by-name check.</summary>
    [Fact]
    public void BoardOnlyProjectCodePassesTheByNameCheck()
    {
        const string esp32Hal = """
            using System;
            using nanoFramework.Hardware.Esp32;
            using Vmap.Hal;

            namespace Vmap.Hal.Esp32;

            public sealed class Esp32Clock : IClock
            {
                public long Ticks => (long)HighResTimer.GetCurrent();

                public long TicksPerSecond => 1000000;

                public static uint FreeSpiRam()
                {
                    NativeMemory.GetMemoryInfo(NativeMemory.MemoryType.SpiRam, out uint total, out uint free, out uint largest);
                    if (total < free) throw new InvalidOperationException("heap report " + total + " < " + free);
                    return largest;
                }
            }
            """;
        const string deviceTests = """
            using System;
            using System.Threading;
            using nanoFramework.TestFramework;

            namespace NFUnitTest;

            [TestClass]
            public class HexTests
            {
                private int _runs;

                [Setup]
                public void Setup() => Interlocked.Increment(ref _runs);

                [TestMethod]
                [DataRow(1)]
                public void Formats(int value)
                {
                    Assert.AreEqual("1", value.ToString());
                    Assert.IsTrue(_runs > 0);
                    CollectionAssert.AreEqual(new int[] { 1 }, new int[] { value });
                    Assert.ThrowsException(typeof(ArgumentException), () => throw new ArgumentException("x"));
                    OutputHelper.WriteLine("ran " + _runs);
                    Thread.Sleep(1);
                }

                [Cleanup]
                public void Cleanup() => _runs = 0;
            }
            """;

        var violations = CheckByName(esp32Hal).Concat(CheckByName(deviceTests)).ToList();

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <summary>In projects checked by name, the construct rules still apply and unknown names are refused.</summary>
    [Theory]
    [InlineData("var l = new System.Collections.Generic.List<int>();", "generic type or method List<int>")]
    [InlineData("int? n = null;", "System.Nullable")]
    [InlineData("Span<int> s = null;", "Span")]
    [InlineData("var t = (1, 2);", "tuple literal")]
    [InlineData("dynamic d = 1;", "dynamic")]
    [InlineData("int[,] g = null;", "multidimensional array")]
    [InlineData("var q = from x in new int[1] select x;", "LINQ")]
    [InlineData("Interlocked.Add(ref _int, 1);", "System.Threading.Interlocked.Add")]
    [InlineData("Monitor.TryEnter(this);", "System.Threading.Monitor.TryEnter")]
    [InlineData("Thread.MemoryBarrier();", "System.Threading.Thread.MemoryBarrier")]
    [InlineData("Console.ReadLine();", "Console.ReadLine is not on the nanoFramework allow-list")]
    [InlineData("System.Diagnostics.Debug.WriteLine(\"x\");", "System.Diagnostics.Debug.WriteLine is [Conditional(\"DEBUG\")]")]
    [InlineData("System.Action<int> a = null;", "generic type or method Action<int>")]
    [InlineData("var w = new Stopwatch();", "type Stopwatch is not on the nanoFramework allow-list")]
    [InlineData("string s = string.Join(\",\", new string[0]);", "System.String.Join")]
    [InlineData("int m = System.Math.Max(1, 2);", "System.Math.Max")]
    [InlineData("ulong t = HighResTimer.GetCurrentTicks();", "nanoFramework.Hardware.Esp32.HighResTimer.GetCurrentTicks")]
    [InlineData("int core = NativeMemory.CoreId;", "nanoFramework.Hardware.Esp32.NativeMemory.CoreId")]
    [InlineData("Assert.IsTrue(true);", "Assert.IsTrue is not on the nanoFramework allow-list")] // no using nanoFramework.TestFramework
    public void ByNameCheckRefusesUnknownNamesAndConstructs(string statement, string construct)
    {
        string source = "using System;\nusing System.Threading;\nusing nanoFramework.Hardware.Esp32;\nnamespace Board;\n"
            + "public class C\n{\n    private int _int;\n    public void M()\n    {\n        " + statement + "\n    }\n}\n";

        IReadOnlyList<Violation> violations = CheckByName(source);

        Assert.Contains(violations, v => v.Construct.Contains(construct, StringComparison.Ordinal) && v.Line >= 10);
    }

    /// <summary>The projects named in the gate, and any project whose packages.config lists a board-only package, are checked by name.</summary>
    [Fact]
    public void BoardOnlyProjectsAreCheckedByName()
    {
        DirectoryInfo temp = Directory.CreateTempSubdirectory("vmap-gate-");
        string root = temp.FullName;
        string esp = WriteProject(root, "hal/Vmap.Hal.Esp32/Vmap.Hal.Esp32.nfproj", packageId: "nanoFramework.CoreLibrary");
        string other = WriteProject(root, "hal/Vmap.Hal.Other/Vmap.Hal.Other.nfproj", packageId: "nanoFramework.TestFramework");
        string plain = WriteProject(root, "firmware/Plain/Plain.nfproj", packageId: "nanoFramework.CoreLibrary");

        Assert.Equal(GateMode.Syntactic, SubsetGate.ModeOf(root, NfProject.Load(esp)));
        Assert.Equal(GateMode.Syntactic, SubsetGate.ModeOf(root, NfProject.Load(other)));
        Assert.Equal(GateMode.Semantic, SubsetGate.ModeOf(root, NfProject.Load(plain)));
        temp.Delete(recursive: true);
    }

    /// <summary>A temporary repository root for planted projects.</summary>
    private sealed class TempRepo : IDisposable
    {
        public TempRepo() => Root = Directory.CreateTempSubdirectory("vmap-gate-").FullName;

        public string Root { get; }

        public void Write(string relativePath, string text)
        {
            string path = Path.Combine(Root, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        public void Replace(string relativePath, string old, string replacement)
        {
            string path = Path.Combine(Root, relativePath);
            string text = File.ReadAllText(path);
            Assert.Contains(old, text, StringComparison.Ordinal);
            File.WriteAllText(path, text.Replace(old, replacement, StringComparison.Ordinal));
        }

        /// <summary>Writes <c>folder/&lt;last part of folder&gt;.nfproj</c> compiling one file, with the given Reference items.</summary>
        public void WriteProject(string folder, string fileName, string source, params string[] references)
        {
            string name = folder[(folder.LastIndexOf('/') + 1)..];
            string refs = string.Concat(references.Select(r => "<Reference Include=\"" + r + "\"><HintPath>..\\..\\packages\\x\\lib\\" + r + ".dll</HintPath></Reference>"));
            Write(folder + "/" + name + ".nfproj", "<Project><ItemGroup><Compile Include=\"" + fileName + "\" /></ItemGroup><ItemGroup>" + refs + "</ItemGroup></Project>");
            Write(folder + "/" + fileName, source);
        }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    private static string WriteProject(string root, string relativePath, string packageId)
    {
        string path = Path.Combine(root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "<Project><ItemGroup><Compile Include=\"A.cs\" /></ItemGroup></Project>");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(path)!, "packages.config"),
            "<packages><package id=\"" + packageId + "\" version=\"1.0.0\" targetFramework=\"netnano1.0\" /></packages>");
        return path;
    }

    private static IReadOnlyList<Violation> CheckByName(string source)
    {
        string root = RepoRoot.Find();
        var hal = NfProject.Load(Path.Combine(root, "hal", "Vmap.Hal", "Vmap.Hal.nfproj"));
        var referenced = hal.CompileFiles.Select(f => new SourceFile(f, File.ReadAllText(f))).ToList();
        return SubsetGate.CheckSources(new[] { new SourceFile("Board.cs", source) }, referenced, GateMode.Syntactic, s_allow);
    }

    private static string InClass(string members) =>
        "public class Snippet\n{\n    private int _int;\n    private long _long;\n    private object _object = new object();\n    private int[] _array = new int[4];\n"
        + "    private static T Pick<T>(T x) => x;\n    " + members + "\n}\n";

    private static IReadOnlyList<Violation> CheckSnippet(string declarations)
    {
        var file = new SourceFile("Snippet.cs", Usings + "namespace Snippets;\n" + declarations);
        return SubsetGate.CheckSources(new[] { file }, Array.Empty<SourceFile>(), GateMode.Semantic, s_allow);
    }
}
