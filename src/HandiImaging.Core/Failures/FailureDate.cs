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
            // Fast paths for the two forms failure files use (no DateTime parsing or formatting per record).
            if (t.Length == 10 && t[4] == '-' && t[7] == '-' && IsValid(t, 0, 5, 8)) return t;
            if (t.Length == 8 && AllDigits(t, 8) && IsValid(t, 0, 4, 6))
                return new string(new[] { t[0], t[1], t[2], t[3], '-', t[4], t[5], '-', t[6], t[7] });
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

        /// <summary>Digits at yyyy/MM/dd offsets that form a real calendar date.</summary>
        private static bool IsValid(string s, int year, int month, int day)
        {
            if (!Digits(s, year, 4) || !Digits(s, month, 2) || !Digits(s, day, 2)) return false;
            var y = (s[year] - '0') * 1000 + (s[year + 1] - '0') * 100 + (s[year + 2] - '0') * 10 + (s[year + 3] - '0');
            var m = (s[month] - '0') * 10 + (s[month + 1] - '0');
            var d = (s[day] - '0') * 10 + (s[day + 1] - '0');
            return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, m);
        }

        private static bool Digits(string s, int start, int count)
        {
            for (var i = start; i < start + count; i++) if (s[i] < '0' || s[i] > '9') return false;
            return true;
        }

        private static bool AllDigits(string s, int count)
        {
            for (var i = 0; i < count; i++) if (s[i] < '0' || s[i] > '9') return false;
            return true;
        }
    }
}
