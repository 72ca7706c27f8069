using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using NF = nanoFramework.TestFramework;

namespace Vmap.Tests.NFUnit;

/// <summary>What one call of the launcher is: a [Setup], a [TestMethod], one [DataRow] of a method, or a [Cleanup].</summary>
public enum CallKind
{
    Setup,
    TestMethod,
    DataRow,
    Cleanup,
}

/// <summary>One call the launcher makes, named "Class.Method" (with the kind or row when it is not a plain test method).</summary>
public sealed record PlannedCall(Type Class, MethodInfo Method, CallKind Kind, object[]? Arguments, string Name);

/// <summary>How one call ended: passed (no failure, not skipped), failed (with the exception) or skipped.</summary>
public sealed record CallOutcome(PlannedCall Call, Exception? Failure, string? SkipReason, string Output, TimeSpan Time);

/// <summary>
/// Runs the on-device tests (tests/NFUnitTest, compiled for the host against the stand-in
/// nanoFramework.TestFramework) the way nanoFramework's UnitTestLauncher (package
/// nanoFramework.TestFramework 3.0.77, source/UnitTestLauncher/Program.cs) runs them on a board:
/// <list type="bullet">
/// <item>every class of the NFUnitTest assembly whose attributes include exactly
/// <c>TestClassAttribute</c>, in the assembly's order;</item>
/// <item>per class, in four passes over its public methods (<c>type.GetMethods()</c>, in
/// declaration order): every [Setup] method, then every [TestMethod], then every [DataRow]
/// (one call per row; a method with rows loses its [TestMethod], as
/// <c>Helper.RemoveTestMethodIfDataRowExists</c> does), then every [Cleanup]. So [Setup] and
/// [Cleanup] run ONCE PER CLASS, around all its tests, not around each test;</item>
/// <item>each call is made with no instance (<c>method.Invoke(null, parameters)</c>): a test
/// class keeps its state in static fields. .NET cannot call an instance method on null, so the
/// host passes an object whose constructor never ran, a new one per call;</item>
/// <item>a failure is reported and the launcher goes on with the next call, whatever the pass
/// (a failed [Setup] does not stop the tests); only a [Setup] that skips
/// (<c>SkipTestException</c>) skips the rest of its class.</item>
/// </list>
/// Each class runs once per test process; its outcomes are kept and reported call by call.
/// </summary>
public static class HostLauncher
{
    /// <summary>The host build of the on-device test assembly.</summary>
    public static Assembly TestAssembly { get; } = typeof(NFUnitTest.CoreCorrectnessTests).Assembly;

    // One class runs at a time: the output sink is global, as the board's debug output is.
    private static readonly object s_runLock = new();
    private static readonly ConcurrentDictionary<Type, Lazy<IReadOnlyList<CallOutcome>>> s_outcomes = new();

    /// <summary>The test classes, in the order the launcher meets them.</summary>
    public static IReadOnlyList<Type> TestClasses() =>
        TestAssembly.GetTypes()
            .Where(t => t.IsClass && t.GetCustomAttributes(true).Any(a => a.GetType() == typeof(NF.TestClassAttribute)))
            .OrderBy(t => t.MetadataToken)
            .ToList();

    /// <summary>Every call the launcher makes, class by class, in its order.</summary>
    public static IReadOnlyList<PlannedCall> Plan() => TestClasses().SelectMany(Plan).ToList();

    /// <summary>The calls the launcher makes for one class, in its order.</summary>
    public static IReadOnlyList<PlannedCall> Plan(Type testClass)
    {
        MethodInfo[] methods = testClass.GetMethods().OrderBy(m => m.MetadataToken).ToArray();
        var calls = new List<PlannedCall>();
        foreach (CallKind kind in new[] { CallKind.Setup, CallKind.TestMethod, CallKind.DataRow, CallKind.Cleanup })
        {
            Type wanted = AttributeOf(kind);
            foreach (MethodInfo method in methods)
            {
                object[] attributes = WithoutTestMethodIfRows(method.GetCustomAttributes(true));
                int row = 0;
                foreach (object attribute in attributes)
                {
                    if (attribute.GetType() != wanted) continue;
                    object[]? arguments = attribute is NF.DataRowAttribute data ? data.MethodParameters : null;
                    calls.Add(new PlannedCall(testClass, method, kind, arguments, NameOf(testClass, method, kind, row)));
                    if (kind == CallKind.DataRow) row++;
                }
            }
        }
        return calls;
    }

