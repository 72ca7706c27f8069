namespace Vmap.Tests.Gate;

/// <summary>Finds the repository the tests were built from.</summary>
public static class RepoRoot
{
    /// <summary>The directory holding <c>Firmware.sln</c>, found by walking up from the test assembly.</summary>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Firmware.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Firmware.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary><paramref name="path"/> relative to <paramref name="root"/> with '/' separators (unchanged when outside it).</summary>
    public static string Relative(string root, string path)
    {
        string relative = Path.GetRelativePath(root, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative.Replace('\\', '/');
    }

    /// <summary>Every file named like <paramref name="pattern"/> under <paramref name="root"/>, outside build and tool folders.</summary>
    public static IEnumerable<string> FindFiles(string root, string pattern) =>
        Directory.EnumerateFiles(root, pattern, SearchOption.AllDirectories)
            .Where(f => !IsIgnored(Path.GetRelativePath(root, f)))
            .OrderBy(f => f, StringComparer.Ordinal);

    private static readonly string[] s_ignoredFolders = { "bin", "obj", ".git", ".vs", "packages", "TestResults" };

    private static bool IsIgnored(string relativePath) =>
        relativePath.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).SkipLast(1).Any(s_ignoredFolders.Contains);
}
