using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CsvHelper;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.Demo;

namespace HandiImaging.Core.Tests.Summary
{
    public sealed class DemoQuarterTests : IDisposable
    {
        private static readonly string[] Files =
        {
            "cohort.csv", "reference_dates.csv", "HospitalID-NHSNumber.csv", "MR.csv", "CT.csv", "PET.csv", "CR.csv", "DX.csv", "RF.csv", "SR.csv", "XA.csv",
        };

        private readonly List<string> _folders = new List<string>();

        private (DemoQuarterResult Quarter, Dictionary<string, List<string[]>> Tables) Generate(DemoQuarterOptions options)
        {
            var folder = Path.Combine(Path.GetTempPath(), "handi-demo-" + Guid.NewGuid().ToString("N"));
            _folders.Add(folder);
            var quarter = DemoQuarter.Generate(folder, options);
            return (quarter, Files.ToDictionary(f => f, f => Read(Path.Combine(folder, f))));
        }

        private static List<string[]> Read(string path)
        {
            using var reader = new StreamReader(path);
            using var csv = new CsvParser(reader, CultureInfo.InvariantCulture);
            var rows = new List<string[]>();
            while (csv.Read()) rows.Add(csv.Record!);
            return rows;
        }

        public void Dispose()
        {
            foreach (var f in _folders) Directory.Delete(f, true);
        }