    /// <summary>Runs <paramref name="testClass"/> the first time it is asked for, and returns the outcome of each of its calls.</summary>
    public static IReadOnlyList<CallOutcome> Outcomes(Type testClass) =>
        s_outcomes.GetOrAdd(testClass, t => new Lazy<IReadOnlyList<CallOutcome>>(() => Run(t))).Value;

    /// <summary>The outcome of the call named <paramref name="name"/> (running its class if it has not run).</summary>
    public static CallOutcome Outcome(string name)
    {
        PlannedCall call = Plan().SingleOrDefault(c => c.Name == name)
            ?? throw new InvalidOperationException("the launcher plans no call named " + name);
        return Outcomes(call.Class).Single(o => o.Call.Name == name);
    }

    private static IReadOnlyList<CallOutcome> Run(Type testClass)
    {
        lock (s_runLock)
        {
            var outcomes = new List<CallOutcome>();
            string? setupSkipped = null;
            foreach (PlannedCall call in Plan(testClass))
            {
                if (setupSkipped != null)
                {
                    outcomes.Add(new CallOutcome(call, null, "not run: [Setup] skipped the class (" + setupSkipped + ")", "", TimeSpan.Zero));
                    continue;
                }
                CallOutcome outcome = Invoke(call);
                outcomes.Add(outcome);
                if (call.Kind == CallKind.Setup && outcome.SkipReason != null) setupSkipped = outcome.SkipReason;
            }
            return outcomes;
        }
    }

    private static CallOutcome Invoke(PlannedCall call)
    {
        var output = new StringBuilder();
        NF.OutputHelper.Sink = text => output.Append(text);
        var watch = Stopwatch.StartNew();
        try
        {
            object? target = call.Method.IsStatic ? null : RuntimeHelpers.GetUninitializedObject(call.Class);
            call.Method.Invoke(target, call.Arguments);
            return new CallOutcome(call, null, null, output.ToString(), watch.Elapsed);
        }
        catch (TargetInvocationException wrapped) when (wrapped.InnerException is NF.SkipTestException skip)
        {
            return new CallOutcome(call, null, skip.Message, output.ToString(), watch.Elapsed);
        }
        catch (TargetInvocationException wrapped) when (wrapped.InnerException != null)
        {
            return new CallOutcome(call, wrapped.InnerException, null, output.ToString(), watch.Elapsed);
        }
        catch (Exception ex)
        {
            // The call itself could not be made (wrong arguments for a row, ...): a failure too.
            return new CallOutcome(call, ex, null, output.ToString(), watch.Elapsed);
        }
        finally
        {
            NF.OutputHelper.Sink = null;
        }
    }

    private static Type AttributeOf(CallKind kind) => kind switch
    {
        CallKind.Setup => typeof(NF.SetupAttribute),
        CallKind.TestMethod => typeof(NF.TestMethodAttribute),
        CallKind.DataRow => typeof(NF.DataRowAttribute),
        _ => typeof(NF.CleanupAttribute),
    };

    private static object[] WithoutTestMethodIfRows(object[] attributes) =>
        attributes.Any(a => a is NF.DataRowAttribute)
            ? attributes.Where(a => a.GetType() != typeof(NF.TestMethodAttribute)).ToArray()
            : attributes;

    private static string NameOf(Type testClass, MethodInfo method, CallKind kind, int row) => kind switch
    {
        CallKind.TestMethod => testClass.Name + "." + method.Name,
        CallKind.DataRow => testClass.Name + "." + method.Name + " (row " + row + ")",
        _ => testClass.Name + "." + method.Name + " [" + kind + "]",
    };
}
