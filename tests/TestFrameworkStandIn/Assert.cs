using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using TestFrameworkShared;

namespace nanoFramework.TestFramework;

/// <summary>
/// The assertions of nanoFramework.TestFramework. A failing one throws
/// <see cref="AssertFailedException"/> whose message names the assertion, what it found and
/// the caller's message, as the real framework does ("Assert.IsTrue failed. ...").
/// </summary>
public sealed partial class Assert
{
    /// <summary>Fails if <paramref name="condition"/> is false.</summary>
    public static void IsTrue(bool condition, string message = "")
    {
        if (!condition) Fail("Assert.IsTrue", null, message);
    }

    /// <summary>Fails if <paramref name="condition"/> is true.</summary>
    public static void IsFalse(bool condition, string message = "")
    {
        if (condition) Fail("Assert.IsFalse", null, message);
    }

    /// <summary>Fails unless <paramref name="value"/> is null.</summary>
    public static void IsNull(object? value, string message = "")
    {
        if (value is not null) Fail("Assert.IsNull", "Actual:<" + Show(value) + ">.", message);
    }

    /// <summary>Fails if <paramref name="value"/> is null.</summary>
    public static void IsNotNull(object? value, string message = "")
    {
        if (value is null) Fail("Assert.IsNotNull", null, message);
    }

    /// <summary>Fails unless both refer to the same object.</summary>
    public static void AreSame(object? expected, object? actual, string message = "")
    {
        if (ReferenceEquals(expected, actual)) return;
        string? detail = expected is ValueType || actual is ValueType
            ? "Do not pass value types to AreSame(): boxed values are never the same object."
            : null;
        Fail("Assert.AreSame", detail, message);
    }

    /// <summary>Fails if both refer to the same object.</summary>
    public static void AreNotSame(object? notExpected, object? actual, string message = "")
    {
        if (ReferenceEquals(notExpected, actual)) Fail("Assert.AreNotSame", null, message);
    }

    /// <summary>Fails unless <paramref name="value"/> contains <paramref name="expected"/>.</summary>
    public static void Contains(string expected, string value, string message = "")
    {
        NotNull(expected, value, "Assert.Contains");
        if (value.IndexOf(expected, StringComparison.Ordinal) < 0) Fail("Assert.Contains", Show(value) + " does not contain " + Show(expected) + ".", message);
    }

    /// <summary>Fails if <paramref name="value"/> contains <paramref name="notExpected"/>.</summary>
    public static void DoesNotContains(string notExpected, string value, string message = "")
    {
        NotNull(notExpected, value, "Assert.DoesNotContains");
        if (value.IndexOf(notExpected, StringComparison.Ordinal) >= 0) Fail("Assert.DoesNotContains", Show(value) + " contains " + Show(notExpected) + ".", message);
    }

    /// <summary>Fails unless <paramref name="value"/> starts with <paramref name="expected"/>.</summary>
    public static void StartsWith(string expected, string value, string message = "")
    {
        NotNull(expected, value, "Assert.StartsWith");
        if (!value.StartsWith(expected, StringComparison.Ordinal)) Fail("Assert.StartsWith", Show(value) + " does not start with " + Show(expected) + ".", message);
    }

    /// <summary>Fails unless <paramref name="value"/> ends with <paramref name="expected"/>.</summary>
    public static void EndsWith(string expected, string value, string message = "")
    {
        NotNull(expected, value, "Assert.EndsWith");
        if (!value.EndsWith(expected, StringComparison.Ordinal)) Fail("Assert.EndsWith", Show(value) + " does not end with " + Show(expected) + ".", message);
    }

    /// <summary>Fails unless <paramref name="value"/> is exactly of type <paramref name="expected"/> (the real framework compares the type, not the hierarchy).</summary>
    public static void IsInstanceOfType(object? value, Type expected, string message = "")
    {
        if (expected is null) Fail("Assert.IsInstanceOfType", "The expected type is null.", message);
        if (value is not null && value.GetType() == expected) return;
        Fail("Assert.IsInstanceOfType", "Expected type:<" + expected + ">. Actual type:<" + Show(value?.GetType()) + ">.", message);
    }

    /// <summary>Fails if <paramref name="value"/> is exactly of type <paramref name="notExpected"/>.</summary>
    public static void IsNotInstanceOfType(object? value, Type notExpected, string message = "")
    {
        if (notExpected is null) Fail("Assert.IsNotInstanceOfType", "The type is null.", message);
        if (value is not null && value.GetType() == notExpected) Fail("Assert.IsNotInstanceOfType", "Wrong type:<" + notExpected + ">.", message);
    }

    /// <summary>Fails unless <paramref name="action"/> throws an exception of exactly type <paramref name="exception"/>.</summary>
    public static void ThrowsException(Type exception, Action action, string message = "")
    {
        if (exception is null || action is null) Fail("Assert.ThrowsException", "The exception type and the action must not be null.", message);
        try
        {
            action();
        }
        catch (Exception ex)
        {
            if (ex.GetType() == exception) return;
            Fail("Assert.ThrowsException", "Threw " + ex.GetType() + ", but " + exception + " was expected. Exception message: " + ex.Message, message);
        }
        Fail("Assert.ThrowsException", "No exception thrown; " + exception + " was expected.", message);
    }

    /// <summary>Ends the test as skipped.</summary>
    public static void SkipTest(string? message = null) => throw new SkipTestException(message);

    [DoesNotReturn]
    internal static void Fail(string assertion, string? detail, string? message)
    {
        string text = assertion + " failed.";
        if (!string.IsNullOrEmpty(detail)) text += " " + detail;
        if (!string.IsNullOrEmpty(message)) text += " " + message;
        throw new AssertFailedException(text);
    }

    internal static string Show(object? value) => value switch
    {
        null => "(null)",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "(null)",
    };

    private static void NotNull(string? a, string? b, string assertion)
    {
        if (a is null || b is null) Fail(assertion, "The strings must not be null.", null);
    }
}
