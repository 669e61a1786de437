using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using MLOps.Web.Tests.Deploy;

namespace MLOps.Web.Tests.Unit.Architecture;

/// <summary>
/// Small rooms (../shared/design/ARCHITECTURE.md): no source file under MLOps.Web/ past 350 lines
/// and no method, constructor, accessor or local function past 60 lines, measured on the Roslyn
/// syntax tree. A generated file or a data table may opt out with a first-line comment
/// <c>// room-size: exempt (why)</c>; the reason is required.
/// </summary>
public sealed class RoomSizeTests
{
    public const int MaxFileLines = 350;
    public const int MaxMethodLines = 60;
    private const string ExemptMarker = "// room-size: exempt (";

    /// <summary>
    /// Rooms that are still too big, by path relative to MLOps.Web/ (file) or "path: Type.Member"
    /// (method). Shrinks to empty as the structure issue lands; a name here that is no longer too big
    /// fails too, so the list cannot go stale.
    /// </summary>
    private static readonly HashSet<string> KnownOversize = new(StringComparer.Ordinal)
    {
    };

    [Fact]
    public void No_file_or_method_under_MLOps_Web_is_past_its_size_outside_the_known_list()
    {
        var found = Oversize().ToHashSet(StringComparer.Ordinal);
        var unexpected = found.Except(KnownOversize).Order(StringComparer.Ordinal).ToList();
        Assert.True(unexpected.Count == 0, "Too big (split at the seam):\n" + string.Join("\n", unexpected));
        var stale = KnownOversize.Except(found).Order(StringComparer.Ordinal).ToList();
        Assert.True(stale.Count == 0, "No longer too big, remove from KnownOversize:\n" + string.Join("\n", stale));
    }

    [Fact]
    public void The_measure_sees_a_long_method_and_a_long_file()
    {
        var body = string.Join("\n", Enumerable.Range(0, 70).Select(i => $"        var x{i} = {i};"));
        var source = $"class A\n{{\n    void Long()\n    {{\n{body}\n    }}\n\n    void Short() {{ }}\n}}\n";
        var tree = CSharpSyntaxTree.ParseText(source);
        Assert.Equal(["A.Long"], [.. LongMembers(tree).Select(m => m.Name)]);
        Assert.True(tree.GetText().Lines.Count > 70);
    }

    private static IEnumerable<string> Oversize()
    {
        var root = RepositoryFiles.PathOf("MLOps.Web");
        foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
            {
                continue;
            }

            var text = File.ReadAllText(path);
            if (text.StartsWith(ExemptMarker, StringComparison.Ordinal))
            {
                continue;
            }

            var tree = CSharpSyntaxTree.ParseText(text, path: path);
            if (tree.GetText().Lines.Count > MaxFileLines)
            {
                yield return relative;
            }

            foreach (var member in LongMembers(tree))
            {
                yield return $"{relative}: {member.Name}";
            }
        }
    }

    private static IEnumerable<(string Name, int Lines)> LongMembers(SyntaxTree tree)
    {
        foreach (var node in tree.GetRoot().DescendantNodes())
        {
            var name = node switch
            {
                MethodDeclarationSyntax m => m.Identifier.Text,
                ConstructorDeclarationSyntax c => c.Identifier.Text + ".ctor",
                AccessorDeclarationSyntax a when a.Parent?.Parent is BasePropertyDeclarationSyntax p => $"{PropertyName(p)}.{a.Keyword.Text}",
                LocalFunctionStatementSyntax l => l.Identifier.Text,
                OperatorDeclarationSyntax o => "operator " + o.OperatorToken.Text,
                _ => null,
            };
            if (name is null)
            {
                continue;
            }

            var span = node.GetLocation().GetLineSpan();
            var lines = span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
            if (lines > MaxMethodLines)
            {
                var type = node.Ancestors().OfType<BaseTypeDeclarationSyntax>().FirstOrDefault()?.Identifier.Text;
                yield return (type is null ? name : $"{type}.{name}", lines);
            }
        }
    }

    private static string PropertyName(BasePropertyDeclarationSyntax p) => p switch
    {
        PropertyDeclarationSyntax prop => prop.Identifier.Text,
        IndexerDeclarationSyntax => "this[]",
        EventDeclarationSyntax e => e.Identifier.Text,
        _ => "?",
    };
}
