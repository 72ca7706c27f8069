namespace nanoFramework.TestFramework;

/// <summary>Marks a class whose test methods the launcher runs.</summary>
[AttributeUsage(AttributeTargets.Class)]
public class TestClassAttribute : Attribute
{
    /// <summary>As in the real framework: hands back the method's attribute unchanged.</summary>
    public virtual TestMethodAttribute GetTestMethodAttribute(TestMethodAttribute testMethodAttribute) => testMethodAttribute;
}

/// <summary>Marks a test method.</summary>
[AttributeUsage(AttributeTargets.Method)]
public class TestMethodAttribute : Attribute
{
}

/// <summary>Marks a method the launcher runs once per class, before its test methods.</summary>
[AttributeUsage(AttributeTargets.Method)]
public class SetupAttribute : Attribute
{
}

/// <summary>Marks a method the launcher runs once per class, after its test methods.</summary>
[AttributeUsage(AttributeTargets.Method)]
public class CleanupAttribute : Attribute
{
}

/// <summary>One set of arguments for a test method; the method runs once per row.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public class DataRowAttribute : Attribute
{
    /// <summary>Records the arguments of one run.</summary>
    public DataRowAttribute(params object[] methodParameters)
    {
        MethodParameters = methodParameters;
    }

    /// <summary>The arguments the method is called with.</summary>
    public object[] MethodParameters { get; }
}
