using System;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Xnat
{
    /// <summary>
    /// The date and identifier rules the XNAT code uses, in one place (so the project-wide rules can replace
    /// them in one edit): XNAT dates are yyyy-MM-dd, timestamps yyyy-MM-dd HH:mm:ss[.f…]; a subject label is the
    /// NHS number, or NN_&lt;HospitalId&gt; without one.
    /// </summary>
    public static class XnatValues
    {
        private static readonly string[] TimestampFormats =
        {
            "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd",
        };

        /// <summary>An XNAT date (yyyy-MM-dd); null when empty or unreadable.</summary>
        public static DateTime? ParseDate(string? text) =>
            DateValue.TryParseExact(text, DateValue.Iso, out var date) ? date : (DateTime?)null;

        /// <summary>An XNAT timestamp (insert_date); null when empty or unreadable.</summary>
        public static DateTime? ParseTimestamp(string? text) =>
            DateValue.TryParseAny(text, TimestampFormats, out var date) ? date : (DateTime?)null;

        public static string FormatDate(DateTime? date) => date.HasValue ? DateValue.ToIso(date.Value) : "";

        /// <summary>Dates for DQR: yyyyMMdd.</summary>
        public static string FormatDicomDate(DateTime date) => DateValue.ToDicom(date);

        /// <summary>
        /// A study date as given by a pipeline (a DateTime, or text in yyyy-MM-dd or yyyyMMdd); null when empty
        /// or unreadable.
        /// </summary>
        public static DateTime? ReadStudyDate(object? value)
        {
            switch (value)
            {
                case null: return null;
                case DateTime date: return date.Date;
                case DateTimeOffset offset: return offset.Date;
                default:
                    var text = value.ToString();
                    if (DateValue.TryParseAny(text, new[] { DateValue.Iso, DateValue.Dicom }, out var parsed)) return parsed;
                    return null;
            }
        }

        /// <summary>The XNAT subject label of a patient: the NHS number (spaces removed), or NN_&lt;HospitalId&gt;.</summary>
        public static string SubjectLabel(string hospitalId, string? nhsNumber) =>
            CohortPatient.SubjectFor(hospitalId.Trim(), nhsNumber?.Replace(" ", ""));

        public static long ToEpochMilliseconds(DateTime utc) =>
            (long)Math.Round(((utc.Kind == DateTimeKind.Local ? utc.ToUniversalTime() : utc) - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalMilliseconds);

        public static DateTime? FromEpochMilliseconds(long? ms) =>
            ms.HasValue ? new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(ms.Value) : (DateTime?)null;
    }
}
