using System;
using System.Linq;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.Demo;

namespace HandiImaging.Core.Tests.Cohort
{
    public class DemoCohortTests
    {
        [Fact]
        public void The_demo_cohort_reads_back_with_the_expected_counts_and_cases()
        {
            using var folder = new TempFolder();
            var demo = DemoCohort.Create(patients: 100, seed: 3);
            var cohort = folder.File("cohort.csv");
            var deceasedPath = folder.File("deceased.csv");
            DemoCohort.WriteCohort(cohort, demo.Patients);
            DemoCohort.WriteDeceased(deceasedPath, demo.Deceased);

            var deceased = DeceasedList.Read(deceasedPath, demo.AsOf);
            var result = CohortFile.Read(cohort, 14, deceased);

            Assert.Empty(result.Errors);
            Assert.Empty(deceased.Errors);
            Assert.True(demo.ExpectedDeceasedCount >= 5);
            Assert.Equal(demo.ExpectedDeceasedCount, result.DeceasedCount);
            Assert.Equal(100 - demo.ExpectedDeceasedCount, result.Patients.Count);
            Assert.Contains(result.Patients, p => p.PatientId == demo.Patients[1].HospitalId); // died after AsOf
            Assert.Contains(result.Patients, p => p.Subject.StartsWith("NN_", StringComparison.Ordinal));
            Assert.Contains(result.Patients, p => p.Status == CohortStatus.New && p.Since is null);
            Assert.Equal(1, result.InvalidNhsNumberCount);
            Assert.All(result.Patients.Where(p => p.Status == CohortStatus.Existing), p => Assert.True(p.Since < demo.AsOf.AddMonths(-3)));
            Assert.Equal(demo.Patients.Select(p => p.HospitalId), DemoCohort.Create(100, 3).Patients.Select(p => p.HospitalId));
        }
    }
}
