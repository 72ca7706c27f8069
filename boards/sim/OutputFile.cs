namespace Vmap.Sim;

/// <summary>
/// The files the runner writes (<c>--json</c>, <c>--emit-log</c>, <c>--svg</c>, <c>--out</c>),
/// checked before any work starts: a path that is a directory, lies in a directory that does
/// not exist or cannot be written is a one-line error (exit 2) at once, not after a sweep of
/// several minutes. <c>-</c> means standard output where a verb allows it.
/// </summary>
public static class OutputFile
{
    /// <summary>The name that stands for standard output.</summary>
    public const string Stdout = "-";

    /// <summary>
    /// Checks that <paramref name="path"/> can be written and returns its full path (or
    /// <see cref="Stdout"/> when <paramref name="allowStdout"/> and the path is <c>-</c>).
    /// Creates no file that was not there before.
    /// </summary>
    public static string Check(string path, string option, bool allowStdout = false)
    {
        if (path == Stdout)
        {
            if (allowStdout) return Stdout;
            throw new UsageException($"option {option}: '-' (standard output) is not accepted here; give a file name");
        }
        if (path.Length == 0) throw new UsageException($"option {option}: empty file name");
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new UsageException($"option {option}: {full} is a directory; give a file name");
        string dir = Path.GetDirectoryName(full) ?? full;
        if (!Directory.Exists(dir)) throw new UsageException($"option {option}: cannot write {full}: no such directory {dir}");
        bool existed = File.Exists(full);
        try
        {
            // Opened for writing without truncating, then closed: proves the path writable and leaves it as it was.
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"option {option}: cannot write {full}: {e.Message}");
        }
        finally
        {
            if (!existed && File.Exists(full)) File.Delete(full);
        }
        return full;
    }
}
