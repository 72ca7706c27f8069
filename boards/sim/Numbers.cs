using System.Globalization;

namespace Vmap.Sim;

/// <summary>Number syntax shared by the runner's options, traces and profiles.</summary>
public static class Numbers
{
    /// <summary>Parses a decimal or 0x-prefixed hexadecimal unsigned number; no signs, no spaces.</summary>
    public static bool TryParseULong(string text, out ulong value)
    {
        value = 0;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            string digits = text[2..];
            return digits.Length > 0 && digits.All(Uri.IsHexDigit)
                && ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        return text.Length > 0 && text.All(char.IsAsciiDigit)
            && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Parses a decimal unsigned number (traces: sizes and ids are decimal).</summary>
    public static bool TryParseDecimal(string text, out ulong value)
    {
        value = 0;
        return text.Length > 0 && text.All(char.IsAsciiDigit)
            && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
