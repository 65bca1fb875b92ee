using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using CsvHelper;
using CsvHelper.Configuration;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Failures
{
    /// <summary>
    /// The <c>HospitalID-NHSNumber.csv</c> map (columns HospitalID, NHSNumber; the NHS number may be blank).
    /// Hospital IDs match case-insensitively after trimming; NHS numbers are text (leading zeros kept) with
    /// surrounding and inner spaces removed ("943 476 5919" is written that way by people, not by XNAT).
    /// </summary>
    public sealed class HospitalIdMap
    {
        private readonly Dictionary<string, string> _map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _conflicts = new List<string>();

        public int Count => _map.Count;

        /// <summary>Hospital IDs listed more than once with different non-blank NHS numbers (the first one is used).</summary>
        public IReadOnlyList<string> Conflicts => _conflicts;

        /// <summary>
        /// Looks up <paramref name="hospitalId"/>; <paramref name="nhsNumber"/> is "" when the map lists the
        /// patient without an NHS number.
        /// </summary>
        public bool TryGetNhsNumber(string hospitalId, out string nhsNumber)
        {
            if (_map.TryGetValue(hospitalId.Trim(), out var value))
            {
                nhsNumber = value;
                return true;
            }
            nhsNumber = "";
            return false;
        }

        public static HospitalIdMap Load(string path)
        {
            using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
            return Read(reader, path);
        }

        /// <summary>Reads the map; a missing column or malformed row is an <see cref="InputFormatException"/>.</summary>
        public static HospitalIdMap Read(TextReader reader, string source)
        {
            var config = new CsvConfiguration(CultureInfo.InvariantCulture)
            {
                HasHeaderRecord = true,
                Mode = CsvMode.RFC4180,
                BadDataFound = args => throw new InputFormatException(source, args.Context.Parser?.RawRow, null,
                    "a quote in this row is not where CSV allows it."),
                MissingFieldFound = null,
                DetectColumnCountChanges = false,
            };
            var map = new HospitalIdMap();
            using var csv = new CsvReader(reader, config);
            if (!csv.Read() || !csv.ReadHeader())
                throw new InputFormatException(source, 1, null, "the ID map is empty; expected a header row HospitalID,NHSNumber.");
            var header = csv.HeaderRecord ?? new string[0];
            var hospitalColumn = FindColumn(header, "hospitalid");
            var nhsColumn = FindColumn(header, "nhsnumber");
            if (hospitalColumn < 0) throw new InputFormatException(source, 1, "HospitalID", "the ID map has no HospitalID column.");
            if (nhsColumn < 0) throw new InputFormatException(source, 1, "NHSNumber", "the ID map has no NHSNumber column.");
            var seenConflict = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            while (csv.Read())
            {
                var hospital = (csv.Parser.Count > hospitalColumn ? csv.Parser[hospitalColumn] : "").Trim();
                if (hospital.Length == 0) continue;
                var nhs = RemoveSpaces(csv.Parser.Count > nhsColumn ? csv.Parser[nhsColumn] : "");
                if (map._map.TryGetValue(hospital, out var existing))
                {
                    if (existing.Length == 0) map._map[hospital] = nhs;
                    else if (nhs.Length > 0 && !string.Equals(existing, nhs, StringComparison.Ordinal) && seenConflict.Add(hospital))
                        map._conflicts.Add(hospital);
                    continue;
                }
                map._map.Add(hospital, nhs);
            }
            return map;
        }

        /// <summary>Builds a map from pairs (tests, callers that already hold the map).</summary>
        public static HospitalIdMap FromPairs(IEnumerable<KeyValuePair<string, string>> pairs)
        {
            var map = new HospitalIdMap();
            foreach (var pair in pairs)
            {
                var hospital = pair.Key.Trim();
                if (hospital.Length > 0 && !map._map.ContainsKey(hospital)) map._map.Add(hospital, RemoveSpaces(pair.Value));
            }
            return map;
        }

        private static int FindColumn(string[] header, string normalized)
        {
            for (var i = 0; i < header.Length; i++)
            {
                var h = header[i].Replace(" ", "").Replace("_", "").Trim().ToLowerInvariant();
                if (h == normalized) return i;
            }
            return -1;
        }

        private static string RemoveSpaces(string? value)
        {
            if (string.IsNullOrEmpty(value)) return "";
            var chars = new char[value!.Length];
            var n = 0;
            foreach (var c in value) if (!char.IsWhiteSpace(c)) chars[n++] = c;
            return new string(chars, 0, n);
        }
    }
}
