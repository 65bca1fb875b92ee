using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using HandiImaging.Core.IO;
using HandiImaging.Core.Summary;

namespace HandiImaging.Core.Tests.Summary
{
    public sealed class XnatSummaryMergerTests : IDisposable
    {
        private const string LedgerHeader = "Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn";
        private const string FailureHeader = "Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid";
        private static readonly string[] Null5 = { "null", "null", "null", "null", "null" };
        private readonly SummaryFolder _folder = new SummaryFolder();

        public void Dispose() => _folder.Dispose();

        [Fact]
        public void Header_is_subject_reference_date_then_five_slots_of_five_columns_per_section_in_warehouse_order()
        {
            _folder.Sessions("CT", "S1,2020-01-01,A1,1.2.3,4");

            var (table, result, _) = _folder.Merge();

            var expected = new List<string> { "Subject", "Reference Date" };
            foreach (var prefix in new[] { "CT", "MR", "PET", "CR", "DX", "RF", "SR", "XA", "PACs-not-ingested" })
                for (var i = 1; i <= 5; i++)
                    expected.AddRange(new[] { $"{prefix} Date {i}", $"{prefix} Difference from Reference Date {i}", $"{prefix} ID {i}", $"{prefix} UID {i}", $"{prefix} Scans {i}" });
            Assert.Equal(expected, table.Header);
            Assert.Equal(227, result.ColumnCount);
            Assert.Equal(table.Header.Length, table.Header.Distinct().Count());
        }

        [Fact]
        public void Slot_count_is_the_most_sessions_any_subject_has_in_that_section_and_never_below_five()
        {
            _folder.Sessions("CT", Enumerable.Range(1, 7).Select(i => $"S1,2020-01-0{i},A{i},u{i},1").Concat(new[] { "S2,2020-01-01,B1,u,1" }).ToArray());
            _folder.Sessions("MR", "S2,2020-01-01,M1,Avanto,1");

            var (table, result, _) = _folder.Merge();

            Assert.Equal(7, table.Slots("CT"));
            Assert.Equal(5, table.Slots("MR"));
            Assert.Contains("CT Scans 7", table.Header);
            Assert.DoesNotContain("CT Date 8", table.Header);
            Assert.Equal(7, result.Sections.Single(s => s.Name == "CT").Slots);
            Assert.Equal(Null5, table.Slot("S2", "CT", 7));
        }

        [Fact]
        public void Dates_print_as_iso_and_difference_is_whole_days_from_the_day_first_reference_date()
        {
            _folder.References("S1,03/04/2020");
            _folder.Sessions("CT", "S1,2020-04-01,A,u,1", "S1,2020-05-03,B,u,1", "S1,2020-04-03,C,u,1");

            var (table, _, _) = _folder.Merge();

            Assert.Equal("2020-04-03", table.Cell("S1", "Reference Date"));
            Assert.Equal(new[] { "2020-04-01", "-2", "A", "u", "1" }, table.Slot("S1", "CT", 1));
            Assert.Equal(new[] { "2020-04-03", "0", "C", "u", "1" }, table.Slot("S1", "CT", 2));
            Assert.Equal(new[] { "2020-05-03", "30", "B", "u", "1" }, table.Slot("S1", "CT", 3));
        }

        [Fact]
        public void Reference_dates_are_never_read_month_first()
        {
            _folder.References("S1,03/04/2020", "S2,13/04/2020", "S3,04/13/2020", "S4,2020-04-03", "S5,3/4/2020");

            var (table, _, warnings) = _folder.Merge();

            Assert.Equal("2020-04-03", table.Cell("S1", "Reference Date"));
            Assert.Equal("2020-04-13", table.Cell("S2", "Reference Date"));
            Assert.Equal("null", table.Cell("S3", "Reference Date"));
            Assert.Equal("2020-04-03", table.Cell("S4", "Reference Date"));
            Assert.Equal("2020-04-03", table.Cell("S5", "Reference Date"));
            var warning = Assert.Single(warnings);
            Assert.Equal(4, warning.Line);
            Assert.StartsWith("reference_dates.csv, line 4: reference date is not in any accepted format", warning.ToString());
        }

