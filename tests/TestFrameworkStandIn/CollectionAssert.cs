using System.Collections;

namespace nanoFramework.TestFramework;

/// <summary>Assertions on collections (element by element, in order).</summary>
public sealed class CollectionAssert
{
    /// <summary>Fails unless both hold equal elements in the same order.</summary>
    public static void AreEqual(ICollection expected, ICollection actual, string message = "")
    {
        string? difference = Difference(expected, actual);
        if (difference != null) Assert.Fail("CollectionAssert.AreEqual", difference, message);
    }

    /// <summary>Fails if both hold equal elements in the same order.</summary>
    public static void AreNotEqual(ICollection notExpected, ICollection actual, string message = "")
    {
        if (Difference(notExpected, actual) == null) Assert.Fail("CollectionAssert.AreNotEqual", "The collections are equal.", message);
    }

    /// <summary>Fails unless <paramref name="collection"/> is empty.</summary>
    public static void Empty(ICollection collection, string message = "")
    {
        if (collection is null) Assert.Fail("CollectionAssert.Empty", "The collection is null.", message);
        if (collection.Count != 0) Assert.Fail("CollectionAssert.Empty", "It holds " + collection.Count + " elements.", message);
    }

    /// <summary>Fails if <paramref name="collection"/> is empty.</summary>
    public static void NotEmpty(ICollection collection, string message = "")
    {
        if (collection is null) Assert.Fail("CollectionAssert.NotEmpty", "The collection is null.", message);
        if (collection.Count == 0) Assert.Fail("CollectionAssert.NotEmpty", "It is empty.", message);
    }

    private static string? Difference(ICollection? expected, ICollection? actual)
    {
        if (ReferenceEquals(expected, actual)) return null;
        if (expected is null || actual is null) return "One collection is null.";
        if (expected.Count != actual.Count) return "Expected " + expected.Count + " elements, actual " + actual.Count + ".";
        IEnumerator e = expected.GetEnumerator();
        IEnumerator a = actual.GetEnumerator();
        for (int i = 0; e.MoveNext() && a.MoveNext(); i++)
        {
            if (!Equals(e.Current, a.Current)) return "Element " + i + ": expected:<" + Assert.Show(e.Current) + ">, actual:<" + Assert.Show(a.Current) + ">.";
        }
        return null;
    }
}
