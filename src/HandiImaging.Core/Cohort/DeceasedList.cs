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
    /// <c>DateOfDeath</c> (<c>Date of Death</c>, <c>DOD</c>) as <c>dd/MM/yyyy</c> (EDW's format; a time after it
    /// and <c>yyyy-MM-dd</c> are also read). Other columns are ignored. A patient matches by hospital ID
    /// (case-insensitive) or by NHS number (spaces ignored). A row whose date of death is after the as-of date is
    /// not counted (the patient was alive then); a row without a date, or with an unreadable one, is.
    /// </summary>
    public sealed class DeceasedList
    {
        public static readonly string[] DateFormats = { DateValue.Uk, DateValue.Uk + " HH:mm", DateValue.Uk + " HH:mm:ss", DateValue.Iso };
        internal static readonly string[] DateOfDeathNames = { "DateOfDeath", "DOD", "DeathDate" };

        private readonly HashSet<string> _hospitalIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _nhsNumbers = new HashSet<string>(StringComparer.Ordinal);

        public int Count { get; private set; }
        /// <summary>Rows whose date of death could not be read; those patients are still treated as deceased.</summary>
        public List<InputFormatException> Errors { get; } = new List<InputFormatException>();

        public static DeceasedList Read(string path, DateTime asOf)
        {
            var table = CsvTable.Read(path);
            var idCol = table.Find(CohortFile.HospitalIdNames);
            var nhsCol = table.Find(CohortFile.NhsNumberNames);
            var dateCol = table.Find(DateOfDeathNames);
            if (idCol < 0 && nhsCol < 0)
                throw new InputFormatException(path, 1, "HospitalId",
                    $"the header has neither a hospital ID nor an NHS number column (found: {string.Join(", ", table.Header)})");
            var list = new DeceasedList();
            foreach (var row in table.Rows)
            {
                var id = idCol >= 0 ? row.Get(idCol).Trim() : "";
                var nhs = nhsCol >= 0 ? Digits(row.Get(nhsCol)) : "";
                if (id.Length == 0 && nhs.Length == 0) continue;
                if (dateCol >= 0 && !string.IsNullOrWhiteSpace(row.Get(dateCol)))
                {
                    if (!DateValue.TryParseAny(row.Get(dateCol), DateFormats, out var died))
                        list.Errors.Add(new InputFormatException(path, row.Line, table.Header[dateCol],
                            $"'{row.Get(dateCol).Trim()}' is not a date in the form dd/MM/yyyy; the patient is treated as deceased"));
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
            var nhs = Digits(nhsNumber);
            if (id.Length > 0) _hospitalIds.Add(id);
            if (nhs.Length > 0) _nhsNumbers.Add(nhs);
            Count++;
        }

        public bool Contains(string hospitalId, string? nhsNumber)
        {
            if (_hospitalIds.Contains(hospitalId.Trim())) return true;
            var nhs = Digits(nhsNumber);
            return nhs.Length > 0 && _nhsNumbers.Contains(nhs);
        }

        // EDW prints NHS numbers as "943 476 5919"; the cohort as "9434765919".
        private static string Digits(string? text) => new string((text ?? "").Where(c => !char.IsWhiteSpace(c)).ToArray());
    }
}
