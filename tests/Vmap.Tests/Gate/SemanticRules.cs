using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Vmap.Tests.Gate;

/// <summary>
/// The rules that need the semantic model: types the code handles (including those inferred
/// by <c>var</c> or overload resolution) and every symbol it binds to outside the device
/// sources, which must be on the <see cref="AllowList"/>, come from an assembly the project
/// references, and (in firmware and HAL sources) not be a <c>[Conditional]</c> member.
/// </summary>
public sealed class SemanticRules
{
    private readonly SemanticModel _model;
    private readonly IAssemblySymbol _own;
    private readonly AllowList _allow;
    private readonly GateContext _context;
    private readonly HashSet<string> _ownNamespaces = new(StringComparer.Ordinal);

    /// <summary>Creates the rules for one syntax tree of a compilation of device sources.</summary>
    public SemanticRules(SemanticModel model, AllowList allow, GateContext context)
    {
        _model = model;
        _own = model.Compilation.Assembly;
        _allow = allow;
        _context = context;
        CollectNamespaces(_own.GlobalNamespace, _ownNamespaces);
    }

    /// <summary>What <paramref name="node"/> uses that nanoFramework 1.x does not have.</summary>
    public IEnumerable<string> Check(SyntaxNode node)
    {
        var found = new List<string>();
        if (node is ExpressionSyntax expression)
        {
            TypeInfo info = _model.GetTypeInfo(expression);
            found.AddRange(TypeConstructs(info.Type));
            found.AddRange(TypeConstructs(info.ConvertedType));
        }
        ISymbol? symbol = _model.GetSymbolInfo(node).Symbol;
        if (symbol is INamespaceSymbol ns)
        {
            // Only a using directive names a bare namespace; a qualified name ends in a type, checked on its own.
            if (node.Parent is UsingDirectiveSyntax u && u.Name == node) found.AddRange(CheckNamespace(ns));
        }
        else if (symbol != null)
        {
            found.AddRange(CheckSymbol(symbol));
        }
        if (node is CommonForEachStatementSyntax forEach) found.AddRange(CheckForEach(forEach));
        return found;
    }

    /// <summary>The constructs a type is or contains: generics, tuples, Span, pointers, dynamic, multidimensional arrays.</summary>
    public static IEnumerable<string> TypeConstructs(ITypeSymbol? type)
    {
        switch (type)
        {
            case null:
                yield break;
            case IArrayTypeSymbol array:
                if (array.Rank > 1) yield return "multidimensional array " + SymbolKeys.TypeName(array);
                foreach (string inner in TypeConstructs(array.ElementType)) yield return inner;
                break;
            case IPointerTypeSymbol pointer:
                yield return "pointer type " + SymbolKeys.TypeName(pointer) + " (unsafe)";
                break;
            case IFunctionPointerTypeSymbol:
                yield return "function pointer type (unsafe)";
                break;
            case IDynamicTypeSymbol:
                yield return "dynamic";
                break;
            case ITypeParameterSymbol parameter:
                yield return "generic type parameter " + parameter.Name;
                break;
            case INamedTypeSymbol named:
                foreach (string construct in NamedTypeConstructs(named)) yield return construct;
                break;
        }
    }

    private static IEnumerable<string> NamedTypeConstructs(INamedTypeSymbol named)
    {
        if (named.IsTupleType)
        {
            yield return "tuple type " + SymbolKeys.TypeName(named);
            yield break;
        }
        if (IsSpanLike(named)) yield return "Span/Memory type " + SymbolKeys.TypeName(named);
        if (named.IsRefLikeType && !IsSpanLike(named)) yield return "ref struct " + SymbolKeys.TypeName(named);
        if (named.IsGenericType) yield return "generic type " + SymbolKeys.TypeName(named);
        else if (named.ContainingType != null)
        {
            foreach (string outer in NamedTypeConstructs(named.ContainingType)) yield return outer;
        }
    }

    private static bool IsSpanLike(INamedTypeSymbol named) =>
        named.ContainingNamespace?.ToDisplayString() == "System"
        && named.Name is "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory";

    private IEnumerable<string> CheckSymbol(ISymbol symbol)
    {
        switch (symbol)
        {
            case IAliasSymbol alias:
                return CheckSymbol(alias.Target);
            case ITypeSymbol type:
                return CheckType(type);
            case IMethodSymbol method:
                return CheckMethod(method);
            case IPropertySymbol or IFieldSymbol or IEventSymbol:
                return CheckMember(symbol);
            default:
                return Array.Empty<string>();
        }
    }

