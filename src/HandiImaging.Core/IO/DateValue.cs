using System;
using System.Globalization;

namespace HandiImaging.Core.IO
{
    /// <summary>
    /// Culture-invariant dates. Every file format names its own date format; nothing here guesses month-first.
    /// </summary>
    public static class DateValue
    {
        /// <summary>XNAT and our own files: yyyy-MM-dd.</summary>
        public const string Iso = "yyyy-MM-dd";
        /// <summary>DICOM DA: yyyyMMdd.</summary>
        public const string Dicom = "yyyyMMdd";
        /// <summary>Data warehouse extracts: dd/MM/yyyy.</summary>
        public const string Uk = "dd/MM/yyyy";

        /// <summary>The placeholder date of studies that were scheduled but never done.</summary>
        public static readonly DateTime Placeholder = new DateTime(2099, 1, 1);

        public static bool TryParseExact(string? text, string format, out DateTime date) =>
            DateTime.TryParseExact(text?.Trim(), format, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

        /// <summary>Tries each of <paramref name="formats"/> in order (the caller decides which formats a file may use).</summary>
        public static bool TryParseAny(string? text, string[] formats, out DateTime date) =>
            DateTime.TryParseExact(text?.Trim(), formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

        public static string ToIso(DateTime date) => date.ToString(Iso, CultureInfo.InvariantCulture);

        public static string ToDicom(DateTime date) => date.ToString(Dicom, CultureInfo.InvariantCulture);
    }
}
