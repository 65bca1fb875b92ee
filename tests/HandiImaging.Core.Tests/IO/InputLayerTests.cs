using System;
using System.IO;
using System.Linq;
using System.Text;
using HandiImaging.Core.IO;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Tests.Cohort;
using Xunit;

namespace HandiImaging.Core.Tests.IO
{
    public sealed class InputLayerTests
    {
        [Theory]
        [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x61, 0xC3, 0xA9 }, "UTF-8 with BOM", "aé", 3)]
        [InlineData(new byte[] { 0x61, 0xC3, 0xA9 }, "UTF-8", "aé", 0)]
        [InlineData(new byte[] { 0x61, 0xE9 }, "Windows-1252 (not valid UTF-8)", "aé", 0)]
        [InlineData(new byte[] { 0xFF, 0xFE, 0x61, 0x00, 0xE9, 0x00 }, "UTF-16 LE", "aé", 2)]
        [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x61, 0x00, 0xE9 }, "UTF-16 BE", "aé", 2)]
        public void Each_encoding_is_recognised_and_written_back_to_the_same_bytes(byte[] bytes, string name, string text, int bom)
        {
            var decoded = TextFileEncoding.Decode(bytes, "f.csv");
            Assert.Equal((name, text, bom), (decoded.Name, decoded.Text, decoded.Preamble.Length));
            Assert.Equal(bytes, decoded.Encode(decoded.Text, "f.csv"));
        }

        [Fact]
        public void Every_windows_1252_byte_decodes_and_encodes_back_to_itself()
        {
            var all = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
            var text = TextFileEncoding.Windows1252.GetString(all);
            Assert.DoesNotContain('\uFFFD', text);
            Assert.Equal('€', text[0x80]);
            Assert.Equal('é', text[0xE9]);
            Assert.Equal(all, TextFileEncoding.Windows1252.GetBytes(text));
        }

        [Fact]
        public void A_character_windows_1252_cannot_hold_is_an_error_not_a_question_mark()
        {
            var decoded = TextFileEncoding.Decode(new byte[] { 0x61, 0xE9 }, "cohort.csv");
            var ex = Assert.Throws<InputFormatException>(() => decoded.Encode("aé ✓", "cohort.csv"));
            Assert.Equal(("cohort.csv", "EncodingCannotHoldText"), (ex.File, ex.Code));
            Assert.Contains("U+2713", ex.Message);
        }

        [Fact]
        public void A_windows_1252_rules_file_keeps_its_accents_so_its_studies_match()
        {
            using var folder = new TempFolder();
            var path = folder.File("rules.csv");
            File.WriteAllBytes(path, TextFileEncoding.Windows1252.GetBytes("Description,Decision\r\nTête et cou,Include\r\nThorax – bas,Exclude\r\n"));
            var rules = StudyRuleFile.Read(path);
            Assert.Equal("Windows-1252 (not valid UTF-8)", rules.Encoding);
            Assert.Equal(HandiImaging.Core.Pacs.StudyDecision.Include, rules.RuleSet.Find("TÊTE ET COU")!.Decision);
            Assert.Equal(HandiImaging.Core.Pacs.StudyDecision.Exclude, rules.RuleSet.Find("Thorax – bas")!.Decision);
        }

        [Theory]
        [InlineData("2024-10-04", 2024, 10, 4)]
        [InlineData("20241004", 2024, 10, 4)]
        [InlineData("04/10/2024", 2024, 10, 4)]
        [InlineData("4/10/2024", 2024, 10, 4)]
        [InlineData(" 04/10/2024 00:00 ", 2024, 10, 4)]
        [InlineData("04/10/2024 13:45:10", 2024, 10, 4)]
        [InlineData("2024-10-04T13:45:10", 2024, 10, 4)]
        [InlineData("31/12/2024", 2024, 12, 31)]
        public void The_date_rule_reads_day_first_in_every_culture(string text, int year, int month, int day)
        {
            foreach (var culture in new[] { "en-GB", "en-US", "de-DE" })
            {
                using var scope = new CultureScope(culture);
                Assert.True(DateValue.TryParseUser(text, out var date), text);
                Assert.Equal(new DateTime(year, month, day), date);
            }
        }

        [Theory]
        [InlineData("12/31/2024", true)]
        [InlineData("2024/10/04", false)]
        [InlineData("04.10.2024", false)]
        [InlineData("4 Oct 2024", false)]
        [InlineData("31/02/2024", false)]
        [InlineData("2024-02-30", false)]
        [InlineData("45567", false)]
        public void The_date_rule_refuses_everything_else_naming_the_value_and_the_forms(string text, bool monthFirst)
        {
            foreach (var culture in new[] { "en-GB", "en-US", "de-DE" })
            {
                using var scope = new CultureScope(culture);
                Assert.False(DateValue.TryParseUser(text, out _), text);
                var message = Assert.Throws<FormatException>(() => DateValue.ParseUser(text, "-AsOf")).Message;
                Assert.StartsWith($"-AsOf '{text}' is not a date in the form yyyy-MM-dd, yyyyMMdd or dd/MM/yyyy (day first)", message);
                Assert.Equal(monthFirst, message.Contains("month first", StringComparison.Ordinal));
            }
        }

        [Theory]
        [InlineData("2099-01-01", "placeholder")]
        [InlineData("2025-02-01", "in the future")]
        [InlineData("1899-12-31", "before 1900")]
        public void A_date_of_something_that_happened_must_be_past_and_real(string text, string reason)
        {
            Assert.Contains(reason, DateValue.PastDateProblem(DateValue.ParseUser(text, "d"), new DateTime(2025, 1, 6)));
            Assert.Null(DateValue.PastDateProblem(new DateTime(2025, 1, 6), new DateTime(2025, 1, 6)));
        }

        [Theory]
        [InlineData("HospitalId", "NhsNumber", "Status", "LastQueried", "ReferenceDate", "Note")]
        [InlineData("Hospital Number", "NHS Number", "Date of Death", "DOD", "MRN", "NHS No")]
        [InlineData("Subject", "Date", "XNAT_CTSESSIONDATA ID", "UID", "Scans", "Reference Date")]
        [InlineData("Description", "Count", "Modalities", "FirstDate", "LastDate", "ExampleAccession")]
        [InlineData("StudyInstanceUid", "TimesSeen", "FirstSeen", "LastSeen", "ResolvedOn", "Source")]
        public void No_real_header_looks_like_data(params string[] header) => Assert.False(CsvSchema.LooksLikeData(header));

        [Theory]
        [InlineData("H1", "9434765919")]
        [InlineData("H1", "15/01/2024")]
        [InlineData("NN_H1", "2024-01-15")]
        [InlineData("943 476 5919", "x")]
        public void A_data_row_where_the_header_should_be_is_recognised(params string[] row) => Assert.True(CsvSchema.LooksLikeData(row));
    }
}
