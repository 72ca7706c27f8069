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
                    Debug.WriteLine("seen " + seen);
                    Debug.Assert(seen >= 0, "negative");
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