        [Fact]
        public void Reference_date_formats_can_be_chosen()
        {
            _folder.References("S1,20200403", "S2,03/04/2020");
            var request = _folder.Request();
            request.ReferenceDateFormats = new[] { "yyyyMMdd" };

            var (table, _, warnings) = _folder.Merge(request);

            Assert.Equal("2020-04-03", table.Cell("S1", "Reference Date"));
            Assert.Equal("null", table.Cell("S2", "Reference Date"));
            Assert.Single(warnings);
        }

        [Fact]
        public void Subject_without_reference_date_gets_not_applicable_in_reference_and_filled_slots_only()
        {
            _folder.References("S2,");
            _folder.Sessions("CT", "S1,2020-01-01,A,u,1", "S2,2020-01-01,B,u,1", "S2,not a date,C,u,1");

            var (table, _, _) = _folder.Merge();

            foreach (var subject in new[] { "S1", "S2" })
            {
                Assert.Equal("not applicable", table.Cell(subject, "Reference Date"));
                Assert.Equal(new[] { "2020-01-01", "not applicable" }, table.Slot(subject, "CT", 1).Take(2));
                Assert.Equal(Null5, table.Slot(subject, "CT", 3));
                Assert.Equal(Null5, table.Slot(subject, "MR", 1));
            }
            Assert.Equal(new[] { "null", "not applicable", "C" }, table.Slot("S2", "CT", 2).Take(3));
        }

        [Fact]
        public void Unreadable_reference_date_is_null_and_so_are_its_differences()
        {
            _folder.References("S1,someday");
            _folder.Sessions("MR", "S1,2020-01-01,A,Avanto,1");

            var (table, _, warnings) = _folder.Merge();

            Assert.Equal("null", table.Cell("S1", "Reference Date"));
            Assert.Equal(new[] { "2020-01-01", "null", "A", "Avanto", "1" }, table.Slot("S1", "MR", 1));
            Assert.Equal(2, Assert.Single(warnings).Line);
        }

        [Fact]
        public void Missing_values_and_empty_slots_are_null()
        {
            _folder.References("S1,01/01/2020");
            _folder.Sessions("CT", "S1,2020-01-02,,   ,", "S1,2020-01-03,B");

            var (table, _, _) = _folder.Merge();

            Assert.Equal(new[] { "2020-01-02", "1", "null", "null", "null" }, table.Slot("S1", "CT", 1));
            Assert.Equal(new[] { "2020-01-03", "2", "B", "null", "null" }, table.Slot("S1", "CT", 2));
            Assert.Equal(Null5, table.Slot("S1", "CT", 3));
        }

        [Fact]
        public void Unparseable_or_missing_session_date_is_null_sorted_last_and_warned_with_file_and_line()
        {
            _folder.References("S1,01/01/2020");
            _folder.Sessions("PET", "S1,2019-02-30,A,u,1", "S1,04/31/2020,B,u,1", "S1,,C,u,1", "S1,2021-01-01,D,u,1");

            var (table, _, warnings) = _folder.Merge();

            Assert.Equal(new[] { "2021-01-01", "366", "D" }, table.Slot("S1", "PET", 1).Take(3));
            Assert.Equal(new[] { "null", "null", "A" }, table.Slot("S1", "PET", 2).Take(3));
            Assert.Equal(new[] { "null", "null", "B" }, table.Slot("S1", "PET", 3).Take(3));
            Assert.Equal(new[] { "null", "null", "C" }, table.Slot("S1", "PET", 4).Take(3));
            Assert.Equal(new long?[] { 2, 3, 4 }, warnings.Select(w => w.Line));
            Assert.All(warnings, w => Assert.Equal(Path.Combine(_folder.Root, "PET.csv"), w.File));
            Assert.StartsWith("PET.csv, line 2: date is not yyyy-MM-dd", warnings[0].ToString());
        }

