using System;
using System.Globalization;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Failures
{
    /// <summary>
    /// Study dates in failure records: ISO (yyyy-MM-dd, as the CSC team writes them) or DICOM (yyyyMMdd), each
    /// possibly followed by a time. Nothing else is guessed — in particular no dd/MM or MM/dd.
    /// </summary>
    public static class FailureDate
    {
        public const string PlaceholderIso = "2099-01-01";

        /// <summary>
        /// Returns yyyy-MM-dd for a readable date, otherwise the text as given (trimmed) with
        /// <paramref name="parsed"/> false. Empty stays empty and counts as parsed (nothing to warn about).
        /// </summary>
        public static string Normalize(string? text, out bool parsed)
        {
            var t = text?.Trim() ?? "";
            parsed = true;
            if (t.Length == 0) return "";
            if (TryParse(t, out var date)) return DateValue.ToIso(date);
            parsed = false;
            return t;
        }

        public static bool TryParse(string text, out DateTime date)
        {
            date = default;
            // yyyy-MM-dd, optionally followed by a time ("T…" or " …").
            if (text.Length >= 10 && text[4] == '-' && text[7] == '-' && (text.Length == 10 || text[10] == 'T' || text[10] == ' '))
                return DateValue.TryParseExact(text.Substring(0, 10), DateValue.Iso, out date);
            // yyyyMMdd, optionally followed by a DICOM time (digits, '.', timezone offset).
            if (text.Length >= 8 && AllDigits(text, 8) && (text.Length == 8 || char.IsDigit(text[8]) || text[8] == '.'))
                return DateValue.TryParseExact(text.Substring(0, 8), DateValue.Dicom, out date);
            return false;
        }

        public static bool IsPlaceholder(string normalizedDate) => string.Equals(normalizedDate, PlaceholderIso, StringComparison.Ordinal);

        private static bool AllDigits(string s, int count)
        {
            for (var i = 0; i < count; i++) if (s[i] < '0' || s[i] > '9') return false;
            return true;
        }
    }
}
