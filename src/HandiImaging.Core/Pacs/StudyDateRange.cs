using System;
using System.Globalization;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Pacs
{
    /// <summary>
    /// A DICOM date range (PS3.4 C.2.2.2.5): both ends inclusive, either end open. Knows how to halve itself,
    /// which is how a truncated C-FIND answer is completed.
    /// </summary>
    public readonly struct StudyDateRange : IEquatable<StudyDateRange>
    {
        public StudyDateRange(DateTime? from, DateTime? to)
        {
            From = from?.Date;
            To = to?.Date;
            if (From > To) throw new ArgumentException($"The date range starts ({DateValue.ToIso(From!.Value)}) after it ends ({DateValue.ToIso(To!.Value)}).");
        }

        public DateTime? From { get; }
        public DateTime? To { get; }

        public static StudyDateRange All => default;
        public bool IsAll => From is null && To is null;
        public bool IsSingleDay => From.HasValue && From == To;

        /// <summary>Parses the DICOM form: <c>yyyyMMdd</c>, <c>yyyyMMdd-yyyyMMdd</c>, <c>-yyyyMMdd</c>, <c>yyyyMMdd-</c>.</summary>
        public static StudyDateRange Parse(string text)
        {
            var value = (text ?? "").Trim();
            if (value.Length == 0) return All;
            var dash = value.IndexOf('-');
            if (dash < 0)
            {
                var day = ParseDay(value, text!);
                return new StudyDateRange(day, day);
            }
            var left = value.Substring(0, dash).Trim();
            var right = value.Substring(dash + 1).Trim();
            if (left.Length == 0 && right.Length == 0) throw new FormatException($"'{text}' is not a DICOM date range: both ends are empty.");
            return new StudyDateRange(left.Length == 0 ? null : ParseDay(left, text!), right.Length == 0 ? null : ParseDay(right, text!));
        }

        private static DateTime ParseDay(string part, string whole) =>
            DateValue.TryParseExact(part, DateValue.Dicom, out var d) ? d
                : throw new FormatException($"'{whole}' is not a DICOM date range (expected yyyyMMdd, yyyyMMdd-yyyyMMdd, -yyyyMMdd or yyyyMMdd-).");

        /// <summary>The value of the StudyDate matching key; empty for "any date".</summary>
        public string ToDicom() => IsAll ? "" :
            IsSingleDay ? DateValue.ToDicom(From!.Value) :
            (From.HasValue ? DateValue.ToDicom(From.Value) : "") + "-" + (To.HasValue ? DateValue.ToDicom(To.Value) : "");

        /// <summary>
        /// Whether <see cref="Split"/> can make progress: not a single day, and not an open end lying wholly
        /// outside [<paramref name="earliest"/>, <paramref name="latest"/>] (nothing real is dated there, and
        /// peeling it a day at a time would never end).
        /// </summary>
        public bool CanSplit(DateTime earliest, DateTime latest) =>
            !IsSingleDay
            && !(From is null && To is { } to && to < earliest.Date)
            && !(To is null && From is { } from && from > latest.Date);

        /// <summary>
        /// Splits into parts that together cover exactly this range: the closed part halved, plus the open
        /// remainders outside [<paramref name="earliest"/>, <paramref name="latest"/>] kept as their own parts.
        /// </summary>
        public StudyDateRange[] Split(DateTime earliest, DateTime latest)
        {
            if (!CanSplit(earliest, latest)) throw new InvalidOperationException($"The date range {this} cannot be split further.");
            var from = From ?? earliest.Date;
            var to = To ?? latest.Date;
            var parts = new System.Collections.Generic.List<StudyDateRange>(4);
            if (From is null) parts.Add(new StudyDateRange(null, from.AddDays(-1)));
            if (from == to)
            {
                parts.Add(new StudyDateRange(from, from));
            }
            else
            {
                var middle = from.AddDays((to - from).Days / 2);
                parts.Add(new StudyDateRange(from, middle));
                parts.Add(new StudyDateRange(middle.AddDays(1), to));
            }
            if (To is null) parts.Add(new StudyDateRange(to.AddDays(1), null));
            return parts.ToArray();
        }

        public bool Contains(DateTime date) => (From is null || date.Date >= From) && (To is null || date.Date <= To);

        public bool Equals(StudyDateRange other) => From == other.From && To == other.To;
        public override bool Equals(object? obj) => obj is StudyDateRange r && Equals(r);
        public override int GetHashCode() => (From?.GetHashCode() ?? 0) * 397 ^ (To?.GetHashCode() ?? 0);
        public override string ToString() => IsAll ? "(any date)" : ToDicom();
    }
}
