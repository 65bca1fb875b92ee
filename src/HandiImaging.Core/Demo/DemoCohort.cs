using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Demo
{
    /// <summary>One synthetic cohort row, in the cohort file's terms.</summary>
    /// <param name="HospitalId">The hospital ID (what PACS knows).</param>
    /// <param name="NhsNumber">The NHS number; empty for patients without one.</param>
    /// <param name="Status">New or Existing.</param>
    /// <param name="LastQueried">The last query date; null for New patients.</param>
    /// <param name="ReferenceDate">Radiotherapy start date; null when unknown.</param>
    /// <param name="Note">The admins' free text.</param>
    public sealed record DemoCohortPatient(string HospitalId, string NhsNumber, CohortStatus Status, DateTime? LastQueried, DateTime? ReferenceDate, string Note);

    /// <summary>One row of the synthetic EDW deceased extract (either identifier may be empty, as in real extracts).</summary>
    public sealed record DemoDeceased(string HospitalId, string NhsNumber, DateTime? DateOfDeath);

    /// <summary>A synthetic cohort and its deceased extract, with the counts Import-Cohort must report.</summary>
    public sealed class DemoCohortData
    {
        internal DemoCohortData(List<DemoCohortPatient> patients, List<DemoDeceased> deceased, DateTime asOf, int expectedDeceased)
        {
            Patients = patients;
            Deceased = deceased;
            AsOf = asOf;
            ExpectedDeceasedCount = expectedDeceased;
        }

        public IReadOnlyList<DemoCohortPatient> Patients { get; }
        public IReadOnlyList<DemoDeceased> Deceased { get; }
        public DateTime AsOf { get; }
        /// <summary>Cohort patients Import-Cohort leaves out as deceased at <see cref="AsOf"/>.</summary>
        public int ExpectedDeceasedCount { get; }
    }

    /// <summary>
    /// Deterministic cohort for the demo and tests: mostly Existing patients last queried at the previous quarter,
    /// some New ones, a few without an NHS number (subject NN_…), one NHS number with a wrong check digit, and an
    /// EDW deceased extract matching some patients by hospital ID, some by NHS number (printed with spaces), and
    /// one who died after the as-of date (still queried). Write the files with <see cref="WriteCohort"/> and
    /// <see cref="WriteDeceased"/>.
    /// </summary>
    public static class DemoCohort
    {
        public static DemoCohortData Create(int patients = 300, int seed = 1, DateTime? asOf = null)
        {
            if (patients < 10) throw new ArgumentOutOfRangeException(nameof(patients), "At least 10 patients, to carry every case.");
            var when = (asOf ?? new DateTime(2025, 1, 6)).Date;
            var lastQuarter = when.AddMonths(-3);
            var random = new Random(seed);
            var rows = new List<DemoCohortPatient>();
            for (var i = 0; i < patients; i++)
            {
                var id = "H" + (1000001 + i * 7).ToString(CultureInfo.InvariantCulture);
                var nhs = i % 25 == 3 ? "" : NewNhsNumber(random);
                if (i == 5) nhs = nhs.Substring(0, 9) + ((nhs[9] - '0' + 1) % 10).ToString(CultureInfo.InvariantCulture); // a typo the check digit catches
                var isNew = i % 5 == 4;
                DateTime? reference = i % 10 == 7 ? null : new DateTime(2018, 1, 1).AddDays(random.Next(2000));
                rows.Add(new DemoCohortPatient(id, nhs, isNew ? CohortStatus.New : CohortStatus.Existing,
                    isNew ? (DateTime?)null : lastQuarter.AddDays(-random.Next(3)), reference, i % 40 == 1 ? "moved to another trust, still under follow-up" : ""));
            }
            var deceased = new List<DemoDeceased>();
            var expected = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                if (i % 9 != 2) continue;
                var p = rows[i];
                var died = lastQuarter.AddDays(random.Next(80));
                if (i % 2 == 0 || p.NhsNumber.Length == 0) deceased.Add(new DemoDeceased(p.HospitalId, "", died));
                else deceased.Add(new DemoDeceased("", Spaced(p.NhsNumber), died));
                expected++;
            }
            // Died after the as-of date: still queried this quarter.
            deceased.Add(new DemoDeceased(rows[1].HospitalId, "", when.AddDays(10)));
            // Someone not in the cohort: the extract covers the whole hospital.
            deceased.Add(new DemoDeceased("H0999999", NewNhsNumber(random), when.AddDays(-100)));
            return new DemoCohortData(rows, deceased, when, expected);
        }

        /// <summary>Writes the cohort file (HospitalId, NhsNumber, Status, LastQueried, ReferenceDate, Note).</summary>
        public static void WriteCohort(string path, IEnumerable<DemoCohortPatient> patients) =>
            AtomicFile.WriteText(path, writer =>
            {
                writer.WriteLine(CsvTable.Format(new[] { "HospitalId", "NhsNumber", "Status", "LastQueried", "ReferenceDate", "Note" }));
                foreach (var p in patients)
                    writer.WriteLine(CsvTable.Format(new[] { p.HospitalId, p.NhsNumber, p.Status.ToString(), Iso(p.LastQueried), Iso(p.ReferenceDate), p.Note }));
            }, keepBackup: false);

        /// <summary>Writes the deceased extract as EDW sends it (Hospital Number, NHS Number, Date of Death as dd/MM/yyyy).</summary>
        public static void WriteDeceased(string path, IEnumerable<DemoDeceased> deceased) =>
            AtomicFile.WriteText(path, writer =>
            {
                writer.WriteLine(CsvTable.Format(new[] { "Hospital Number", "NHS Number", "Date of Death" }));
                foreach (var d in deceased)
                    writer.WriteLine(CsvTable.Format(new[] { d.HospitalId, d.NhsNumber, d.DateOfDeath?.ToString(DateValue.Uk, CultureInfo.InvariantCulture) ?? "" }));
            }, keepBackup: false);

        private static string Iso(DateTime? date) => date.HasValue ? DateValue.ToIso(date.Value) : "";

        private static string Spaced(string nhs) => nhs.Substring(0, 3) + " " + nhs.Substring(3, 3) + " " + nhs.Substring(6);

        private static string NewNhsNumber(Random random)
        {
            while (true)
            {
                var digits = new int[9];
                var sum = 0;
                for (var i = 0; i < 9; i++)
                {
                    digits[i] = random.Next(10);
                    sum += digits[i] * (10 - i);
                }
                var check = 11 - sum % 11;
                if (check == 11) check = 0;
                if (check == 10) continue;
                return string.Concat(digits.Select(d => d.ToString(CultureInfo.InvariantCulture))) + check.ToString(CultureInfo.InvariantCulture);
            }
        }
    }
}
