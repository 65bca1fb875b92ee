using System;
using System.IO;
using System.Linq;
using System.Text;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Tests.Cohort
{
    public class CohortUpdateTests
    {
        // Odd but legal CSV an admin's Excel might leave: quoted fields, a comma in a note, a blank line,
        // an unknown column, no line ending at the end.
        private const string Original =
            "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note,Ward\r\n" +
            "H1,9434765919,Existing,2024-04-03,2023-01-02,\"seen, twice\",\"A\"\r\n" +
            "H2,,New,,,,B\r\n" +
            "\r\n" +
            "H3,,Existing,03/04/2024,,\"query failed\",C\r\n" +
            "H4,,New,,,,\"D \"\"east\"\"\"";

        [Theory]
        [InlineData("en-GB")]
        [InlineData("en-US")]
        [InlineData("de-DE")]
        public void Only_the_successful_patients_advance_and_everything_else_is_kept_byte_for_byte(string culture)
        {
            using var scope = new CultureScope(culture);
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Original);

            var plan = CohortFile.Update(path, new[] { "H1", " h2 " }, new DateTime(2025, 1, 6, 15, 30, 0));

            Assert.True(plan.Written);
            Assert.Equal((1, 1), (plan.PromotedCount, plan.AdvancedCount));
            var lines = File.ReadAllText(path).Split("\r\n");
            Assert.Equal(new[]
            {
                "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note,Ward",
                "H1,9434765919,Existing,2025-01-06,2023-01-02,\"seen, twice\",A",
                "H2,,Existing,2025-01-06,,,B",
                "",
                "H3,,Existing,03/04/2024,,\"query failed\",C",
                "H4,,New,,,,\"D \"\"east\"\"\"",
            }, lines);
            Assert.Equal(Original, File.ReadAllText(AtomicFile.BackupPath(path)));

            // Re-reading gives the new windows; the failed patient keeps its old one.
            var read = CohortFile.Read(path).Patients.ToDictionary(p => p.PatientId);
            Assert.Equal(new DateTime(2024, 12, 23), read["H1"].Since);
            Assert.Equal(new DateTime(2024, 12, 23), read["H2"].Since);
            Assert.Equal(new DateTime(2024, 3, 20), read["H3"].Since);
            Assert.Null(read["H4"].Since);
        }

        [Fact]
        public void Unknown_patients_are_reported_and_a_declined_confirmation_writes_nothing()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Original);

            var plan = CohortFile.Update(path, new[] { "H2", "H9" }, new DateTime(2025, 1, 6), confirm: _ => false);

            Assert.False(plan.Written);
            Assert.Equal(new[] { "H9" }, plan.NotInCohort);
            Assert.Single(plan.Changes);
            Assert.Equal(Original, File.ReadAllText(path));
            Assert.False(File.Exists(AtomicFile.BackupPath(path)));
        }

        [Fact]
        public void A_byte_order_mark_is_kept()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv");
            File.WriteAllText(path, "HospitalId,Status,LastQueried\r\nH1,New,\r\n", new UTF8Encoding(true));
            CohortFile.Update(path, new[] { "H1" }, new DateTime(2025, 1, 6));
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes.Take(3));
            Assert.Equal("HospitalId,Status,LastQueried\r\nH1,Existing,2025-01-06\r\n", Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
        }

        [Fact]
        public void A_second_writer_waits_for_the_lock_and_gives_up_without_touching_the_file()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Original);
            using (FileLock.Acquire(path, TimeSpan.FromSeconds(1)))
            {
                Assert.Throws<TimeoutException>(() => CohortFile.Update(path, new[] { "H2" }, DateTime.Today, lockTimeout: TimeSpan.FromMilliseconds(100)));
            }
            Assert.Equal(Original, File.ReadAllText(path));
            Assert.True(CohortFile.Update(path, new[] { "H2" }, DateTime.Today).Written);
        }

        [Fact]
        public void A_write_that_fails_at_the_swap_leaves_the_cohort_intact_and_no_temp_file()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Original);
            // The backup slot is taken by a folder, so the final replace fails after the new content is written.
            Directory.CreateDirectory(AtomicFile.BackupPath(path));

            Assert.ThrowsAny<IOException>(() => CohortFile.Update(path, new[] { "H2" }, DateTime.Today));

            Assert.Equal(Original, File.ReadAllText(path));
            // The lock file stays by design (see FileLock), in its hidden folder; no temp file may.
            Assert.Equal(new[] { ".handiimaging", "cohort.csv", "cohort.csv.bak" }, Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }
    }
}
