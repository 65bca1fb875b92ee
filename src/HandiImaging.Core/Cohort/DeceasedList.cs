using System;
using System.Collections.Generic;
using System.Linq;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Cohort
{
    /// <summary>
    /// The data warehouse (EDW) extract of known deceased patients. A CSV with a header row holding a hospital ID
    /// column (<c>HospitalId</c>, <c>Hospital ID</c>, <c>Hospital Number</c>, <c>MRN</c> or <c>PatientId</c>), an
    /// NHS number column (<c>NhsNumber</c>, <c>NHS Number</c>, <c>NHS No</c>), or both; and optionally
    /// <c>DateOfDeath</c> (<c>Date of Death</c>, <c>DOD</c>) by the one date rule (dd/MM/yyyy as EDW writes it,
    /// a time after it, yyyy-MM-dd, yyyyMMdd). Other columns are ignored. A patient matches by hospital ID
    /// (case-insensitive) or by NHS number (normalised: spaces and dashes ignored). A row whose date of death is
    /// after the as-of date is not counted (the patient was alive then); a row without a date, or with an
    /// unreadable one (reported), is.
    /// </summary>
    public sealed class DeceasedList
    {
        internal static readonly CsvColumn HospitalIdColumn = new CsvColumn("HospitalId", false, "PatientId", "MRN", "HospitalNumber");
        internal static readonly CsvColumn NhsNumberColumn = new CsvColumn("NhsNumber", false, "NhsNo");
        internal static readonly CsvColumn DateOfDeathColumn = new CsvColumn("DateOfDeath", false, "DOD", "DeathDate");

        /// <summary>The extract's header: a hospital ID or an NHS number column (or both), optionally the date of death.</summary>
        public static readonly CsvSchema Schema = new CsvSchema("deceased extract", HospitalIdColumn, NhsNumberColumn, DateOfDeathColumn)
        {
            AnyOf = new[] { new[] { HospitalIdColumn, NhsNumberColumn } },
        };

        private readonly HashSet<string> _hospitalIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _nhsNumbers = new HashSet<string>(StringComparer.Ordinal);

        public int Count { get; private set; }
        /// <summary>Rows whose date of death could not be read; those patients are still treated as deceased.</summary>
        public List<InputFormatException> Errors { get; } = new List<InputFormatException>();
        /// <summary>How the file was decoded (for Verbose).</summary>
        public string Encoding { get; private set; } = "";

        public static DeceasedList Read(string path, DateTime asOf)
        {
            var table = CsvTable.Read(path);
            var header = table.Bind(Schema);
            var idCol = header[HospitalIdColumn];
            var nhsCol = header[NhsNumberColumn];
            var dateCol = header[DateOfDeathColumn];
            var list = new DeceasedList { Encoding = table.Encoding.Name };
            foreach (var row in table.Rows)
            {
                var id = idCol >= 0 ? row.Get(idCol).Trim() : "";
                var nhs = nhsCol >= 0 ? NhsNumber.Normalize(row.Get(nhsCol)) : "";
                if (id.Length == 0 && nhs.Length == 0) continue;
                if (dateCol >= 0 && !string.IsNullOrWhiteSpace(row.Get(dateCol)))
                {
                    if (!DateValue.TryParseUser(row.Get(dateCol), out var died))
                        list.Errors.Add(new InputFormatException(path, row.Line, table.Header[dateCol],
                            DateValue.Problem(row.Get(dateCol), "the date of death") + "; the patient is treated as deceased") { Code = "InvalidDate" });
                    else if (died.Date > asOf.Date)
                        continue;
                }
                list.Add(id, nhs);
            }
            return list;
        }

        /// <summary>Adds a patient by hospital ID and/or NHS number (either may be empty).</summary>
        public void Add(string? hospitalId, string? nhsNumber)
        {
            var id = hospitalId?.Trim() ?? "";
            var nhs = NhsNumber.Normalize(nhsNumber);
            if (id.Length > 0) _hospitalIds.Add(id);
            if (nhs.Length > 0) _nhsNumbers.Add(nhs);
            Count++;
        }

        public bool Contains(string hospitalId, string? nhsNumber)
        {
            if (_hospitalIds.Contains(hospitalId.Trim())) return true;
            var nhs = NhsNumber.Normalize(nhsNumber);
            return nhs.Length > 0 && _nhsNumbers.Contains(nhs);
        }
    }
}
