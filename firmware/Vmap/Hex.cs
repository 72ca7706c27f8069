namespace Vmap;

/// <summary>Lower-case hexadecimal without format providers (listings and errors only, never a hot path).</summary>
public static class Hex
{
    private const string Digits = "0123456789abcdef";

    /// <summary>The shortest lower-case hex form of <paramref name="value"/>, without prefix.</summary>
    public static string Format(ulong value)
    {
        if (value == 0) return "0";
        var chars = new char[16];
        int i = 16;
        while (value != 0)
        {
            chars[--i] = Digits[(int)(value & 0xF)];
            value >>= 4;
        }
        return new string(chars, i, 16 - i);
    }
}