        [Fact]
        public void Text_and_numbers_are_copied_verbatim()
        {
            _folder.Sessions("CT",
                "0123456789,2020-01-01,000123,1.2.840.10008.5.1.4.1.1.2.123456789012345678901234567890,7",
                "0123456789,2020-01-02,A2,1e5,7.0",
                "0123456789,2020-01-03,A3, padded ,007",
                "0123456789,2020-01-04,A4,\"1,234\",1.50");

            var (table, _, _) = _folder.Merge();

            Assert.Equal("0123456789", Assert.Single(table.Subjects));
            Assert.Equal(new[] { "000123", "1.2.840.10008.5.1.4.1.1.2.123456789012345678901234567890", "7" }, table.Slot("0123456789", "CT", 1).Skip(2));
            Assert.Equal(new[] { "A2", "1e5", "7.0" }, table.Slot("0123456789", "CT", 2).Skip(2));
            Assert.Equal(new[] { "A3", " padded ", "007" }, table.Slot("0123456789", "CT", 3).Skip(2));
            Assert.Equal(new[] { "A4", "1,234", "1.50" }, table.Slot("0123456789", "CT", 4).Skip(2));
        }

        [Fact]
        public void Slots_ascend_by_date_then_id_ordinal_with_unparseable_dates_last()
        {
            _folder.Sessions("DX",
                "S1,2020-01-02,b1,u,1",
                "S1,bad,A,u,1",
                "S1,2020-01-02,B9,u,1",
                "S1,2020-01-01,Z,u,1",
                "S1,2020-01-02,B10,u,1",
                "S1,bad,0,u,1");

            var (table, _, _) = _folder.Merge();

            var ids = Enumerable.Range(1, 6).Select(i => table.Cell("S1", $"DX ID {i}"));
            Assert.Equal(new[] { "Z", "B10", "B9", "b1", "0", "A" }, ids);
        }

        [Fact]
        public void A_session_id_listed_twice_appears_once_keeping_the_first_row_with_a_warning()
        {
            _folder.Sessions("MR",
                "S1,2020-01-05,M1,Avanto,3",
                "S1,2020-01-01,M1,Skyra,9",
                "S2,2020-01-01,M1,Avanto,3",
                "S1,2020-01-06,,Avanto,1",
                "S1,2020-01-07,,Avanto,1",
                "S1,2020-01-05,M1,Avanto,3");

            var (table, result, warnings) = _folder.Merge();

            Assert.Equal(new[] { "2020-01-05", "not applicable", "M1", "Avanto", "3" }, table.Slot("S1", "MR", 1));
            Assert.Equal("null", table.Cell("S1", "MR ID 2"));
            Assert.Equal("2020-01-06", table.Cell("S1", "MR Date 2"));
            Assert.Equal("2020-01-07", table.Cell("S1", "MR Date 3"));
            Assert.Equal("null", table.Cell("S1", "MR Date 4"));
            Assert.Equal("M1", table.Cell("S2", "MR ID 1"));
            Assert.Equal(2, result.DuplicatesIgnored);
            Assert.Equal(4, result.SessionsPerSection["MR"]);
            Assert.Equal(new long?[] { 3, 7 }, warnings.Select(w => w.Line));
            Assert.StartsWith("MR.csv, line 3: session ID listed twice", warnings[0].ToString());
        }

        [Fact]
        public void Every_subject_in_any_input_appears_with_null_slots_when_it_has_no_imaging()
        {
            _folder.References("OnlyReference,01/02/2020");
            _folder.Sessions("SR", "OnlyPlaceholder,2099-01-01,X,u,admin");
            _folder.Failures(FailureHeader, "OnlyFailure,2021-02-03,ACC1,\"CT Neck, chest\",1.2.3");

            var (table, _, _) = _folder.Merge();

            Assert.Equal(new[] { "OnlyFailure", "OnlyPlaceholder", "OnlyReference" }, table.Subjects);
            Assert.Equal("2020-02-01", table.Cell("OnlyReference", "Reference Date"));
            Assert.All(table.Row("OnlyReference").Skip(2), c => Assert.Equal("null", c));
            Assert.All(table.Row("OnlyPlaceholder").Skip(2), c => Assert.Equal("null", c));
            Assert.Equal(new[] { "2021-02-03", "not applicable", "ACC1", "CT Neck, chest", "1.2.3" }, table.Slot("OnlyFailure", "PACs-not-ingested", 1));
        }

