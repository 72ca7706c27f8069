using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Vmap.Sim.Bench;

namespace Vmap.Tests.Interpreter;

/// <summary>Regime: the IL counter itself, on small methods whose executed instructions are known exactly.</summary>
public sealed class IlCounterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmap-ilcounter").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private Type Compile(string source)
    {
        var compilation = CSharpCompilation.Create("Probe", [CSharpSyntaxTree.ParseText(source)],
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));
        string path = Path.Combine(_dir, "Probe.dll");
        var result = compilation.Emit(path);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return IlCounter.LoadCounted(path)[0].GetType("Probe")!;
    }

    [Fact]
    public void A_loop_at_a_methods_first_instruction_counts_one_call_and_every_instruction_it_runs()
    {
        Type probe = Compile("public static class Probe { public static int DoLoop(int n) { do { n--; } while (n > 0); return n; } }");
        MethodInfo doLoop = probe.GetMethod("DoLoop")!;
        IlCounter.Counts c = IlCounter.Measure(() => doLoop.Invoke(null, [3]));
        Assert.Equal(1, c.ManagedCalls);
        // Each round: ldarg.0, ldc.i4.1, sub, starg.s, ldarg.0, ldc.i4.0, bgt.s (7); then ldarg.0, ret.
        Assert.Equal(3 * 7 + 2, c.Instructions);
    }

    [Fact]
    public void Calls_out_of_the_counted_code_are_counted_by_kind()
    {
        Type probe = Compile(@"
public interface IThing { int Get(); }
public sealed class Thing : IThing { public int Get() => 4; }
public static class Probe
{
    public static int Run(IThing t) => t.Get() + System.Math.Abs(-1) + Helper();
    private static int Helper() => 1;
}");
        object thing = Activator.CreateInstance(probe.Assembly.GetType("Thing")!)!;
        MethodInfo run = probe.GetMethod("Run")!;
        IlCounter.Counts c = IlCounter.Measure(() => run.Invoke(null, [thing]));
        Assert.Equal(["Probe.Run", "Thing.Get", "Probe.Helper"], c.Managed); // counted code only
        Assert.Equal(1, c.InterfaceCalls);
        Assert.Equal(["Math.Abs"], c.Runtime);
    }
}
