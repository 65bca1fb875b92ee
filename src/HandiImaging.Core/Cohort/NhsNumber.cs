using System;
using System.Collections.Generic;
using System.Globalization;

namespace HandiImaging.Core.Cohort
{
    /// <summary>The outcome of checking one NHS number, with the row it came from when known.</summary>
    public sealed record NhsNumberCheck(string NhsNumber, bool IsValid, string Reason)
    {
        /// <summary>The number with spaces and dashes removed (what the module uses as the subject label).</summary>
        public string Normalized { get; init; } = "";

        /// <summary>The hospital ID of the row the number came from, when known.</summary>
        public string? HospitalId { get; init; }

        /// <summary>The line of the file the number came from, when known.</summary>
        public long? Line { get; init; }

        /// <summary>The file the number came from, when known.</summary>
        public string? Source { get; init; }
    }

    /// <summary>
    /// The one NHS-number rule. Normalising removes spaces and dashes (people write <c>943 476 5919</c> and
    /// <c>943-476-5919</c>); a valid number is then ten digits whose last is the modulus-11 check digit of the
    /// first nine (weights 10..2; 11 - (sum mod 11), where 11 means 0 and 10 means no valid number has those
    /// digits), and not ten of the same digit (<c>0000000000</c> and <c>1111111111</c> pass the arithmetic but
    /// are the placeholders people type). Invalid numbers are reported, never "fixed".
    /// </summary>
    public static class NhsNumber
    {
        /// <summary>The number without spaces (any white space) and dashes (any Unicode dash); "" for null.</summary>
        public static string Normalize(string? value)
        {
            if (string.IsNullOrEmpty(value)) return "";
            var chars = new char[value!.Length];
            var n = 0;
            foreach (var c in value)
            {
                if (char.IsWhiteSpace(c) || c == '-' || (c >= '\u2010' && c <= '\u2015') || c == '\u2212') continue;
                chars[n++] = c;
            }
            return n == value.Length ? value : new string(chars, 0, n);
        }

        public static NhsNumberCheck Check(string? value)
        {
            var text = value ?? "";
            var digits = Normalize(text);
            NhsNumberCheck Result(bool valid, string reason) => new NhsNumberCheck(text, valid, reason) { Normalized = digits };
            if (digits.Length == 0) return Result(false, "empty");
            if (digits.Length != 10) return Result(false, $"has {digits.Length.ToString(CultureInfo.InvariantCulture)} characters after removing spaces and dashes, expected 10 digits");
            for (var i = 0; i < 10; i++)
            {
                var c = digits[i];
                if (c < '0' || c > '9') return Result(false, $"character {(i + 1).ToString(CultureInfo.InvariantCulture)} ('{c}') is not a digit");
            }
            if (digits.Trim(digits[0]).Length == 0) return Result(false, "all ten digits are the same, which no issued NHS number is");
            if (CheckDigit(digits) is not { } check) return Result(false, "first nine digits give check value 10, which no valid NHS number has");
            var actual = digits[9] - '0';
            return actual == check
                ? Result(true, "valid")
                : Result(false, $"check digit is {actual.ToString(CultureInfo.InvariantCulture)}, expected {check.ToString(CultureInfo.InvariantCulture)}");
        }

        public static bool IsValid(string? value) => Check(value).IsValid;

        /// <summary>The check digit for the first nine digits of <paramref name="digits"/>; null when no valid number starts with them.</summary>
        public static int? CheckDigit(string digits)
        {
            var sum = 0;
            for (var i = 0; i < 9; i++) sum += (digits[i] - '0') * (10 - i);
            var check = 11 - sum % 11;
            return check == 11 ? 0 : check == 10 ? null : check;
        }
    }

    /// <summary>
    /// Pairs of hospital ID and NHS number seen in one file, to report the two ways a pairing goes wrong: two
    /// hospital IDs with one NHS number (two subjects would merge into one in XNAT), and one hospital ID with
    /// two NHS numbers. Each report names both rows. Numbers are compared normalised.
    /// </summary>
    public sealed class NhsNumberPairing
    {
        private readonly Dictionary<string, (string HospitalId, long Line)> _byNumber = new Dictionary<string, (string, long)>(StringComparer.Ordinal);
        private readonly Dictionary<string, (string Number, long Line)> _byHospitalId = new Dictionary<string, (string, long)>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Records a row; returns the problem with it (naming the earlier row) or null. Empty values are not paired.</summary>
        public string? Add(string hospitalId, string? nhsNumber, long line)
        {
            var id = hospitalId.Trim();
            var number = NhsNumber.Normalize(nhsNumber);
            if (id.Length == 0 || number.Length == 0) return null;
            string? problem = null;
            if (_byHospitalId.TryGetValue(id, out var earlier))
            {
                if (!string.Equals(earlier.Number, number, StringComparison.Ordinal))
                    problem = $"hospital ID {id} has NHS number {number} here and {earlier.Number} on line {earlier.Line.ToString(CultureInfo.InvariantCulture)}";
            }
            else _byHospitalId[id] = (number, line);
            if (_byNumber.TryGetValue(number, out var other))
            {
                if (!string.Equals(other.HospitalId, id, StringComparison.OrdinalIgnoreCase))
                    problem ??= $"NHS number {number} belongs to hospital ID {id} here and to {other.HospitalId} on line {other.Line.ToString(CultureInfo.InvariantCulture)}; both would become one XNAT subject";
            }
            else _byNumber[number] = (id, line);
            return problem;
        }
    }
}