        [Fact]
        public void Cohort_patients_with_no_imaging_and_no_reference_date_get_an_all_null_row()
        {
            _folder.References("4010232137,01/02/2020");
            _folder.Sessions("CT", "4010232137,2021-01-01,XNAT_E1,1.2.1,3");
            var request = _folder.Request();
            request.CohortSubjects = new[] { "4010232137", " NN_H0001 ", "" };

            var (table, result, _) = _folder.Merge(request);

            Assert.Equal(new[] { "4010232137", "NN_H0001" }, table.Subjects);
            Assert.Equal(2, result.SubjectCount);
            Assert.Equal("not applicable", table.Cell("NN_H0001", "Reference Date"));
            Assert.All(table.Row("NN_H0001").Skip(2), c => Assert.Equal("null", c));
        }

        [Fact]
        public void Rows_are_ordered_by_subject_ordinally()
        {
            _folder.References("b,01/01/2020", "NN_0001,01/01/2020", "a,01/01/2020");
            _folder.Sessions("CT", "B,2020-01-01,1,u,1", "9434765919,2020-01-01,2,u,1", "0123456789,2020-01-01,3,u,1");

            var (table, result, _) = _folder.Merge();

            Assert.Equal(new[] { "0123456789", "9434765919", "B", "NN_0001", "a", "b" }, table.Subjects);
            Assert.Equal(6, result.SubjectCount);
        }

        [Fact]
        public void Blank_subjects_are_skipped_with_a_warning_naming_file_and_start_line()
        {
            _folder.Raw("CT.csv", "Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans\r\n" +
                                  "S1,2020-01-01,A,\"two\r\nlines\",1\r\n" + // lines 2-3
                                  "\r\n" +                                  // line 4, blank
                                  ",2020-01-02,B,u,1\r\n" +                 // line 5
                                  "   ,2020-01-03,C,u,1\r\n");              // line 6
            _folder.References(",01/01/2020");

            var (table, result, warnings) = _folder.Merge();

            Assert.Equal(new[] { "S1" }, table.Subjects);
            Assert.Equal("two\r\nlines", table.Cell("S1", "CT UID 1"));
            Assert.Equal(new[] { "reference_dates.csv, line 2: blank subject; row skipped", "CT.csv, line 5: blank subject; row skipped", "CT.csv, line 6: blank subject; row skipped" },
                warnings.Select(w => w.ToString()));
            Assert.Equal(3, result.BlankSubjectsSkipped);
        }

        [Fact]
        public void Header_only_and_empty_sections_are_fine()
        {
            _folder.Raw("SR.csv", "");
            _folder.Sessions("XA");
            _folder.Failures(FailureHeader);
            _folder.Sessions("CT", "S1,2020-01-01,A,u,1");

            var (table, result, warnings) = _folder.Merge();

            Assert.Empty(warnings);
            Assert.Equal(5, table.Slots("SR"));
            Assert.Equal(5, table.Slots("XA"));
            Assert.Equal(Null5, table.Slot("S1", "SR", 1));
            Assert.Equal(0, result.SessionsPerSection["SR"]);
            Assert.Equal(0, result.FailureCount);
        }

        [Fact]
        public void Values_with_commas_and_quotes_are_quoted_in_the_output()
        {
            _folder.Sessions("MR", "\"NN_1,2\",2020-01-01,M1,\"GE, SIGNA \"\"Artist\"\"\",3");

            var (table, _, _) = _folder.Merge();

            Assert.Equal("GE, SIGNA \"Artist\"", table.Cell("NN_1,2", "MR UID 1"));
            var text = File.ReadAllText(_folder.OutputPath);
            Assert.Contains("\r\n\"NN_1,2\",not applicable,", text);
            Assert.Contains(",M1,\"GE, SIGNA \"\"Artist\"\"\",3,", text);
        }

