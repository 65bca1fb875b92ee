using System;
using System.Text;

namespace HandiImaging.Core.Rules
{
    /// <summary>
    /// The normalised form study descriptions are matched on: trimmed, runs of white space collapsed to one
    /// space, and compared case-insensitively (ordinal, via <see cref="Comparer"/>). <c>(blank)</c> in a rules
    /// list means the empty description. A final full stop is kept: "CT Neck" and "CT Neck." are different.
    /// </summary>
    public static class StudyDescription
    {
        /// <summary>How the rules list writes "the description is empty".</summary>
        public const string BlankMarker = "(blank)";

        /// <summary>Compares normalised descriptions.</summary>
        public static readonly StringComparer Comparer = StringComparer.OrdinalIgnoreCase;

        /// <summary>The normalised form (case kept; compare with <see cref="Comparer"/>). Null and (blank) give "".</summary>
        public static string Normalize(string? description)
        {
            if (description is null || description.Length == 0) return "";
            var text = IsNormal(description) ? description : Collapse(description);
            return text.Length == BlankMarker.Length && string.Equals(text, BlankMarker, StringComparison.OrdinalIgnoreCase) ? "" : text;
        }

        /// <summary>How a description is written into a rules or review file: normalised, and (blank) for empty.</summary>
        public static string ToEntry(string? description)
        {
            var normal = Normalize(description);
            return normal.Length == 0 ? BlankMarker : normal;
        }

        // Most descriptions PACS sends are already normal; checking is cheaper than building a new string.
        private static bool IsNormal(string text)
        {
            if (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[text.Length - 1])) return false;
            for (var i = 1; i < text.Length - 1; i++)
            {
                var c = text[i];
                if (c == ' ')
                {
                    if (char.IsWhiteSpace(text[i + 1])) return false;
                }
                else if (c < 128 ? (c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') : char.IsWhiteSpace(c))
                {
                    return false;
                }
            }
            return true;
        }

        private static string Collapse(string text)
        {
            var builder = new StringBuilder(text.Length);
            var pendingSpace = false;
            foreach (var c in text)
            {
                if (char.IsWhiteSpace(c))
                {
                    pendingSpace = builder.Length > 0;
                    continue;
                }
                if (pendingSpace) builder.Append(' ');
                pendingSpace = false;
                builder.Append(c);
            }
            return builder.ToString();
        }
    }
}
