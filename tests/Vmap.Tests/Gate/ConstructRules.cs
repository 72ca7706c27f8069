using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Vmap.Tests.Gate;

/// <summary>
/// The language constructs nanoFramework 1.x cannot run, recognised from syntax alone:
/// generics declared, LINQ queries, unsafe code, stackalloc, async, yield, tuples, records,
/// ranges and indices, multidimensional arrays and the like. Each rule names the construct.
/// </summary>
public static class ConstructRules
{
    private static readonly HashSet<string> s_spanNames = new(StringComparer.Ordinal)
    {
        "Span", "ReadOnlySpan", "Memory", "ReadOnlyMemory",
    };

    /// <summary>
    /// The constructs <paramref name="node"/> itself is (not its descendants). With
    /// <paramref name="withoutTypes"/> also the rules that a semantic model would otherwise
    /// decide from types (generic names, <c>T?</c>, <c>dynamic</c>, Span names).
    /// </summary>
    public static IEnumerable<string> Check(SyntaxNode node, bool withoutTypes)
    {
        string? found = CheckLanguage(node);
        if (found != null) yield return found;
        if (withoutTypes)
        {
            string? typeRule = CheckTypeSyntax(node);
            if (typeRule != null) yield return typeRule;
            if (node is GenericNameSyntax g && s_spanNames.Contains(g.Identifier.ValueText))
                yield return "Span/Memory type " + g.Identifier.ValueText;
        }
    }

    private static string? CheckLanguage(SyntaxNode node) => node switch
    {
        TypeParameterListSyntax tp => "generic declaration " + DeclaredName(tp.Parent) + tp,
        QueryExpressionSyntax => "LINQ query expression",
        PointerTypeSyntax => "pointer type (unsafe)",
        FunctionPointerTypeSyntax => "function pointer type (unsafe)",
        UnsafeStatementSyntax => "unsafe block",
        FixedStatementSyntax => "fixed statement (unsafe)",
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression } => "address-of operator (unsafe pointer)",
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PointerIndirectionExpression } => "pointer indirection (unsafe pointer)",
        MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.PointerMemberAccessExpression } => "pointer member access -> (unsafe pointer)",
        StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax => "stackalloc",
        AwaitExpressionSyntax => "await",
        CommonForEachStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword } => "await foreach",
        UsingStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword } => "await using",
        LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword } => "await using",
        AnonymousFunctionExpressionSyntax { AsyncKeyword.RawKind: (int)SyntaxKind.AsyncKeyword } => "async lambda",
        YieldStatementSyntax => "yield (iterator)",
        TupleTypeSyntax => "tuple type",
        TupleExpressionSyntax t when IsDeconstructionTarget(t) => "deconstruction (tuple)",
        TupleExpressionSyntax => "tuple literal",
        ParenthesizedVariableDesignationSyntax => "deconstruction (tuple)",
        RecordDeclarationSyntax r => "record " + r.Identifier.ValueText,
        RangeExpressionSyntax => "range (..)",
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.IndexExpression } => "index from end (^)",
        ArrayRankSpecifierSyntax { Rank: > 1 } => "multidimensional array",
        AnonymousObjectCreationExpressionSyntax => "anonymous type (generic class)",
        InterpolatedStringExpressionSyntax => "interpolated string (needs runtime handler types)",
        AccessorDeclarationSyntax { RawKind: (int)SyntaxKind.InitAccessorDeclaration } => "init accessor (needs IsExternalInit)",
        MethodDeclarationSyntax m when m.Parent is InterfaceDeclarationSyntax && (m.Body != null || m.ExpressionBody != null) =>
            "default interface method " + m.Identifier.ValueText,
        StructDeclarationSyntax s when s.Modifiers.Any(SyntaxKind.RefKeyword) => "ref struct " + s.Identifier.ValueText,
        MemberDeclarationSyntax m when m.Modifiers.Any(SyntaxKind.UnsafeKeyword) => "unsafe modifier",
        MemberDeclarationSyntax m when m.Modifiers.Any(SyntaxKind.AsyncKeyword) => "async method",
        LocalFunctionStatementSyntax f when f.Modifiers.Any(SyntaxKind.UnsafeKeyword) => "unsafe modifier",
        LocalFunctionStatementSyntax f when f.Modifiers.Any(SyntaxKind.AsyncKeyword) => "async method",
        _ => null,
    };

    private static string? CheckTypeSyntax(SyntaxNode node) => node switch
    {
        GenericNameSyntax g => "generic type or method " + g,
        NullableTypeSyntax n => "generic type System.Nullable (" + n + ")",
        IdentifierNameSyntax { Identifier.ValueText: "dynamic" } => "dynamic",
        _ => null,
    };

    private static bool IsDeconstructionTarget(TupleExpressionSyntax tuple) =>
        tuple.Parent is AssignmentExpressionSyntax a && a.Left == tuple
        || tuple.Parent is ForEachVariableStatementSyntax;

    private static string DeclaredName(SyntaxNode? declaration) => declaration switch
    {
        BaseTypeDeclarationSyntax t => t.Identifier.ValueText,
        MethodDeclarationSyntax m => m.Identifier.ValueText,
        LocalFunctionStatementSyntax f => f.Identifier.ValueText,
        DelegateDeclarationSyntax d => d.Identifier.ValueText,
        _ => "",
    };
}