        [Fact]
        public void Rows_dated_2099_01_01_are_left_out_everywhere()
        {
            _folder.Sessions("CT", "S1,2099-01-01,P,u,1", "S1,2020-01-01,A,u,1");
            _folder.Failures(FailureHeader, "S1,20990101,F0,CT Neck,1.1", "S1,2020-02-02,F1,CT Neck,1.2");

            var (table, result, _) = _folder.Merge();

            Assert.Equal("A", table.Cell("S1", "CT ID 1"));
            Assert.Equal("null", table.Cell("S1", "CT ID 2"));
            Assert.Equal("F1", table.Cell("S1", "PACs-not-ingested ID 1"));
            Assert.Equal("null", table.Cell("S1", "PACs-not-ingested ID 2"));
            Assert.Equal(2, result.PlaceholdersExcluded);
        }

        [Fact]
        public void A_ledger_contributes_only_its_open_failures()
        {
            _folder.References("S1,01/02/2020");
            _folder.Failures(LedgerHeader,
                "S1,2020-02-11,ACC-OPEN,\"MRI \"\"Neck\"\", contrast\",1.2.826.1,H1,2024-01-01,2024-04-01,2,PACs-failures.txt:3,Open,",
                "S1,2020-02-12,ACC-RES,CT Neck,1.2.826.2,H1,2024-01-01,2024-01-01,1,PACs-failures.txt:4,Resolved,2024-04-01",
                "S1,2020-02-13,ACC-OPEN2,CT Neck,,H1,2024-01-01,2024-01-01,1,PACs-failures.txt:5,open,",
                "S1,2020-02-14,ACC-ODD,CT Neck,1.2.826.4,H1,2024-01-01,2024-01-01,1,PACs-failures.txt:6,Pending,");

            var (table, result, warnings) = _folder.Merge();

            Assert.Equal(new[] { "2020-02-11", "10", "ACC-OPEN", "MRI \"Neck\", contrast", "1.2.826.1" }, table.Slot("S1", "PACs-not-ingested", 1));
            Assert.Equal(new[] { "2020-02-13", "12", "ACC-OPEN2", "CT Neck", "null" }, table.Slot("S1", "PACs-not-ingested", 2));
            Assert.Equal(Null5, table.Slot("S1", "PACs-not-ingested", 3));
            Assert.Equal(2, result.FailureCount);
            Assert.Equal("failures.csv, line 5: status is neither Open nor Resolved; row skipped", Assert.Single(warnings).ToString());
        }

        [Fact]
        public void A_plain_failures_csv_contributes_every_row_and_dicom_dates_are_read()
        {
            _folder.Failures(FailureHeader, "S1,20200403,ACC1,CT Neck,1.1", "S1,2020-04-01,ACC2,CT Neck,1.2");

            var (table, result, _) = _folder.Merge();

            Assert.Equal(new[] { "2020-04-01", "ACC2" }, table.Slot("S1", "PACs-not-ingested", 1).Where((_, i) => i == 0 || i == 2));
            Assert.Equal(new[] { "2020-04-03", "ACC1" }, table.Slot("S1", "PACs-not-ingested", 2).Where((_, i) => i == 0 || i == 2));
            Assert.Equal(2, result.FailureCount);
        }

        [Fact]
        public void Missing_session_files_are_a_terminating_error_naming_them_and_nothing_is_written()
        {
            File.Delete(Path.Combine(_folder.Root, "MR.csv"));
            File.Delete(Path.Combine(_folder.Root, "SR.csv"));

            var ex = Assert.Throws<SessionFileMissingException>(() => XnatSummaryMerger.Merge(_folder.Request()));

            Assert.Equal(new[] { "MR.csv", "SR.csv" }, ex.Missing);
            Assert.Contains("MR.csv, SR.csv are missing", ex.Message);
            Assert.False(File.Exists(_folder.OutputPath));
        }

