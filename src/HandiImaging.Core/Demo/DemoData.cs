using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Demo
{
    /// <summary>What <see cref="DemoData.Write"/> produced.</summary>
    public sealed class DemoDataSet
    {
        public string Path { get; init; } = "";
        /// <summary>The date the demo run acts on (a few days after the quarter's end).</summary>
        public DateTime AsOf { get; init; }
        public int Subjects { get; init; }
        public int SessionRows { get; init; }
        public int FailureRecords { get; init; }
        public int DeceasedPatients { get; init; }
        public int PacsStudies { get; init; }
        public IReadOnlyList<string> Files { get; init; } = Array.Empty<string>();
    }

    /// <summary>
    /// The built-in demo: one consistent synthetic quarter for every step of the procedure. The quarter's
    /// cohort is the world: its patients have the XNAT sessions, the failures, the deceased extract's entries
    /// and the studies on the demo PACS, whose descriptions come from the clinicians' include/exclude list
    /// (plus some on neither list, for review).
    /// </summary>
    public static class DemoData
    {
        public const string FailureTextFile = "PACs-failures.txt";
        public const string RulesFile = "study-descriptions.xlsx";
        public const string DeceasedFile = "deceased.csv";
        public const string PacsStudyFile = "pacs-studies.csv";

        /// <summary>Patients with studies on the demo PACS (dcmqrscp loads them file by file, so keep it small).</summary>
        private const int PatientsOnPacs = 40;

        public static DemoDataSet Write(string folder, int subjects, int seed)
        {
            var quarterEnd = new DateTime(2024, 9, 30);
            var asOf = quarterEnd.AddDays(4);
            Directory.CreateDirectory(folder);
            var quarter = DemoQuarter.Generate(folder, new DemoQuarterOptions { Seed = seed, Subjects = subjects, QuarterEnd = quarterEnd });
            AtomicFile.WriteText(System.IO.Path.Combine(folder, FailureTextFile), w => DemoFailureText.Write(w, quarter.Failures, seed), keepBackup: false);

            var rules = DemoRules.Create(seed: seed);
            DemoRules.WriteWorkbook(System.IO.Path.Combine(folder, RulesFile), rules);

            var cohort = CohortFile.Read(quarter.CohortPath).Patients;
            var deceased = DemoCohort.DeceasedFor(cohort, asOf, seed);
            DemoCohort.WriteDeceased(System.IO.Path.Combine(folder, DeceasedFile), deceased.Rows);

            var studies = WritePacsStudies(System.IO.Path.Combine(folder, PacsStudyFile), cohort, rules, asOf, seed);
            return new DemoDataSet
            {
                Path = System.IO.Path.GetFullPath(folder),
                AsOf = asOf,
                Subjects = quarter.SubjectCount,
                SessionRows = quarter.SessionRows,
                FailureRecords = quarter.Failures.Count,
                DeceasedPatients = deceased.ExpectedDeceasedCount,
                PacsStudies = studies,
                Files = Directory.GetFiles(folder).Select(System.IO.Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!,
            };
        }

        /// <summary>
        /// Studies on the demo PACS for the first cohort patients: mostly on the include list, some excluded, some
        /// unknown; some dated before an existing patient's window (the query must not return them).
        /// </summary>
        private static int WritePacsStudies(string path, IReadOnlyList<CohortPatient> cohort, DemoRuleList rules, DateTime asOf, int seed)
        {
            var random = new Random(seed);
            var count = 0;
            AtomicFile.WriteText(path, writer =>
            {
                writer.WriteLine(CsvTable.Format(new[] { "PatientId", "PatientName", "StudyDate", "AccessionNumber", "StudyDescription", "StudyInstanceUid", "Modality", "SeriesCount" }));
                foreach (var patient in cohort.Take(PatientsOnPacs))
                {
                    var studies = random.Next(0, 5);
                    for (var s = 0; s < studies; s++)
                    {
                        var roll = random.NextDouble();
                        var pool = roll < 0.6 ? rules.Include : roll < 0.85 ? rules.Exclude : rules.Unknown;
                        var description = pool[random.Next(pool.Count)].Trim();
                        var date = asOf.AddDays(-random.Next(1, 400));
                        count++;
                        writer.WriteLine(CsvTable.Format(new[]
                        {
                            patient.PatientId,
                            "DEMO^PATIENT" + count.ToString("D4", CultureInfo.InvariantCulture),
                            DateValue.ToDicom(date),
                            "D" + (5000000 + count * 13).ToString(CultureInfo.InvariantCulture),
                            description,
                            "1.2.826.0.1.3680043.10.1125." + seed.ToString(CultureInfo.InvariantCulture) + "." + count.ToString(CultureInfo.InvariantCulture),
                            ModalityOf(description),
                            (1 + random.Next(2)).ToString(CultureInfo.InvariantCulture),
                        }));
                    }
                }
            }, keepBackup: false);
            return count;
        }

        private static string ModalityOf(string description)
        {
            var d = description.ToUpperInvariant();
            if (d.StartsWith("PET", StringComparison.Ordinal)) return "PT";
            if (d.StartsWith("NM", StringComparison.Ordinal)) return "NM";
            if (d.StartsWith("MR", StringComparison.Ordinal)) return "MR";
            if (d.StartsWith("CT", StringComparison.Ordinal)) return "CT";
            if (d.Contains("FLUORO") || d.StartsWith("VF", StringComparison.Ordinal) || d.Contains("SWALLOW")) return "RF";
            if (d.StartsWith("XR", StringComparison.Ordinal) || d.Contains("OPG") || d.Contains("DENTAL")) return "DX";
            if (d.StartsWith("US", StringComparison.Ordinal)) return "US";
            return "OT";
        }
    }
}
