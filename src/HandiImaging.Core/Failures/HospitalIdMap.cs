using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Failures
{
    /// <summary>
    /// The <c>HospitalID-NHSNumber.csv</c> map (columns HospitalID, NHSNumber; the NHS number may be blank).
    /// Read like every CSV (<see cref="CsvTable"/>: encoding detected, strict quotes, header checked). Hospital IDs
    /// match case-insensitively after trimming; NHS numbers follow the one NHS-number rule (text, leading zeros
    /// kept, spaces and dashes removed). Invalid numbers and bad pairings (one hospital ID with two numbers, one
    /// number on two hospital IDs) are <see cref="Warnings"/> naming both rows; the first row listed is used.
    /// </summary>
    public sealed class HospitalIdMap
    {
        internal static readonly CsvColumn HospitalIdColumn = new CsvColumn("HospitalID", true);
        internal static readonly CsvColumn NhsNumberColumn = new CsvColumn("NHSNumber", true);

        /// <summary>The map's header.</summary>
        public static readonly CsvSchema Schema = new CsvSchema("HospitalID-NHSNumber map", HospitalIdColumn, NhsNumberColumn);

        private readonly Dictionary<string, string> _map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _conflicts = new List<string>();
        private readonly List<InputFormatException> _warnings = new List<InputFormatException>();

        public int Count => _map.Count;

        /// <summary>Hospital IDs listed more than once with different non-blank NHS numbers (the first one is used).</summary>
        public IReadOnlyList<string> Conflicts => _conflicts;

        /// <summary>Rows worth a look, each naming file, line and field (and the other row of a bad pairing).</summary>
        public IReadOnlyList<InputFormatException> Warnings => _warnings;

        /// <summary>How the file was decoded (for Verbose).</summary>
        public string Encoding { get; private set; } = "";

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

        public static HospitalIdMap Load(string path) => From(CsvTable.Read(path));

        /// <summary>Reads the map; a bad header, quote or row shape is an <see cref="InputFormatException"/>.</summary>
        public static HospitalIdMap Read(TextReader reader, string source) => From(CsvTable.Read(reader, source));

        private static HospitalIdMap From(CsvTable table)
        {
            var header = table.Bind(Schema);
            var hospitalColumn = header[HospitalIdColumn];
            var nhsColumn = header[NhsNumberColumn];
            var map = new HospitalIdMap { Encoding = table.Encoding.Name };
            var seenConflict = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var pairing = new NhsNumberPairing();
            foreach (var row in table.Rows)
            {
                var hospital = row.Get(hospitalColumn).Trim();
                if (hospital.Length == 0) continue;
                var nhs = NhsNumber.Normalize(row.Get(nhsColumn));
                if (nhs.Length > 0 && NhsNumber.Check(nhs) is { IsValid: false } check)
                    map._warnings.Add(new InputFormatException(table.Path, row.Line, table.Header[nhsColumn],
                        $"NHS number {nhs} of hospital ID {hospital} {check.Reason}; it is used as written") { Code = "InvalidNhsNumber" });
                if (pairing.Add(hospital, nhs, row.Line) is { } problem)
                    map._warnings.Add(new InputFormatException(table.Path, row.Line, table.Header[nhsColumn], problem + "; the first row listed is used") { Code = "DuplicateNhsNumber" });
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
                if (hospital.Length > 0 && !map._map.ContainsKey(hospital)) map._map.Add(hospital, NhsNumber.Normalize(pair.Value));
            }
            return map;
        }
    }
}