        [Fact]
        public void Session_file_names_are_matched_without_regard_to_case()
        {
            File.Delete(Path.Combine(_folder.Root, "CT.csv"));
            _folder.Raw("ct.csv", SummaryFolder.Headers["CT"] + "\r\nS1,2020-01-01,A,u,1\r\n");

            var (table, _, _) = _folder.Merge();

            Assert.Equal("A", table.Cell("S1", "CT ID 1"));
        }

        [Fact]
        public void A_file_that_is_not_comma_separated_is_rejected_with_file_and_line()
        {
            _folder.Raw("reference_dates.csv", "Subject;Reference Date\r\nS1;01/01/2020\r\n");

            var ex = Assert.Throws<InputFormatException>(() => XnatSummaryMerger.Merge(_folder.Request()));

            Assert.Equal(_folder.ReferencePath, ex.File);
            Assert.Equal(1, ex.Line);
        }

        [Fact]
        public void Conflicting_reference_dates_keep_the_first_with_a_warning()
        {
            _folder.References("S1,01/01/2020", "S1,01/01/2020", "S1,02/01/2020");

            var (table, _, warnings) = _folder.Merge();

            Assert.Equal("2020-01-01", table.Cell("S1", "Reference Date"));
            Assert.Equal(4, Assert.Single(warnings).Line);
        }

        [Fact]
        public void Malformed_quotes_are_an_error_naming_file_and_line_and_nothing_is_written()
        {
            _folder.Sessions("XA", "S1,2020-01-01,X1,\"E1\"x\",admin");

            var ex = Assert.Throws<InputFormatException>(() => _folder.Merge());

            Assert.Equal((Path.Combine(_folder.Root, "XA.csv"), 2L, "StrayQuote"), (ex.File, ex.Line!.Value, ex.Code));
            Assert.False(File.Exists(_folder.OutputPath));
        }

