namespace Vmap.Tests.Gate;

/// <summary>One refused construct: where it is and what it is.</summary>
/// <param name="Path">The file, relative to the repository root when it lies inside it, with '/' separators.</param>
/// <param name="Line">The 1-based line.</param>
/// <param name="Construct">What was found, e.g. "generic type System.Collections.Generic.List&lt;int&gt;".</param>
public sealed record Violation(string Path, int Line, string Construct)
{
    /// <summary>The report form: <c>path:line: construct</c>.</summary>
    public override string ToString() => Path + ":" + Line + ": " + Construct;
}
