using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Vmap.Tests.Gate;
using Xunit.Abstractions;
using Xunit.Sdk;
using NF = nanoFramework.TestFramework;

namespace Vmap.Tests.NFUnit;

/// <summary>
/// The on-device tests (tests/NFUnitTest) on every <c>dotnet test</c>: their host build, run
/// call by call as the UnitTestLauncher runs them on a board (see <see cref="HostLauncher"/>),
/// each reported by name; and checks that the discovery found all of them.
/// </summary>
public sealed class NFUnitOnHostTests(ITestOutputHelper output)
{
    // What tests/NFUnitTest holds today. Adding or removing an on-device test changes these:
    // update them with it. (A discovery that finds nothing cannot pass.)
    private const int ExpectedClasses = 2;
    private const int ExpectedSetups = 1;
    private const int ExpectedTestMethods = 21;
    private const int ExpectedDataRows = 0;
    private const int ExpectedCleanups = 1;

    /// <summary>Every call the launcher makes, by name ("Class.Method", "Class.Method [Setup]").</summary>
    public static TheoryData<string> Calls()
    {
        var data = new TheoryData<string>();
        foreach (PlannedCall call in HostLauncher.Plan()) data.Add(call.Name);
        return data;
    }

    /// <summary>One [Setup], [TestMethod], [DataRow] or [Cleanup] of the on-device tests passes on the host.</summary>
    [Theory]
    [MemberData(nameof(Calls))]
    public void Passes_under_the_launcher(string call)
    {
        CallOutcome outcome = HostLauncher.Outcome(call);
        if (outcome.Output.Length > 0) output.WriteLine(outcome.Output.TrimEnd());
        output.WriteLine(call + ": " + (outcome.Failure != null ? "failed" : outcome.SkipReason != null ? "skipped" : "passed") + " in " + outcome.Time.TotalMilliseconds.ToString("F1") + " ms");

        // xunit 2 cannot skip at run time; a skipped on-device test would pass CI without
        // running, so the host counts it as a failure.
        if (outcome.SkipReason != null) throw new XunitException(call + " was skipped: " + outcome.SkipReason);
        if (outcome.Failure != null) throw new XunitException(call + " failed: " + outcome.Failure.Message + Environment.NewLine + outcome.Failure);
    }

    /// <summary>The launcher finds the classes and calls it should, in the numbers tests/NFUnitTest holds today.</summary>
    [Fact]
    public void Discovery_finds_the_expected_number_of_calls()
    {
        IReadOnlyList<PlannedCall> plan = HostLauncher.Plan();
        Assert.Equal(ExpectedClasses, HostLauncher.TestClasses().Count);
        Assert.Equal(ExpectedSetups, plan.Count(c => c.Kind == CallKind.Setup));
        Assert.Equal(ExpectedTestMethods, plan.Count(c => c.Kind == CallKind.TestMethod));
        Assert.Equal(ExpectedDataRows, plan.Count(c => c.Kind == CallKind.DataRow));
        Assert.Equal(ExpectedCleanups, plan.Count(c => c.Kind == CallKind.Cleanup));
        Assert.Equal(plan.Count, plan.Select(c => c.Name).Distinct().Count());
    }

    /// <summary>
    /// The launcher plans exactly the calls the sources declare: read with Roslyn from
    /// tests/NFUnitTest/*.cs, independently of reflection (a non-public test method, which the
    /// launcher never sees, fails here).
    /// </summary>
    [Fact]
    public void Discovery_matches_the_attributes_in_the_sources()
    {
        string folder = Path.Combine(RepoRoot.Find(), "tests", "NFUnitTest");
        var declared = new List<string>();
        foreach (string file in Directory.GetFiles(folder, "*.cs").Order(StringComparer.Ordinal))
        {
            SyntaxNode root = CSharpSyntaxTree.ParseText(File.ReadAllText(file), SubsetGate.ParseOptions).GetRoot();
            foreach (ClassDeclarationSyntax cls in root.DescendantNodes().OfType<ClassDeclarationSyntax>().Where(c => Has(c.AttributeLists, "TestClass")))
            {
                foreach (MethodDeclarationSyntax method in cls.Members.OfType<MethodDeclarationSyntax>())
                {
                    string name = cls.Identifier.Text + "." + method.Identifier.Text;
                    int rows = Count(method.AttributeLists, "DataRow");
                    if (Has(method.AttributeLists, "Setup")) declared.Add(name + " [Setup]");
                    if (Has(method.AttributeLists, "TestMethod") && rows == 0) declared.Add(name);
                    for (int i = 0; i < rows; i++) declared.Add(name + " (row " + i + ")");
                    if (Has(method.AttributeLists, "Cleanup")) declared.Add(name + " [Cleanup]");
                }
            }
        }
        Assert.NotEmpty(declared);
        Assert.Equal(declared.Order(StringComparer.Ordinal), HostLauncher.Plan().Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// The launcher calls test methods with no instance, so a test class that kept state in an
    /// instance field would work here (the host passes an object) and crash on the board.
    /// </summary>
    [Fact]
    public void Test_classes_keep_their_state_in_static_fields()
    {
        foreach (Type cls in HostLauncher.TestClasses())
        {
            FieldInfo[] fields = cls.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            Assert.True(fields.Length == 0, cls.Name + " has instance fields: " + string.Join(", ", fields.Select(f => f.Name)));
        }
    }

    /// <summary>The stand-in fails as the real framework does: an AssertFailedException that carries the message.</summary>
    [Fact]
    public void The_stand_in_assert_throws_with_the_message()
    {
        var ex = Assert.Throws<TestFrameworkShared.AssertFailedException>(() => NF.Assert.AreEqual(1, 2, "pages after the purge"));
        Assert.Contains("Assert.AreEqual failed", ex.Message);
        Assert.Contains("Expected:<1>. Actual:<2>.", ex.Message);
        Assert.Contains("pages after the purge", ex.Message);

        ex = Assert.Throws<TestFrameworkShared.AssertFailedException>(() => NF.Assert.IsNull("a problem", "invariants"));
        Assert.Contains("invariants", ex.Message);
        NF.Assert.IsTrue(true, "no throw when it holds");
        NF.Assert.AreEqual(3UL, 3UL);
        NF.Assert.ThrowsException(typeof(InvalidOperationException), () => throw new InvalidOperationException());
    }

    private static bool Has(SyntaxList<AttributeListSyntax> lists, string name) => Count(lists, name) > 0;

    private static int Count(SyntaxList<AttributeListSyntax> lists, string name) =>
        lists.SelectMany(l => l.Attributes).Count(a =>
        {
            string n = a.Name is QualifiedNameSyntax q ? q.Right.Identifier.Text : a.Name.ToString();
            return n == name || n == name + "Attribute";
        });
}
