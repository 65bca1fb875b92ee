using System;
using System.Linq;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.Demo;

namespace HandiImaging.Core.Tests.Cohort
{
    public class DemoCohortTests
    {
        [Fact]
        public void The_demo_deceased_extract_removes_exactly_the_expected_patients()
        {
            using var folder = new TempFolder();
            var quarter = DemoQuarter.Generate(folder.Path, new DemoQuarterOptions { Seed = 3, Subjects = 100 });
            var asOf = new DateTime(2024, 10, 4);
            var cohort = CohortFile.Read(quarter.CohortPath).Patients;
            var extract = DemoCohort.DeceasedFor(cohort, asOf, seed: 3);
            var deceasedPath = folder.File("deceased.csv");
            DemoCohort.WriteDeceased(deceasedPath, extract.Rows);

            var deceased = DeceasedList.Read(deceasedPath, asOf);
            var result = CohortFile.Read(quarter.CohortPath, 14, deceased);

            Assert.Empty(result.Errors);
            Assert.Empty(deceased.Errors);
            Assert.True(extract.ExpectedDeceasedCount >= 5);
            Assert.Equal(extract.ExpectedDeceasedCount, result.DeceasedCount);
            Assert.Equal(100 - extract.ExpectedDeceasedCount, result.Patients.Count);
            Assert.Contains(result.Patients, p => p.PatientId == cohort[1].PatientId); // died after AsOf: still queried
            Assert.Contains(extract.Rows, r => r.HospitalId.Length == 0 && r.NhsNumber.Contains(' ')); // matched by spaced NHS number
            Assert.Equal(extract.Rows.Select(r => r.HospitalId), DemoCohort.DeceasedFor(cohort, asOf, 3).Rows.Select(r => r.HospitalId));
        }
    }
}
