using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Vmap.Tests.Gate;

/// <summary>
/// The allow-list check for projects whose references cannot be resolved on the host (board-only
/// libraries): without a semantic model, every dotted name that does not start with a name the
/// device sources declare is taken for a BCL or library type and looked up by name; the entry
/// found must come from an assembly the project references, and (in firmware and HAL sources)
/// no overload of a called member may be <c>[Conditional]</c>.
/// </summary>
public sealed class NameRules
{
    private static readonly Dictionary<string, string> s_keywordTypes = new(StringComparer.Ordinal)
    {
        ["object"] = "System.Object", ["string"] = "System.String", ["bool"] = "System.Boolean",
        ["char"] = "System.Char", ["byte"] = "System.Byte", ["sbyte"] = "System.SByte",
        ["short"] = "System.Int16", ["ushort"] = "System.UInt16", ["int"] = "System.Int32",
        ["uint"] = "System.UInt32", ["long"] = "System.Int64", ["ulong"] = "System.UInt64",
        ["float"] = "System.Single", ["double"] = "System.Double", ["decimal"] = "System.Decimal",
    };

    private readonly AllowList _allow;
    private readonly GateContext _context;
    private readonly HashSet<string> _ownNames;
    private readonly HashSet<string> _ownNamespaces;

    /// <summary>Creates the rules for a project whose sources (with those it references) are <paramref name="trees"/>.</summary>
    public NameRules(IEnumerable<SyntaxTree> trees, AllowList allow, GateContext context)
    {
        _allow = allow;
        _context = context;
        var roots = trees.Select(t => t.GetRoot()).ToList();
        _ownNames = roots.SelectMany(r => r.DescendantNodes()).SelectMany(DeclaredNames).ToHashSet(StringComparer.Ordinal);
        _ownNamespaces = roots.SelectMany(r => r.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>())
            .SelectMany(n => Prefixes(n.Name.ToString())).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>What <paramref name="node"/> names that is neither declared by the device sources nor allowed.</summary>
    public IEnumerable<string> Check(SyntaxNode node)
    {
        IEnumerable<string?> found = node switch
        {
            UsingDirectiveSyntax u when u.Alias == null && u.StaticKeyword.RawKind == 0 => new[] { CheckNamespace(u.Name!.ToString()) },
            AttributeSyntax a => new[] { CheckTypeName(a.Name, attribute: true) },
            NameSyntax n when IsOutermostTypeName(n) => new[] { CheckTypeName(n, attribute: false) },
            MemberAccessExpressionSyntax m when IsOutermostChain(m) => CheckChain(m),
            _ => Array.Empty<string?>(),
        };
        return found.OfType<string>().ToList();
    }

    private string? CheckNamespace(string ns)
    {
        if (ns == "System.Linq" || ns.StartsWith("System.Linq.", StringComparison.Ordinal)) return "LINQ namespace " + ns;
        return _ownNamespaces.Contains(ns) || _allow.HasEntriesUnder(ns) ? null : "namespace " + ns + " is not on the nanoFramework allow-list";
    }

    private string? CheckTypeName(NameSyntax name, bool attribute)
    {
        List<string>? parts = Flatten(name);
        if (parts == null || parts[0] == "var" || parts[0] == "nameof" || _ownNames.Contains(parts[0])) return null;
        string dotted = string.Join(".", parts);
        string? type = Candidates(name, dotted).FirstOrDefault(_allow.AllowsType)
            ?? (attribute ? Candidates(name, dotted + "Attribute").FirstOrDefault(_allow.AllowsType) : null);
        if (type == null) return "type " + dotted + " is not on the nanoFramework allow-list";
        return _context.MissingReference("type " + type, _allow.MatchType(type)!);
    }

    private IEnumerable<string?> CheckChain(MemberAccessExpressionSyntax chain)
    {
        List<string>? parts = Flatten(chain);
        if (parts == null || _ownNames.Contains(parts[0])) return Array.Empty<string?>();
        for (int i = 1; i < parts.Count; i++)
        {
            string? type = Candidates(chain, string.Join(".", parts.Take(i))).FirstOrDefault(_allow.AllowsType);
            if (type != null) return CheckMemberChain(type, parts, i, IsCalled(chain));
        }
        return new[] { string.Join(".", parts) + " is not on the nanoFramework allow-list" };
    }

    /// <summary>Checks parts[first..] as members of <paramref name="type"/>, descending into nested types.</summary>
    private IEnumerable<string?> CheckMemberChain(string type, List<string> parts, int first, bool called)
    {
        string member = parts[first];
        string key = type + "." + member;
        AllowEntry? entry = _allow.MatchMemberNamed(type, member);
        if (entry == null) return new[] { key + " is not on the nanoFramework allow-list" };
        bool isNestedType = first + 1 < parts.Count && _allow.HasEntriesUnder(key);
        if (isNestedType) return CheckMemberChain(key, parts, first + 1, called);
        bool isCall = called && first + 1 == parts.Count;
        return new[] { _context.MissingReference(key, entry), isCall ? _context.ConditionalCall(key, Array.Empty<string>(), key) : null };
    }

    private static bool IsCalled(MemberAccessExpressionSyntax chain) =>
        chain.Parent is InvocationExpressionSyntax call && call.Expression == chain;

    /// <summary>The full names <paramref name="dotted"/> may stand for, given the usings and namespaces around <paramref name="at"/>.</summary>
    private static IEnumerable<string> Candidates(SyntaxNode at, string dotted)
    {
        yield return dotted;
        foreach (string ns in EnclosingNamespaces(at)) yield return ns + "." + dotted;
        CompilationUnitSyntax? unit = at.AncestorsAndSelf().OfType<CompilationUnitSyntax>().FirstOrDefault();
        if (unit == null) yield break;
        foreach (UsingDirectiveSyntax u in unit.DescendantNodes().OfType<UsingDirectiveSyntax>())
        {
            if (u.Alias == null && u.StaticKeyword.RawKind == 0 && u.Name != null) yield return u.Name + "." + dotted;
        }
    }

    private static IEnumerable<string> EnclosingNamespaces(SyntaxNode at) =>
        at.AncestorsAndSelf().OfType<BaseNamespaceDeclarationSyntax>().SelectMany(n => Prefixes(n.Name.ToString()));

    private static IEnumerable<string> Prefixes(string dotted)
    {
        string[] parts = dotted.Split('.');
        for (int i = 1; i <= parts.Length; i++) yield return string.Join(".", parts.Take(i));
    }

    /// <summary>The identifiers of a dotted name (<c>a.b.C</c>), or null when it is not a plain one.</summary>
    private static List<string>? Flatten(ExpressionSyntax expression)
    {
        switch (expression)
        {
            case IdentifierNameSyntax id:
                return new List<string> { id.Identifier.ValueText };
            case PredefinedTypeSyntax p when s_keywordTypes.TryGetValue(p.Keyword.ValueText, out string? full):
                return full.Split('.').ToList();
            case QualifiedNameSyntax q:
                return Append(Flatten(q.Left), q.Right);
            case MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } m:
                return Append(Flatten(m.Expression), m.Name);
            default:
                return null;
        }
    }

