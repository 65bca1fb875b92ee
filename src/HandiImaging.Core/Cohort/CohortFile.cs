using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Cohort
{
    /// <summary>What <see cref="CohortFile.Read"/> found: the patients to query, the rows it could not read, and who was left out.</summary>
    public sealed class CohortReadResult
    {
        public List<CohortPatient> Patients { get; } = new List<CohortPatient>();
        /// <summary>Bad rows, each naming file, line and field; the rest of the file is still read.</summary>
        public List<InputFormatException> Errors { get; } = new List<InputFormatException>();
        /// <summary>
        /// Rows read but worth a look, each naming file, line and field: an NHS number failing the check (used as
        /// written, flagged), or one NHS number on two hospital IDs (both rows named).
        /// </summary>
        public List<InputFormatException> Warnings { get; } = new List<InputFormatException>();
        /// <summary>Cohort patients left out because the deceased extract lists them.</summary>
        public int DeceasedCount { get; set; }
        /// <summary>Patients whose NHS number fails the check digit (still queried; subject label flagged).</summary>
        public int InvalidNhsNumberCount { get; set; }
        /// <summary>How the file was decoded (for Verbose).</summary>
        public string Encoding { get; set; } = "";
    }

    /// <summary>
    /// The cohort file (<c>cohort.csv</c>): one row per patient, columns <c>HospitalId, NhsNumber, Status,
    /// LastQueried, ReferenceDate</c> plus any others (e.g. <c>Note</c>), which are kept verbatim on update.
    /// Headers match without case or spaces. Dates follow the one date rule (<see cref="DateValue.TryParseUser"/>:
    /// yyyy-MM-dd, yyyyMMdd or dd/MM/yyyy); nothing is ever read month-first. NHS numbers follow the one
    /// NHS-number rule (<see cref="NhsNumber.Normalize"/>: spaces and dashes removed).
    /// </summary>
    public static class CohortFile
    {
        public const int DefaultOverlapDays = 14;

        internal static readonly CsvColumn HospitalIdColumn = new CsvColumn("HospitalId", true, "PatientId", "MRN", "HospitalNumber");
        internal static readonly CsvColumn NhsNumberColumn = new CsvColumn("NhsNumber", false, "NhsNo");
        internal static readonly CsvColumn StatusColumn = new CsvColumn("Status", true);
        internal static readonly CsvColumn LastQueriedColumn = new CsvColumn("LastQueried", true);
        internal static readonly CsvColumn ReferenceDateColumn = new CsvColumn("ReferenceDate", false);
        internal static readonly CsvColumn NoteColumn = new CsvColumn("Note", false, "Notes");

        /// <summary>The cohort file's header.</summary>
        public static readonly CsvSchema Schema = new CsvSchema("cohort file",
            HospitalIdColumn, NhsNumberColumn, StatusColumn, LastQueriedColumn, ReferenceDateColumn, NoteColumn);

        /// <summary>
        /// Reads the cohort; leaves out patients in <paramref name="deceased"/>; computes each Existing patient's
        /// window as LastQueried − <paramref name="overlapDays"/>. Throws <see cref="InputFormatException"/> only
        /// when the file as a whole is unusable (unreadable, a quote that never closes, a bad header). A
        /// LastQueried later than <paramref name="today"/> (default: the clock's) is a bad row.
        /// </summary>
        public static CohortReadResult Read(string path, int overlapDays = DefaultOverlapDays, DeceasedList? deceased = null, DateTime? today = null)
        {
            if (overlapDays < 0) throw new ArgumentOutOfRangeException(nameof(overlapDays), "The overlap cannot be negative.");
            var now = (today ?? DateTime.Today).Date;
            var table = CsvTable.Read(path);
            var header = table.Bind(Schema);
            var idCol = header[HospitalIdColumn];
            var statusCol = header[StatusColumn];
            var lastCol = header[LastQueriedColumn];
            var nhsCol = header[NhsNumberColumn];
            var refCol = header[ReferenceDateColumn];
            var noteCol = header[NoteColumn];

            var result = new CohortReadResult { Encoding = table.Encoding.Name };
            var seen = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            var pairing = new NhsNumberPairing();
            foreach (var row in table.Rows)
            {
                if (row.IsBlank) continue;
                var hospitalId = row.Get(idCol).Trim();
                if (hospitalId.Length == 0)
                {
                    result.Errors.Add(new InputFormatException(path, row.Line, table.Header[idCol], "the hospital ID is empty") { Code = "MissingValue" });
                    continue;
                }
                if (seen.TryGetValue(hospitalId, out var firstLine))
                {
                    result.Errors.Add(new InputFormatException(path, row.Line, table.Header[idCol],
                        $"hospital ID {hospitalId} is already on line {firstLine.ToString(CultureInfo.InvariantCulture)}; each patient may appear once") { Code = "DuplicateHospitalId" });
                    continue;
                }
                seen[hospitalId] = row.Line;
                // Deceased patients are not queried, so the rest of their row does not matter.
                var nhs = nhsCol >= 0 ? NhsNumber.Normalize(row.Get(nhsCol).Trim()) : "";
                if (deceased != null && deceased.Contains(hospitalId, nhs))
                {
                    result.DeceasedCount++;
                    continue;
                }

                if (!TryParseStatus(row.Get(statusCol), out var status))
                {
                    result.Errors.Add(new InputFormatException(path, row.Line, table.Header[statusCol],
                        $"status '{row.Get(statusCol).Trim()}' is neither New nor Existing") { Code = "InvalidStatus" });
                    continue;
                }
                if (!TryParseOptionalDate(row.Get(lastCol), out var lastQueried))
                {
                    result.Errors.Add(BadDate(path, row.Line, table.Header[lastCol], row.Get(lastCol)));
                    continue;
                }
                if (lastQueried is { } last && DateValue.PastDateProblem(last, now) is { } lastProblem)
                {
                    result.Errors.Add(new InputFormatException(path, row.Line, table.Header[lastCol],
                        $"LastQueried {lastProblem}; it must be the date PACS was last queried for the patient") { Code = "DateOutOfRange" });
                    continue;
                }
                if (status == CohortStatus.Existing && lastQueried is null)
                {
                    result.Errors.Add(new InputFormatException(path, row.Line, table.Header[lastCol],
                        "an Existing patient needs the date PACS was last queried (or Status New to query with no date limit)") { Code = "MissingValue" });
                    continue;
                }
                DateTime? referenceDate = null;
                if (refCol >= 0 && !TryParseOptionalDate(row.Get(refCol), out referenceDate))
                {
                    result.Errors.Add(BadDate(path, row.Line, table.Header[refCol], row.Get(refCol)));
                    continue;
                }
                if (referenceDate is { } reference && DateValue.RangeProblem(reference) is { } referenceProblem)
                {
                    result.Errors.Add(new InputFormatException(path, row.Line, table.Header[refCol], "ReferenceDate " + referenceProblem) { Code = "DateOutOfRange" });
                    continue;
                }

                var check = NhsNumber.Check(nhs);
                var valid = nhs.Length > 0 && check.IsValid;
                if (nhs.Length > 0 && !valid)
                {
                    result.InvalidNhsNumberCount++;
                    result.Warnings.Add(new InputFormatException(path, row.Line, table.Header[nhsCol],
                        $"NHS number {nhs} of hospital ID {hospitalId} {check.Reason}; it is used as written (NhsNumberValid is False)") { Code = "InvalidNhsNumber" });
                }
                if (pairing.Add(hospitalId, nhs, row.Line) is { } pairProblem)
                    result.Warnings.Add(new InputFormatException(path, row.Line, table.Header[nhsCol], pairProblem) { Code = "DuplicateNhsNumber" });
                result.Patients.Add(new CohortPatient
                {
                    PatientId = hospitalId,
                    NhsNumber = nhs,
                    Subject = CohortPatient.SubjectFor(hospitalId, nhs),
                    NhsNumberValid = valid,
                    Status = status,
                    LastQueried = status == CohortStatus.Existing ? lastQueried : null,
                    Since = status == CohortStatus.Existing ? lastQueried!.Value.AddDays(-overlapDays) : (DateTime?)null,
                    ReferenceDate = referenceDate,
                    Note = noteCol >= 0 && row.Get(noteCol).Length > 0 ? row.Get(noteCol) : null,
                    Line = row.Line,
                });
            }
            return result;
        }

        internal static bool TryParseStatus(string text, out CohortStatus status)
        {
            switch (text.Trim().ToUpperInvariant())
            {
                case "NEW": status = CohortStatus.New; return true;
                case "EXISTING": status = CohortStatus.Existing; return true;
                default: status = default; return false;
            }
        }

        private static bool TryParseOptionalDate(string text, out DateTime? date)
        {
            date = null;
            if (string.IsNullOrWhiteSpace(text)) return true;
            if (!DateValue.TryParseUser(text, out var parsed)) return false;
            date = parsed;
            return true;
        }

        private static InputFormatException BadDate(string path, long line, string field, string text) =>
            new InputFormatException(path, line, field, DateValue.Problem(text, "the value")) { Code = "InvalidDate" };

        /// <summary>
        /// Marks the patients whose query succeeded: New becomes Existing and LastQueried becomes
        /// <paramref name="asOf"/>, for those patients only. Every other row, column and byte of the file is kept
        /// as it was. Runs under the file's lock; the file is replaced atomically and the previous version kept as
        /// <c>.bak</c>. <paramref name="confirm"/> sees the plan and may decline (ShouldProcess); nothing is written then.
        /// </summary>
        public static CohortUpdatePlan Update(string path, IEnumerable<string> queriedHospitalIds, DateTime asOf,
            Func<CohortUpdatePlan, bool>? confirm = null, TimeSpan? lockTimeout = null, CancellationToken cancellationToken = default)
        {
            if (DateValue.PastDateProblem(asOf, DateTime.Today) is { } asOfProblem)
                throw new ArgumentOutOfRangeException(nameof(asOf), asOf, $"The as-of date {asOfProblem}; it becomes every patient's LastQueried.");
            var ids = queriedHospitalIds.ToList();
            // Planned first without the lock, so a declined run (-WhatIf) creates nothing, not even the lock file;
            // then again under the lock, in case another run changed the file meanwhile.
            var preview = Update(path, ids, asOf, _ => false, locked: false, lockTimeout, cancellationToken);
            if (preview.Changes.Count == 0 || (confirm != null && !confirm(preview))) return preview;
            return Update(path, ids, asOf, null, locked: true, lockTimeout, cancellationToken);
        }

        private static CohortUpdatePlan Update(string path, IEnumerable<string> queriedHospitalIds, DateTime asOf,
            Func<CohortUpdatePlan, bool>? confirm, bool locked, TimeSpan? lockTimeout, CancellationToken cancellationToken)
        {
            using var fileLock = locked ? FileLock.Acquire(path, lockTimeout, cancellationToken) : null;
            var table = CsvTable.Read(path);
            var header = table.Bind(Schema);
            var idCol = header[HospitalIdColumn];
            var statusCol = header[StatusColumn];
            var lastCol = header[LastQueriedColumn];

            var wanted = new HashSet<string>(queriedHospitalIds.Select(id => id.Trim()).Where(id => id.Length > 0), StringComparer.OrdinalIgnoreCase);
            var plan = new CohortUpdatePlan(path, asOf.Date) { Encoding = table.Encoding.Name };
            var found = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var output = new StringBuilder();
            var newLine = table.NewLine;
            output.Append(table.RawHeader);
            if (!EndsWithNewLine(table.RawHeader)) output.Append(newLine);
            for (var i = 0; i < table.Rows.Count; i++)
            {
                var row = table.Rows[i];
                for (var b = 0; b < row.BlankLinesBefore; b++) output.Append(newLine);
                var id = row.Get(idCol).Trim();
                // Only the first row of a patient counts, as on import.
                if (id.Length == 0 || !wanted.Contains(id) || !found.Add(id))
                {
                    output.Append(row.Raw);
                    if (!EndsWithNewLine(row.Raw) && i < table.Rows.Count - 1) output.Append(newLine);
                    continue;
                }
                var fields = (string[])row.Fields.Clone();
                var width = Math.Max(fields.Length, Math.Max(statusCol, lastCol) + 1);
                if (fields.Length < width) Array.Resize(ref fields, width);
                for (var f = 0; f < fields.Length; f++) fields[f] ??= "";
                var wasNew = !(fields[statusCol].Trim().Equals("Existing", StringComparison.OrdinalIgnoreCase));
                fields[statusCol] = "Existing";
                fields[lastCol] = DateValue.ToIso(asOf.Date);
                plan.Changes.Add(new CohortChange(id, row.Line, wasNew, row.Get(lastCol).Trim()));
                output.Append(CsvTable.Format(fields));
                output.Append(EndsWithNewLine(row.Raw) ? LineEnding(row.Raw) : (i < table.Rows.Count - 1 ? newLine : ""));
            }
            plan.NotInCohort.AddRange(wanted.Where(id => !found.Contains(id)).OrderBy(id => id, StringComparer.Ordinal));

            if (plan.Changes.Count == 0 || (confirm != null && !confirm(plan))) return plan;
            // Written back in the file's own encoding (and BOM), so every row not changed keeps its bytes.
            var bytes = table.Encoding.Encode(output.ToString(), path);
            AtomicFile.Write(path, stream => stream.Write(bytes, 0, bytes.Length));
            plan.Written = true;
            return plan;
        }

        private static bool EndsWithNewLine(string raw) => raw.EndsWith("\n", StringComparison.Ordinal) || raw.EndsWith("\r", StringComparison.Ordinal);

        private static string LineEnding(string raw) =>
            raw.EndsWith("\r\n", StringComparison.Ordinal) ? "\r\n" : raw.EndsWith("\n", StringComparison.Ordinal) ? "\n" : "\r";
    }

    /// <summary>One patient row Update-Cohort changes.</summary>
    public sealed record CohortChange(string HospitalId, long Line, bool Promoted, string PreviousLastQueried);

    /// <summary>What Update-Cohort will change (or changed, when <see cref="Written"/>).</summary>
    public sealed class CohortUpdatePlan
    {
        public CohortUpdatePlan(string path, DateTime asOf)
        {
            Path = path;
            AsOf = asOf;
        }

        public string Path { get; }
        public DateTime AsOf { get; }
        public List<CohortChange> Changes { get; } = new List<CohortChange>();
        /// <summary>Hospital IDs reported as queried that the cohort file does not list.</summary>
        public List<string> NotInCohort { get; } = new List<string>();
        public bool Written { get; set; }
        /// <summary>How the file was decoded, and so how it is written back (for Verbose).</summary>
        public string Encoding { get; init; } = "";
        public int PromotedCount => Changes.Count(c => c.Promoted);
        public int AdvancedCount => Changes.Count(c => !c.Promoted);
    }
}
