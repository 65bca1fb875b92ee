using System;
using System.Collections.Generic;
using System.Globalization;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Demo
{
    /// <summary>One row of the synthetic EDW deceased extract (either identifier may be empty, as in real extracts).</summary>
    public sealed record DemoDeceased(string HospitalId, string NhsNumber, DateTime? DateOfDeath);

    /// <summary>A deceased extract for a cohort, with the count Import-Cohort must leave out.</summary>
    public sealed class DemoDeceasedExtract
    {
        internal DemoDeceasedExtract(List<DemoDeceased> rows, int expected)
        {
            Rows = rows;
            ExpectedDeceasedCount = expected;
        }

        public IReadOnlyList<DemoDeceased> Rows { get; }
        /// <summary>Cohort patients Import-Cohort leaves out as deceased at the as-of date.</summary>
        public int ExpectedDeceasedCount { get; }
    }

    /// <summary>
    /// Deterministic EDW deceased extract for a cohort: some patients matched by hospital ID, some by NHS number
    /// (printed with spaces, as EDW does), one who died after the as-of date (still queried), and one person
    /// who is not in the cohort at all (the extract covers the whole hospital).
    /// </summary>
    public static class DemoCohort
    {
        public static DemoDeceasedExtract DeceasedFor(IReadOnlyList<CohortPatient> cohort, DateTime asOf, int seed)
        {
            if (cohort.Count < 10) throw new ArgumentOutOfRangeException(nameof(cohort), "At least 10 patients, to carry every case.");
            var random = new Random(seed);
            var lastQuarter = asOf.Date.AddMonths(-3);
            var rows = new List<DemoDeceased>();
            var expected = 0;
            for (var i = 0; i < cohort.Count; i++)
            {
                if (i % 9 != 2) continue;
                var p = cohort[i];
                var died = lastQuarter.AddDays(random.Next(80));
                if (i % 2 == 0 || p.NhsNumber.Length != 10) rows.Add(new DemoDeceased(p.PatientId, "", died));
                else rows.Add(new DemoDeceased("", Spaced(p.NhsNumber), died));
                expected++;
            }
            // Died after the as-of date: still queried this quarter.
            rows.Add(new DemoDeceased(cohort[1].PatientId, "", asOf.Date.AddDays(10)));
            // Someone not in the cohort.
            rows.Add(new DemoDeceased("H0999999", "", asOf.Date.AddDays(-100)));
            return new DemoDeceasedExtract(rows, expected);
        }

        /// <summary>Writes the deceased extract as EDW sends it (Hospital Number, NHS Number, Date of Death as dd/MM/yyyy).</summary>
        public static void WriteDeceased(string path, IEnumerable<DemoDeceased> deceased) =>
            AtomicFile.WriteText(path, writer =>
            {
                writer.WriteLine(CsvTable.Format(new[] { "Hospital Number", "NHS Number", "Date of Death" }));
                foreach (var d in deceased)
                    writer.WriteLine(CsvTable.Format(new[] { d.HospitalId, d.NhsNumber, d.DateOfDeath?.ToString(DateValue.Uk, CultureInfo.InvariantCulture) ?? "" }));
            }, keepBackup: false);

        private static string Spaced(string nhs) => nhs.Substring(0, 3) + " " + nhs.Substring(3, 3) + " " + nhs.Substring(6);
    }
}