    private IEnumerable<string> CheckNamespace(INamespaceSymbol ns)
    {
        if (ns.IsGlobalNamespace) return Array.Empty<string>();
        string name = ns.ToDisplayString();
        if (IsLinq(name)) return new[] { "LINQ namespace " + name };
        if (_ownNamespaces.Contains(name) || _allow.HasEntriesUnder(name)) return Array.Empty<string>();
        return new[] { "namespace " + name + " is not on the nanoFramework allow-list" };
    }

    private static void CollectNamespaces(INamespaceSymbol ns, HashSet<string> into)
    {
        foreach (INamespaceSymbol child in ns.GetNamespaceMembers())
        {
            into.Add(child.ToDisplayString());
            CollectNamespaces(child, into);
        }
    }

    private IEnumerable<string> CheckType(ITypeSymbol type)
    {
        var constructs = TypeConstructs(type).ToList();
        if (constructs.Count > 0 || type is not INamedTypeSymbol named || IsOwn(named)) return constructs;
        string name = SymbolKeys.TypeName(named);
        if (IsLinq(named.ContainingNamespace?.ToDisplayString() ?? "")) return new[] { "LINQ type " + name };
        AllowEntry? entry = _allow.MatchType(name);
        if (entry == null) return new[] { "type " + name + " is not on the nanoFramework allow-list" };
        string? missing = _context.MissingReference("type " + name, entry);
        return missing == null ? constructs : new[] { missing };
    }

    private IEnumerable<string> CheckMethod(IMethodSymbol method)
    {
        if (method.MethodKind is MethodKind.BuiltinOperator or MethodKind.LocalFunction or MethodKind.AnonymousFunction)
        {
            return method.IsGenericMethod ? new[] { "generic local function " + method.Name } : Array.Empty<string>();
        }
        IMethodSymbol definition = method.ReducedFrom ?? method;
        if (IsLinq(definition.ContainingNamespace?.ToDisplayString() ?? ""))
            return new[] { "LINQ method " + SymbolKeys.NameKey(definition) };
        if (method.IsGenericMethod)
            return new[] { "generic method " + SymbolKeys.NameKey(definition.OriginalDefinition) + "<" + string.Join(", ", method.TypeArguments.Select(SymbolKeys.TypeName)) + ">" };
        return CheckMember(definition);
    }

    private IEnumerable<string> CheckMember(ISymbol member)
    {
        INamedTypeSymbol? owner = member.ContainingType;
        if (owner == null) return Array.Empty<string>();
        var ownerConstructs = TypeConstructs(owner).ToList();
        if (ownerConstructs.Count > 0) return ownerConstructs;
        if (IsOwn(owner)) return Array.Empty<string>();
        ISymbol definition = member.OriginalDefinition;
        string nameKey = SymbolKeys.NameKey(definition);
        string signatureKey = SymbolKeys.SignatureKey(definition);
        AllowEntry? entry = _allow.MatchMember(nameKey, signatureKey);
        if (entry == null) return new[] { signatureKey + " is not on the nanoFramework allow-list" };
        var found = new List<string>();
        string? missing = _context.MissingReference(signatureKey, entry);
        if (missing != null) found.Add(missing);
        if (definition is IMethodSymbol)
        {
            string? conditional = _context.ConditionalCall(signatureKey, entry.BoardKeys.Count > 0 ? entry.BoardKeys : new[] { signatureKey }, nameKey);
            if (conditional != null) found.Add(conditional);
        }
        return found;
    }

    private IEnumerable<string> CheckForEach(CommonForEachStatementSyntax forEach)
    {
        ForEachStatementInfo info = _model.GetForEachStatementInfo(forEach);
        ITypeSymbol? collection = _model.GetTypeInfo(forEach.Expression).Type;
        if (collection is IArrayTypeSymbol) return Array.Empty<string>();
        var used = new ISymbol?[] { info.GetEnumeratorMethod, info.MoveNextMethod, info.CurrentProperty };
        return used.OfType<ISymbol>().SelectMany(CheckSymbol).Select(s => "foreach: " + s);
    }

    private bool IsOwn(ISymbol symbol) => SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, _own);

    private static bool IsLinq(string ns) => ns == "System.Linq" || ns.StartsWith("System.Linq.", StringComparison.Ordinal);
}