        [Fact]
        public void The_same_seed_writes_the_same_bytes_and_another_seed_does_not()
        {
            var a = Generate(new DemoQuarterOptions { Seed = 7, Subjects = 120 });
            var b = Generate(new DemoQuarterOptions { Seed = 7, Subjects = 120 });
            var c = Generate(new DemoQuarterOptions { Seed = 8, Subjects = 120 });

            foreach (var file in Files)
                Assert.Equal(File.ReadAllBytes(Path.Combine(a.Quarter.Folder, file)), File.ReadAllBytes(Path.Combine(b.Quarter.Folder, file)));
            Assert.Equal(a.Quarter.Failures, b.Quarter.Failures);
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(a.Quarter.Folder, "CT.csv")), File.ReadAllBytes(Path.Combine(c.Quarter.Folder, "CT.csv")));
            Assert.NotEqual(a.Quarter.Failures, c.Quarter.Failures);
        }

        [Fact]
        public void Files_carry_the_real_headers()
        {
            var (_, tables) = Generate(new DemoQuarterOptions { Subjects = 20 });

            Assert.Equal(new[] { "HospitalId", "NhsNumber", "Status", "LastQueried", "ReferenceDate" }, tables["cohort.csv"][0]);
            Assert.Equal(new[] { "Subject", "Reference Date" }, tables["reference_dates.csv"][0]);
            Assert.Equal(new[] { "HospitalID", "NHSNumber" }, tables["HospitalID-NHSNumber.csv"][0]);
            Assert.Equal(new[] { "Subject", "Date", "MR ID", "Scanner", "Scans" }, tables["MR.csv"][0]);
            Assert.Equal(new[] { "Subject", "Date", "XNAT_CTSESSIONDATA ID", "UID", "Scans" }, tables["CT.csv"][0]);
            Assert.Equal(new[] { "Subject", "Date", "XNAT_PETSESSIONDATA ID", "UID", "Scans" }, tables["PET.csv"][0]);
            Assert.Equal(new[] { "Subject", "Date", "XNAT_CRSESSIONDATA ID", "ID", "Session" }, tables["CR.csv"][0]);
            Assert.Equal(new[] { "Subject", "Date", "XNAT_DXSESSIONDATA ID", "UID", "Scans" }, tables["DX.csv"][0]);
            Assert.Equal(new[] { "Subject", "Date", "XNAT_RFSESSIONDATA ID", "ID", "Session" }, tables["RF.csv"][0]);
            Assert.Equal(new[] { "Subject", "Date", "XNAT_SRSESSIONDATA ID", "ID", "Creator" }, tables["SR.csv"][0]);
            Assert.Equal(new[] { "Subject", "Date", "XNAT_XASESSIONDATA ID", "ID", "Creator" }, tables["XA.csv"][0]);
        }

        [Fact]
        public void Subjects_are_valid_nhs_numbers_or_NN_hospital_ids_consistently_across_cohort_map_and_sessions()
        {
            var (quarter, tables) = Generate(new DemoQuarterOptions { Seed = 3, Subjects = 600 });

            var cohort = tables["cohort.csv"].Skip(1).ToList();
            Assert.Equal(600, cohort.Count);
            Assert.Equal(cohort.Count, cohort.Select(r => r[0]).Distinct().Count());
            Assert.Equal(cohort.Select(r => (r[0], r[1])), tables["HospitalID-NHSNumber.csv"].Skip(1).Select(r => (r[0], r[1])));
            var withNhs = cohort.Where(r => r[1] != "").ToList();
            Assert.All(withNhs, r => Assert.True(NhsNumber.IsValid(r[1]), r[1]));
            Assert.Equal(withNhs.Count, withNhs.Select(r => r[1]).Distinct().Count());
            Assert.InRange(cohort.Count - withNhs.Count, 10, 60);
            Assert.Contains(cohort, r => r[0].StartsWith("0", StringComparison.Ordinal));
            Assert.All(cohort, r => Assert.Contains(r[2], new[] { "New", "Existing" }));
            Assert.All(cohort.Where(r => r[4] != ""), r => DateTime.ParseExact(r[4], "yyyy-MM-dd", CultureInfo.InvariantCulture));

            var subjects = new HashSet<string>(cohort.Select(r => quarter.SubjectFor(r[0])));
            Assert.All(cohort.Where(r => r[1] == ""), r => Assert.Equal("NN_" + r[0], quarter.SubjectFor(r[0])));
            var sessionSubjects = Files.Skip(3).SelectMany(f => tables[f].Skip(1)).Select(r => r[0]).Where(s => s != "").ToList();
            Assert.All(sessionSubjects, s => Assert.Contains(s, subjects));
            Assert.Contains(sessionSubjects, s => s.StartsWith("NN_", StringComparison.Ordinal));
        }

        [Fact]
        public void Reference_dates_are_day_first_and_some_patients_have_none()
        {
            var (quarter, tables) = Generate(new DemoQuarterOptions { Seed = 4, Subjects = 500 });

            var rows = tables["reference_dates.csv"].Skip(1).ToList();
            Assert.All(rows.Where(r => r[1] != ""), r => DateTime.ParseExact(r[1], "dd/MM/yyyy", CultureInfo.InvariantCulture));
            Assert.Contains(rows, r => r[1] == "");
            Assert.InRange(rows.Count, 470, 499);
            var cohortDates = tables["cohort.csv"].Skip(1).Where(r => r[4] != "").ToDictionary(r => quarter.SubjectFor(r[0]), r => r[4]);
            Assert.All(rows.Where(r => r[1] != ""), r => Assert.Equal(cohortDates[r[0]],
                DateTime.ParseExact(r[1], "dd/MM/yyyy", CultureInfo.InvariantCulture).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
            Assert.Contains(rows, r => r[1] != "" && int.Parse(r[1].Substring(0, 2), CultureInfo.InvariantCulture) <= 12);
        }

        [Fact]
        public void Session_exports_contain_the_edge_cases_the_merge_must_survive()
        {
            var (_, tables) = Generate(new DemoQuarterOptions { Seed = 5, Subjects = 200 });

            Assert.Contains(tables["CT.csv"], r => r[0] == "");
            Assert.Contains(tables["CT.csv"], r => r[1] == "2099-01-01");
            var mr = tables["MR.csv"].Skip(1).ToList();
            Assert.True(mr.GroupBy(r => r[2]).Any(g => g.Count() > 1), "no duplicated MR session");
            Assert.Contains(mr, r => r[3].Contains(',') && r[3].Contains('"'));
            Assert.Contains(tables["PET.csv"], r => r[1] == "2019-02-30");
            Assert.Contains(tables["DX.csv"], r => r[1] == "03/04/2020");
            Assert.Contains(tables["SR.csv"], r => r[4].Contains('"') && r[4].Contains(','));
            Assert.Single(tables["XA.csv"]);
            Assert.Contains(tables["CT.csv"].Skip(1), r => r[2].StartsWith("00", StringComparison.Ordinal));
            var dates = Files.Skip(3).SelectMany(f => tables[f].Skip(1)).Select(r => r[1]).ToList();
            Assert.True(dates.Count(d => DateTime.TryParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) >= dates.Count - 3);
        }

        [Fact]
        public void Without_edge_cases_every_row_is_clean_and_every_type_has_rows()
        {
            var (_, tables) = Generate(new DemoQuarterOptions { Seed = 6, Subjects = 3000, EdgeCases = false });

            foreach (var file in Files.Skip(3))
            {
                var rows = tables[file].Skip(1).ToList();
                Assert.NotEmpty(rows);
                Assert.All(rows, r => Assert.NotEqual("", r[0]));
                Assert.All(rows, r => Assert.True(DateTime.TryParseExact(r[1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d.Year < 2099, r[1]));
                Assert.Equal(rows.Count, rows.Select(r => r[2]).Distinct().Count());
            }
        }

        [Fact]
        public void Failures_include_placeholders_awkward_descriptions_missing_uids_and_an_unmapped_patient()
        {
            var (quarter, tables) = Generate(new DemoQuarterOptions { Seed = 9, Subjects = 400 });

            var failures = quarter.Failures;
            Assert.InRange(failures.Count, 200, 900);
            Assert.Contains(failures, f => f.StudyDate == "2099-01-01");
            Assert.Contains(failures, f => f.StudyDescription.Contains(',') && f.StudyDescription.Contains('"'));
            Assert.Contains(failures, f => f.StudyInstanceUid == "");
            var known = new HashSet<string>(tables["cohort.csv"].Skip(1).Select(r => r[0]));
            var stranger = Assert.Single(failures, f => !known.Contains(f.HospitalId));
            Assert.Equal("NN_" + stranger.HospitalId, quarter.SubjectFor(stranger.HospitalId));
            Assert.Equal(failures.Count, failures.Select(f => f.AccessionNumber).Distinct().Count());
            Assert.All(failures.Where(f => f.StudyDate != "2099-01-01"),
                f => DateTime.ParseExact(f.StudyDate, "yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        [Fact]
        public void The_failure_csv_maps_hospital_ids_to_subjects_and_keeps_every_failure()
        {
            var (quarter, _) = Generate(new DemoQuarterOptions { Seed = 10, Subjects = 100 });
            var path = Path.Combine(quarter.Folder, "failures.csv");

            quarter.WriteFailureCsv(path);

            var rows = Read(path);
            Assert.Equal(new[] { "Subject", "StudyDate", "AccessionNumber", "StudyDescription", "StudyInstanceUid" }, rows[0]);
            Assert.Equal(quarter.Failures.Select(f => new[] { quarter.SubjectFor(f.HospitalId), f.StudyDate, f.AccessionNumber, f.StudyDescription, f.StudyInstanceUid }),
                rows.Skip(1));
        }

        [Theory]
        [InlineData(2000, 0, 14800)]
        [InlineData(2000, 40000, 40000)]
        public void Session_volume_follows_the_requested_size(int subjects, int sessions, int expected)
        {
            var (quarter, tables) = Generate(new DemoQuarterOptions { Seed = 11, Subjects = subjects, Sessions = sessions });

            Assert.InRange(quarter.SessionRows, expected * 0.9, expected * 1.1);
            Assert.Equal(quarter.SessionRows, Files.Skip(3).Sum(f => tables[f].Count - 1));
            var perSubject = Files.Skip(3).SelectMany(f => tables[f].Skip(1)).GroupBy(r => r[0]).Select(g => g.Count()).ToList();
            Assert.True(perSubject.Max() > 2.5 * expected / subjects, "sessions per patient should be right-skewed");
            Assert.True(tables["CT.csv"].Count > tables["MR.csv"].Count && tables["MR.csv"].Count > tables["RF.csv"].Count);
        }
    }
}
