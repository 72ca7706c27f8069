using System.Text.RegularExpressions;

namespace Vmap.Sim.Boards;

/// <summary>Edits values in a board profile's text, keeping every comment, blank line, the order and the spacing.</summary>
public static partial class ProfileWriter
{
    [GeneratedRegex(@"^(?<lead>\s*)(?<key>[A-Za-z_][A-Za-z0-9_]*)(?<eq>\s*=\s*)(?<value>[^#\r]*?)(?<tail>\s*(#.*)?)(?<cr>\r?)$")]
    private static partial Regex KeyLine();

    /// <summary>Returns <paramref name="text"/> with the values of <paramref name="values"/>' keys replaced.</summary>
    public static string Update(string text, IReadOnlyDictionary<string, string> values)
    {
        var seen = new HashSet<string>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            Match m = KeyLine().Match(lines[i]);
            if (!m.Success || !values.TryGetValue(m.Groups["key"].Value, out string? value)) continue;
            lines[i] = m.Groups["lead"].Value + m.Groups["key"].Value + m.Groups["eq"].Value + value + m.Groups["tail"].Value + m.Groups["cr"].Value;
            seen.Add(m.Groups["key"].Value);
        }
        string missing = string.Join(", ", values.Keys.Where(k => !seen.Contains(k)));
        if (missing.Length > 0) throw new ProfileException("(profile)", 0, null, "no line to update for: " + missing);
        return string.Join('\n', lines);
    }

    /// <summary>
    /// Replaces the profile at <paramref name="path"/> with <paramref name="text"/> atomically: a
    /// temporary file in the same directory, then a rename over the profile, so a reader (or a
    /// crash) never sees half a profile. Only that file changes.
    /// </summary>
    public static void WriteAtomically(string path, string text)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
