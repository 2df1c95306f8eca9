using System.Text;

namespace Zrpc.Rpc;

/// <summary>
/// Makes text safe for a log line: a peer chooses endpoint names, error messages and JSON, and
/// must not be able to forge log lines (a line feed), hide text (terminal escapes) or fill the log
/// (a 10 MiB message). Control characters, lone surrogates and backslash are escaped; text past the
/// cap is cut and the cut is marked.
/// </summary>
internal static class LogText
{
    /// <summary>The most characters of one peer-supplied string in a log line.</summary>
    public const int MaxFieldChars = 256;

    /// <summary>The most characters of a whole log line.</summary>
    public const int MaxLineChars = 2048;

    /// <summary>Escapes <paramref name="text"/> and cuts it after <paramref name="maxChars"/> characters of input.</summary>
    /// <param name="escapeBackslash">
    /// False for a whole line whose peer-supplied parts were cleaned already, so that their escapes
    /// are not escaped twice.
    /// </param>
    public static string Clean(string? text, int maxChars = MaxFieldChars, bool escapeBackslash = true)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        int keep = Math.Min(text.Length, maxChars);
        if (keep < text.Length && char.IsHighSurrogate(text[keep - 1])) keep--; // never split a pair
        var sb = new StringBuilder(keep + 16);
        for (int i = 0; i < keep; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) && i + 1 < keep)
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }

            switch (c)
            {
                case '\\' when escapeBackslash: sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                case < ' ' or '\u007f' or (>= '\u0080' and <= '\u009f') or '\u2028' or '\u2029' or (>= '\ud800' and <= '\udfff'):
                    sb.Append(@"\u").Append(((int)c).ToString("x4"));
                    break;
                default: sb.Append(c); break;
            }
        }

        if (keep < text.Length) sb.Append($"…[cut: {text.Length - keep} more chars]");
        return sb.ToString();
    }
}
