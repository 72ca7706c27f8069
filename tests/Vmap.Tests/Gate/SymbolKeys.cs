using Microsoft.CodeAnalysis;

namespace Vmap.Tests.Gate;

/// <summary>
/// The spelling of symbols in the allow-list: full type names (<c>System.Threading.Thread</c>),
/// members as <c>Type.Name</c>, with C# parameter types for signatures (<c>(ref int, int)</c>).
/// </summary>
public static class SymbolKeys
{
    private static readonly SymbolDisplayFormat s_typeFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.ExpandNullable);

    private static readonly SymbolDisplayFormat s_parameterFormat = s_typeFormat.AddMiscellaneousOptions(
        SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    /// <summary>The full name of a type, e.g. <c>System.Threading.Thread</c> or <c>System.Collections.Generic.List&lt;int&gt;</c>.</summary>
    public static string TypeName(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol { IsGenericType: true } generic) return type.ToDisplayString(s_typeFormat);
        string name = generic.ConstructedFrom.ToDisplayString(s_typeFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None));
        return name + "<" + string.Join(", ", generic.TypeArguments.Select(a => a.ToDisplayString(s_parameterFormat))) + ">";
    }

    /// <summary>A member's key without signature, e.g. <c>System.Threading.Interlocked.Add</c>.</summary>
    public static string NameKey(ISymbol member) => TypeName(member.ContainingType) + "." + MemberName(member);

    /// <summary>A member's key with its signature, e.g. <c>System.Threading.Interlocked.Add(ref int, int)</c>.</summary>
    public static string SignatureKey(ISymbol member) => member switch
    {
        IMethodSymbol m => NameKey(m) + "(" + Parameters(m.Parameters) + ")",
        IPropertySymbol { IsIndexer: true } p => NameKey(p) + "[" + Parameters(p.Parameters) + "]",
        _ => NameKey(member),
    };

    private static string MemberName(ISymbol member) => member switch
    {
        IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } m => m.ContainingType.Name,
        IPropertySymbol { IsIndexer: true } => "this",
        _ => member.Name,
    };

    private static string Parameters(IEnumerable<IParameterSymbol> parameters) => string.Join(", ", parameters.Select(Parameter));

    private static string Parameter(IParameterSymbol p)
    {
        string modifier = p.RefKind switch
        {
            RefKind.Ref => "ref ",
            RefKind.Out => "out ",
            RefKind.In => "in ",
            _ => p.IsParams ? "params " : "",
        };
        return modifier + p.Type.ToDisplayString(s_parameterFormat);
    }
}
