using System;
using System.IO;
using System.Linq;
using System.Text;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Tests.Cohort
{
    public class CohortFileTests
    {
        private const string Header = "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note\r\n";

        [Theory]
        [InlineData("en-GB")]
        [InlineData("en-US")]
        [InlineData("de-DE")]
        public void Windows_for_new_and_existing_patients_do_not_depend_on_culture(string culture)
        {
            using var scope = new CultureScope(culture);
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Header +
                "H1,9434765919,Existing,2024-04-03,2023-01-02,\r\n" +
                "H2,,New,,,\r\n" +
                // Excel in a UK locale re-saves dates as dd/MM/yyyy: 03/04/2024 is 3 April, never 4 March.
                "H3,,Existing,03/04/2024,,\r\n");

            var result = CohortFile.Read(path, overlapDays: 14);

            Assert.Empty(result.Errors);
            var (h1, h2, h3) = (result.Patients[0], result.Patients[1], result.Patients[2]);
            Assert.Equal(new DateTime(2024, 4, 3), h1.LastQueried);
            Assert.Equal(new DateTime(2024, 3, 20), h1.Since);
            Assert.Equal(new DateTime(2023, 1, 2), h1.ReferenceDate);
            Assert.Equal(CohortStatus.New, h2.Status);
            Assert.Null(h2.Since);
            Assert.Null(h2.LastQueried);
            Assert.Equal(new DateTime(2024, 3, 20), h3.Since);
        }

        [Fact]
        public void Overlap_is_configurable_and_zero_means_since_the_last_query()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Header + "H1,,Existing,2024-04-03,,\r\n");
            Assert.Equal(new DateTime(2024, 4, 3), CohortFile.Read(path, 0).Patients.Single().Since);
            Assert.Equal(new DateTime(2024, 3, 4), CohortFile.Read(path, 30).Patients.Single().Since);
            Assert.Throws<ArgumentOutOfRangeException>(() => CohortFile.Read(path, -1));
        }

        [Fact]
        public void Subject_is_the_nhs_number_or_NN_hospital_id_and_invalid_numbers_are_flagged_not_fixed()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Header +
                "H1,9434765919,New,,,\r\n" +
                "H2,  ,New,,,\r\n" +
                "H3,9434765918,New,,,\r\n" +
                "0042,0123456789,New,,,\r\n");

            var result = CohortFile.Read(path);

            var p = result.Patients.ToDictionary(x => x.PatientId);
            Assert.Equal(("9434765919", true), (p["H1"].Subject, p["H1"].NhsNumberValid));
            Assert.Equal(("NN_H2", false, ""), (p["H2"].Subject, p["H2"].NhsNumberValid, p["H2"].NhsNumber));
            Assert.Equal(("9434765918", false), (p["H3"].Subject, p["H3"].NhsNumberValid));
            Assert.Equal(("0123456789", true), (p["0042"].Subject, p["0042"].NhsNumberValid)); // text, leading zero kept
            Assert.Equal("0042", p["0042"].HospitalId);
            Assert.Equal(1, result.InvalidNhsNumberCount);
        }

        [Fact]
        public void Bad_rows_name_file_line_and_field_and_the_other_rows_still_load()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Header +
                "H1,,Existing,,,\r\n" +              // line 2: existing without LastQueried
                "H2,,Exisitng,2024-01-01,,\r\n" +    // line 3: unknown status
                "H3,,Existing,2024-13-01,,\r\n" +    // line 4: bad date
                "H4,,Existing,04/31/2024,,\r\n" +    // line 5: month-first is not a format we read
                ",,New,,,\r\n" +                     // line 6: no hospital ID
                "H5,,New,,2024/01/01,\r\n" +         // line 7: bad reference date
                "H6,,New,,,\r\n" +                   // line 8: fine
                "h6,,Existing,2024-01-01,,\r\n" +    // line 9: repeats H6
                ",,,,,\r\n" +                        // line 10: an empty Excel row: ignored
                "H7,,new,,,\r\n");                   // line 11: fine, status case ignored

            var result = CohortFile.Read(path);

            Assert.Equal(new[] { "H6", "H7" }, result.Patients.Select(p => p.PatientId));
            Assert.Equal(new long[] { 8, 11 }, result.Patients.Select(p => p.Line));
            var errors = result.Errors.Select(e => (e.Line, e.Field)).ToList();
            Assert.Equal(new (long?, string?)[]
            {
                (2, "LastQueried"), (3, "Status"), (4, "LastQueried"), (5, "LastQueried"), (6, "HospitalId"), (7, "ReferenceDate"), (9, "HospitalId"),
            }, errors);
            Assert.All(result.Errors, e => Assert.StartsWith(path + ", line ", e.Message));
            Assert.Contains("Exisitng", result.Errors[1].Message);
            Assert.Contains("line 8", result.Errors[6].Message);
        }

        [Fact]
        public void Line_numbers_count_quoted_line_breaks()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Header + "H1,,New,,,\"two\nlines\"\r\nH2,,Bad,,,\r\n");
            var result = CohortFile.Read(path);
            Assert.Equal("two\nlines", result.Patients.Single().Note);
            Assert.Equal(4, result.Errors.Single().Line);
        }

        [Fact]
        public void Headers_match_without_case_or_spaces_and_a_missing_required_column_is_named()
        {
            using var folder = new TempFolder();
            var good = folder.File("good.csv", "Hospital ID,NHS Number,status,Last Queried\r\nH1,9434765919,Existing,2024-02-01\r\n");
            var patient = CohortFile.Read(good).Patients.Single();
            Assert.Equal(("H1", "9434765919", new DateTime(2024, 1, 18)), (patient.PatientId, patient.NhsNumber, patient.Since!.Value));

            var bad = folder.File("bad.csv", "HospitalId,NhsNumber,LastQueried\r\nH1,,\r\n");
            var ex = Assert.Throws<InputFormatException>(() => CohortFile.Read(bad));
            Assert.Equal("Status", ex.Field);
            Assert.Equal(bad, ex.File);

            var empty = folder.File("empty.csv", "");
            Assert.Throws<InputFormatException>(() => CohortFile.Read(empty));
        }

        [Theory]
        [InlineData("en-GB")]
        [InlineData("en-US")]
        [InlineData("de-DE")]
        public void Deceased_patients_are_left_out_by_hospital_id_or_nhs_number(string culture)
        {
            using var scope = new CultureScope(culture);
            using var folder = new TempFolder();
            var cohort = folder.File("cohort.csv", Header +
                "H1,9434765919,Existing,2024-01-01,,\r\n" +
                "H2,4010232137,Existing,2024-01-01,,\r\n" +
                "H3,,New,,,\r\n" +
                "H4,,New,,,\r\n" +
                "H5,,Existing,,,\r\n" +   // deceased: its bad row does not matter
                "H6,,New,,,\r\n");
            var extract = folder.File("deceased.csv",
                "Hospital Number,NHS Number,Date of Death,Cause\r\n" +
                "h1,,02/03/2024,\r\n" +            // by hospital ID, any case
                ",401 023 2137,01/12/2023 14:05,\r\n" + // by NHS number, EDW spacing, with a time
                "H4,,05/01/2025,\r\n" +            // died after the as-of date: alive then
                "H5,,,\r\n" +                       // no date: deceased
                "H6,,31/02/2024,\r\n");             // unreadable date: still deceased, reported
            var asOf = new DateTime(2024, 12, 31);

            var deceased = DeceasedList.Read(extract, asOf);
            var result = CohortFile.Read(cohort, 14, deceased);

            Assert.Equal(new[] { "H3", "H4" }, result.Patients.Select(p => p.PatientId));
            Assert.Equal(4, result.DeceasedCount);
            Assert.Empty(result.Errors);
            var error = Assert.Single(deceased.Errors);
            Assert.Equal((6L, "Date of Death"), (error.Line!.Value, error.Field));
        }

        [Fact]
        public void A_deceased_extract_without_an_identifier_column_is_refused()
        {
            using var folder = new TempFolder();
            var extract = folder.File("deceased.csv", "Name,Date of Death\r\nX,01/01/2024\r\n");
            var ex = Assert.Throws<InputFormatException>(() => DeceasedList.Read(extract, DateTime.Today));
            Assert.Contains("has none of the columns HospitalId or NhsNumber", ex.Message);
            Assert.Equal("MissingColumn", ex.Code);
        }
    }
}
