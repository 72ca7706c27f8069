namespace Vmap.Sim;

/// <summary>
/// Reads the text inputs of the runner (traces, serial captures) from a file or, for <c>-</c>,
/// standard input, with bounds: a line longer than <see cref="MaxLineChars"/> or an input larger
/// than <see cref="MaxChars"/> stops the read with a one-line error that names the line, so
/// <c>replay /dev/zero</c> or a binary file is refused instead of exhausting memory.
/// </summary>
public static class InputText
{
    /// <summary>The longest line accepted: a trace line or a results line is well under 1 000 characters.</summary>
    public const int MaxLineChars = 4096;

    /// <summary>The largest input accepted: 256 Mi characters (a trace of about 13 million operations).</summary>
    public const long MaxChars = 256L << 20;

    /// <summary>Standard input when a command names <c>-</c>; tests set their own.</summary>
    private static readonly AsyncLocal<TextReader?> s_input = new();

    internal static TextReader StandardInput
    {
        get => s_input.Value ?? System.Console.In;
        set => s_input.Value = value;
    }

    /// <summary>Reads <paramref name="path"/> (or standard input for <c>-</c>); throws <see cref="UsageException"/> when it cannot or the bounds are broken.</summary>
    public static string Read(string path, string what)
    {
        if (path == "-") return Read(StandardInput, "standard input");
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new UsageException($"{full}: is a directory, not a {what}");
        if (!File.Exists(full)) throw new UsageException($"{full}: no such file");
        using var reader = new StreamReader(full);
        return Read(reader, full);
    }

    /// <summary>Reads <paramref name="reader"/> to its end within the bounds; <paramref name="name"/> names it in errors.</summary>
    public static string Read(TextReader reader, string name)
    {
        var sb = new System.Text.StringBuilder();
        var buffer = new char[1 << 16];
        int line = 1;
        int column = 0;
        int n;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] == '\n')
                {
                    line++;
                    column = 0;
                }
                else if (++column > MaxLineChars)
                {
                    throw new UsageException($"{name}: line {line}: longer than {MaxLineChars} characters (not a text trace or log?)");
                }
            }
            if (sb.Length + n > MaxChars) throw new UsageException($"{name}: line {line}: the input is larger than {MaxChars >> 20} MiB, the most the runner reads");
            sb.Append(buffer, 0, n);
        }
        return sb.ToString();
    }
}