    private static List<string>? Append(List<string>? left, SimpleNameSyntax right)
    {
        if (left == null || right is not IdentifierNameSyntax) return null;
        left.Add(right.Identifier.ValueText);
        return left;
    }

    private static bool IsOutermostTypeName(NameSyntax name) =>
        name.Parent is not QualifiedNameSyntax && name.Parent is not UsingDirectiveSyntax && name.Parent is not AttributeSyntax
        && name.Parent is not BaseNamespaceDeclarationSyntax
        && (SyntaxFacts.IsInTypeOnlyContext(name) || name.Parent is ObjectCreationExpressionSyntax o && o.Type == name);

    private static bool IsOutermostChain(MemberAccessExpressionSyntax access) =>
        !(access.Parent is MemberAccessExpressionSyntax outer && outer.Expression == access)
        && !SyntaxFacts.IsInTypeOnlyContext(access);

    private static IEnumerable<string> DeclaredNames(SyntaxNode node) => node switch
    {
        BaseTypeDeclarationSyntax t => new[] { t.Identifier.ValueText },
        DelegateDeclarationSyntax d => new[] { d.Identifier.ValueText },
        MethodDeclarationSyntax m => new[] { m.Identifier.ValueText },
        PropertyDeclarationSyntax p => new[] { p.Identifier.ValueText },
        EventDeclarationSyntax e => new[] { e.Identifier.ValueText },
        EnumMemberDeclarationSyntax e => new[] { e.Identifier.ValueText },
        VariableDeclaratorSyntax v => new[] { v.Identifier.ValueText },
        ParameterSyntax p => new[] { p.Identifier.ValueText },
        SingleVariableDesignationSyntax s => new[] { s.Identifier.ValueText },
        ForEachStatementSyntax f => new[] { f.Identifier.ValueText },
        CatchDeclarationSyntax c => new[] { c.Identifier.ValueText },
        LocalFunctionStatementSyntax f => new[] { f.Identifier.ValueText },
        TypeParameterSyntax t => new[] { t.Identifier.ValueText },
        BaseNamespaceDeclarationSyntax n => n.Name.ToString().Split('.'),
        _ => Array.Empty<string>(),
    };
}
