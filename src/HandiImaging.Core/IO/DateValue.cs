using System;
using System.Globalization;

namespace HandiImaging.Core.IO
{
    /// <summary>
    /// Culture-invariant dates, and the one rule for every date a user gives (parameters, piped properties, file
    /// cells): <c>yyyy-MM-dd</c>, <c>yyyyMMdd</c> or day-first <c>dd/MM/yyyy</c> (the NHS convention, and what
    /// Excel in a UK locale re-saves dates as), each optionally followed by a time. Nothing is ever read
    /// month-first: <c>12/31/2024</c> is an error, <c>04/10/2024</c> is 4 October.
    /// </summary>
    public static class DateValue
    {
        /// <summary>XNAT and our own files: yyyy-MM-dd.</summary>
        public const string Iso = "yyyy-MM-dd";
        /// <summary>DICOM DA: yyyyMMdd.</summary>
        public const string Dicom = "yyyyMMdd";
        /// <summary>Data warehouse extracts: dd/MM/yyyy.</summary>
        public const string Uk = "dd/MM/yyyy";

        /// <summary>The forms a user may write a date in, for error messages.</summary>
        public const string AcceptedForms = "yyyy-MM-dd, yyyyMMdd or dd/MM/yyyy (day first)";

        /// <summary>The placeholder date of studies that were scheduled but never done.</summary>
        public static readonly DateTime Placeholder = new DateTime(2099, 1, 1);

        /// <summary>The earliest date any file of the procedure can hold (a year typed as 0024 or 1024 is a typo).</summary>
        public static readonly DateTime Earliest = new DateTime(1900, 1, 1);

        /// <summary>Every form of the user-date rule, tried in order. Day-first only; times are allowed and dropped.</summary>
        private static readonly string[] UserFormats =
        {
            Iso, Dicom, Uk, "d/M/yyyy",
            "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
            "dd/MM/yyyy HH:mm", "dd/MM/yyyy HH:mm:ss", "d/M/yyyy H:mm", "d/M/yyyy H:mm:ss",
        };

        public static bool TryParseExact(string? text, string format, out DateTime date) =>
            DateTime.TryParseExact(text?.Trim(), format, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

        /// <summary>Tries each of <paramref name="formats"/> in order (the caller decides which formats a file may use).</summary>
        public static bool TryParseAny(string? text, string[] formats, out DateTime date) =>
            DateTime.TryParseExact(text?.Trim(), formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

        /// <summary>
        /// The user-date rule: true and the date (time of day dropped) for a value in one of the accepted forms.
        /// An exact yyyy-MM-dd is read digit by digit first (the session exports hold millions of them).
        /// </summary>
        public static bool TryParseUser(string? text, out DateTime date)
        {
            var t = text?.Trim() ?? "";
            if (t.Length == 10 && t[4] == '-' && t[7] == '-')
            {
                var y = Digits(t, 0, 4);
                var m = Digits(t, 5, 2);
                var d = Digits(t, 8, 2);
                if (y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, m))
                {
                    date = new DateTime(y, m, d);
                    return true;
                }
                date = default;
                return false;
            }
            if (!DateTime.TryParseExact(t, UserFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
                return false;
            date = date.Date;
            return true;
        }

        /// <summary>The user-date rule, throwing <see cref="FormatException"/> that names the value and the accepted forms.</summary>
        public static DateTime ParseUser(string? text, string what)
        {
            if (TryParseUser(text, out var date)) return date;
            throw new FormatException(Problem(text, what));
        }

        /// <summary>"'12/31/2024' is not a date: …" — the message of a value the rule rejects.</summary>
        public static string Problem(string? text, string what)
        {
            var t = (text ?? "").Trim();
            var hint = LooksMonthFirst(t) ? " (dates are read day first, as the NHS writes them; 12/31/2024 would be month first)" : "";
            return $"{what} '{t}' is not a date in the form {AcceptedForms}{hint}";
        }

        /// <summary>Reads a file cell by the rule; an error names file, line, field, value and the accepted forms.</summary>
        public static DateTime ParseCell(string text, string file, long line, string field)
        {
            if (TryParseUser(text, out var date)) return date;
            throw new InputFormatException(file, line, field, Problem(text, "the value")) { Code = "InvalidDate" };
        }

        /// <summary>
        /// A date that records when something happened (a query, a sighting, a decision): not later than
        /// <paramref name="today"/> (one day's grace for time zones) and not before 1900. The 2099-01-01
        /// placeholder is never such a date. Null when the date is fine, else the reason.
        /// </summary>
        public static string? PastDateProblem(DateTime date, DateTime today)
        {
            if (date.Date == Placeholder) return $"{ToIso(date)} is the placeholder of studies never done, not a real date";
            if (date.Date > today.Date.AddDays(1)) return $"{ToIso(date)} is in the future (today is {ToIso(today)})";
            if (date.Date < Earliest) return $"{ToIso(date)} is before {ToIso(Earliest)}; is the year mistyped?";
            return null;
        }

        /// <summary>Any date a user gives (a window bound, a reference date): between 1900 and 2098 (2099 is the placeholder year).</summary>
        public static string? RangeProblem(DateTime date)
        {
            if (date.Date < Earliest) return $"{ToIso(date)} is before {ToIso(Earliest)}; is the year mistyped?";
            if (date.Date >= Placeholder) return $"{ToIso(date)} is on or after the {ToIso(Placeholder)} placeholder; is the year mistyped?";
            return null;
        }

        private static bool LooksMonthFirst(string t)
        {
            var parts = t.Split('/');
            return parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var second) && second > 12 && second <= 31
                   && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first) && first <= 12;
        }

        private static int Digits(string text, int start, int count)
        {
            var value = 0;
            for (var i = start; i < start + count; i++)
            {
                var c = text[i];
                if (c < '0' || c > '9') return -1;
                value = value * 10 + (c - '0');
            }
            return value;
        }

        public static string ToIso(DateTime date) => date.ToString(Iso, CultureInfo.InvariantCulture);

        public static string ToDicom(DateTime date) => date.ToString(Dicom, CultureInfo.InvariantCulture);
    }
}
