using System.Text.RegularExpressions;

namespace Vmap.Sim.Boards;

/// <summary>Edits values in a board profile's text, keeping every comment, blank line, the order and the spacing.</summary>
public static partial class ProfileWriter
{
    [GeneratedRegex(@"^(?<lead>\s*)(?<key>[A-Za-z_][A-Za-z0-9_]*)(?<eq>\s*=\s*)(?<value>[^#\r]*?)(?<tail>\s*(#.*)?)(?<cr>\r?)$")]
    private static partial Regex KeyLine();

    /// <summary>Returns <paramref name="text"/> with the values of <paramref name="values"/>' keys replaced.</summary>
    public static string Update(string text, IReadOnlyDictionary<string, string> values) => Update(text, values, null);

    /// <summary>
    /// As <see cref="Update(string, IReadOnlyDictionary{string, string})"/>; a key in
    /// <paramref name="lineComments"/> also gets that comment at the end of its line (replacing
    /// the one it had there; the comment lines above it stay).
    /// </summary>
    public static string Update(string text, IReadOnlyDictionary<string, string> values, IReadOnlyDictionary<string, string>? lineComments)
    {
        var seen = new HashSet<string>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            Match m = KeyLine().Match(lines[i]);
            if (!m.Success || !values.TryGetValue(m.Groups["key"].Value, out string? value)) continue;
            string tail = lineComments != null && lineComments.TryGetValue(m.Groups["key"].Value, out string? comment)
                ? "  # " + comment.Replace('\n', ' ').Replace('\r', ' ')
                : m.Groups["tail"].Value;
            lines[i] = m.Groups["lead"].Value + m.Groups["key"].Value + m.Groups["eq"].Value + value + tail + m.Groups["cr"].Value;
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

    /// <summary>
    /// Updates the profile at <paramref name="path"/> in place: the new text must load as a
    /// profile (nothing is written otherwise), and it replaces the old one atomically (a
    /// temporary file next to it, then a rename), so a crash leaves the old profile or the new
    /// one, never half of one.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, string> values, IReadOnlyDictionary<string, string>? lineComments = null)
    {
        string updated = Update(File.ReadAllText(path), values, lineComments);
        BoardProfile.Parse(updated, path); // never write a profile that would not load
        WriteAtomically(path, updated);
    }
}