        [Fact]
        public void The_output_is_replaced_atomically_and_a_cancelled_run_leaves_the_old_file()
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_folder.OutputPath)!);
            File.WriteAllText(_folder.OutputPath, "previous summary");
            _folder.Sessions("CT", "S1,2020-01-01,A,u,1");
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();

            Assert.ThrowsAny<OperationCanceledException>(() => XnatSummaryMerger.Merge(_folder.Request(), null, null, cancelled.Token));

            Assert.Equal("previous summary", File.ReadAllText(_folder.OutputPath));
            Assert.Equal(new[] { "summary.csv" }, Directory.GetFiles(Path.GetDirectoryName(_folder.OutputPath)!).Select(Path.GetFileName));

            XnatSummaryMerger.Merge(_folder.Request());
            Assert.StartsWith("Subject,Reference Date,", File.ReadAllText(_folder.OutputPath));
            Assert.Equal("previous summary", File.ReadAllText(AtomicFile.BackupPath(_folder.OutputPath)));
        }

        [Theory]
        [InlineData("en-GB")]
        [InlineData("en-US")]
        [InlineData("de-DE")]
        [InlineData("th-TH")]
        public void The_output_is_byte_identical_under_any_culture(string culture)
        {
            _folder.References("S1,03/04/2020", "S2,2019-12-31");
            _folder.Sessions("CT", "S1,2020-04-01,A,\"1,5\",7", "S2,2021-01-01,B,u,12");
            _folder.Failures(FailureHeader, "S2,20200229,F,CT Neck,1.2");
            var invariant = MergeBytesUnder(CultureInfo.InvariantCulture);

            var local = MergeBytesUnder(new CultureInfo(culture));

            Assert.Equal(invariant, local);
            Assert.Contains("S1,2020-04-03,2020-04-01,-2,A,\"1,5\",7,", System.Text.Encoding.UTF8.GetString(local));
        }

        private byte[] MergeBytesUnder(CultureInfo culture)
        {
            var saved = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
            try
            {
                CultureInfo.CurrentCulture = culture;
                CultureInfo.CurrentUICulture = culture;
                XnatSummaryMerger.Merge(_folder.Request(withFailures: true));
                return File.ReadAllBytes(_folder.OutputPath);
            }
            finally
            {
                (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = saved;
            }
        }

        [Fact]
        public void The_result_reports_path_subjects_sessions_per_section_and_warnings()
        {
            _folder.Sessions("CT", "S1,2020-01-01,A,u,1", "S2,2020-01-01,B,u,1", ",2020-01-01,C,u,1");
            _folder.Sessions("RF", "S1,2020-01-01,R,XNAT_E1,R_RF");
            _folder.Failures(FailureHeader, "S3,2020-01-01,F,CT Neck,1.2");

            var (_, result, warnings) = _folder.Merge();

            Assert.Equal(_folder.OutputPath, result.OutputPath);
            Assert.Equal(3, result.SubjectCount);
            Assert.Equal(new[] { "CT", "MR", "PET", "CR", "DX", "RF", "SR", "XA", "Failures" }, result.Sections.Select(s => s.Name));
            Assert.Equal(new[] { 2, 0, 0, 0, 0, 1, 0, 0, 1 }, result.Sections.Select(s => s.Sessions));
            Assert.Equal(3, result.SessionCount);
            Assert.Equal(1, result.FailureCount);
            Assert.Equal("PACs-not-ingested", result.Sections.Last().ColumnPrefix);
            Assert.Equal(warnings.Select(w => w.ToString()), result.Warnings.Select(w => w.ToString()));
            Assert.Equal(1, result.WarningCount);
        }

        [Fact]
        public void Warnings_beyond_the_listed_maximum_are_counted()
        {
            _folder.Sessions("CT", Enumerable.Range(0, XnatSummaryMerger.MaxListedWarnings + 5).Select(_ => ",2020-01-01,A,u,1").ToArray());

            var (_, result, warnings) = _folder.Merge();

            Assert.Equal(XnatSummaryMerger.MaxListedWarnings, result.Warnings.Count);
            Assert.Equal(XnatSummaryMerger.MaxListedWarnings + 5, result.WarningCount);
            Assert.Equal("5 further warnings were counted but not listed.", warnings.Last().Problem);
        }

        [Theory]
        [InlineData("2020-02-29")]
        [InlineData("2019-02-29")]
        [InlineData("0000-01-01")]
        [InlineData("0001-01-01")]
        [InlineData("9999-12-31")]
        [InlineData("2020-13-01")]
        [InlineData("2020-00-10")]
        [InlineData("2020-1-011")]
        [InlineData("2020-01-0x")]
        [InlineData(" 2020-01-01")]
        [InlineData("2020-01-01 ")]
        [InlineData("20200101")]
        [InlineData("2020/01/01")]
        public void The_fast_date_path_agrees_with_exact_parsing(string text)
        {
            // The digit-by-digit yyyy-MM-dd path of the date rule gives what exact parsing of its forms gives.
            var formats = new[] { "yyyy-MM-dd", "yyyyMMdd", "dd/MM/yyyy", "d/M/yyyy" };
            var expected = DateTime.TryParseExact(text.Trim(), formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date);
            Assert.Equal(expected, XnatSummaryMerger.TryParseDay(text, out var day));
            if (expected) Assert.Equal(date, new DateTime(day * TimeSpan.TicksPerDay));
        }

        [Fact]
        public void Progress_is_reported_up_to_completion()
        {
            _folder.Sessions("CT", "S1,2020-01-01,A,u,1");
            var progress = new List<SummaryProgress>();

            XnatSummaryMerger.Merge(_folder.Request(), null, progress.Add);

            Assert.Equal(1.0, progress.Last().Fraction);
            Assert.True(progress.Select(p => p.Fraction).SequenceEqual(progress.Select(p => p.Fraction).OrderBy(f => f)));
        }
    }
}
