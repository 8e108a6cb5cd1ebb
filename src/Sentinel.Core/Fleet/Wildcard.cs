namespace Sentinel.Fleet;

/// <summary>PowerShell-style wildcards (* ? [abc] [a-z]), case-insensitive, with no PowerShell dependency.</summary>
public static class Wildcard
{
    public static bool IsMatch(string text, string pattern) => Match(text.AsSpan(), pattern.AsSpan());

    public static bool HasWildcards(string pattern) => pattern.AsSpan().IndexOfAny("*?[") >= 0;

    private static bool Match(ReadOnlySpan<char> text, ReadOnlySpan<char> pattern)
    {
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (p < pattern.Length && MatchOne(text[t], pattern, ref p))
            {
                t++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Matches one character at pattern[p] and advances p past it (a whole [set] counts as one).</summary>
    private static bool MatchOne(char c, ReadOnlySpan<char> pattern, ref int p)
    {
        char pc = pattern[p];
        if (pc == '?')
        {
            p++;
            return true;
        }
        if (pc == '[')
        {
            int close = pattern[(p + 1)..].IndexOf(']');
            if (close > 0)
            {
                var set = pattern.Slice(p + 1, close);
                bool hit = false;
                for (int i = 0; i < set.Length; i++)
                {
                    if (i + 2 < set.Length && set[i + 1] == '-')
                    {
                        hit |= char.ToLowerInvariant(c) >= char.ToLowerInvariant(set[i]) && char.ToLowerInvariant(c) <= char.ToLowerInvariant(set[i + 2]);
                        i += 2;
                    }
                    else
                    {
                        hit |= char.ToLowerInvariant(c) == char.ToLowerInvariant(set[i]);
                    }
                }
                if (hit)
                {
                    p += close + 2;
                }
                return hit;
            }
        }
        if (char.ToLowerInvariant(pc) == char.ToLowerInvariant(c))
        {
            p++;
            return true;
        }
        return false;
    }
}
