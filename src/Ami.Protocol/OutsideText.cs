using System.Text;

namespace AmiSim.Protocol;

/// <summary>
/// Text that came from outside (an endpoint's reply, a package's field, a file name) made safe to show
/// on a console or in a log: control characters and other non-printing characters become <c>\xNN</c>
/// (or <c>\uNNNN</c>), and anything past <paramref name="max"/> characters is cut, saying how much was.
/// </summary>
public static class OutsideText
{
    public const int DefaultMax = 200;

    public static string Clean(string? text, int max = DefaultMax)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var shown = Math.Min(text.Length, max);
        var clean = new StringBuilder(shown + 16);
        for (var i = 0; i < shown; i++)
        {
            var c = text[i];
            if (c == '\uFFFD' || char.IsControl(c) || char.IsSurrogate(c) || char.GetUnicodeCategory(c) is
                    System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator
                    or System.Globalization.UnicodeCategory.ParagraphSeparator or System.Globalization.UnicodeCategory.OtherNotAssigned)
                clean.Append(c <= 0xFF ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
            else clean.Append(c);
        }
        if (text.Length > shown) clean.Append($"... ({text.Length - shown:N0} more characters)");
        return clean.ToString();
    }
}
