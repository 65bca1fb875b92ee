using System.Collections.Generic;
using System.IO;
using System.Linq;
using HandiImaging.Core.Demo;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Tests.Failures
{
    public class IngestFailureReaderTests
    {
        private static HospitalIdMap Map(string csv) => HospitalIdMap.Read(new StringReader(csv), "HospitalID-NHSNumber.csv");

        private static (List<IngestFailure> Failures, List<InputFormatException> Errors) Read(IngestFailureReader reader, string text)
        {
            var failures = new List<IngestFailure>();
            var errors = new List<InputFormatException>();
            foreach (var item in reader.Read(new StringReader(text), "f.txt"))
            {
                if (item.Record != null) failures.Add(item.Record);
                else errors.Add(item.Error!);
            }
            return (failures, errors);
        }

        private static string Line(string acc, string id, string date, string uid = "", string desc = "CT") =>
            $"{{\"accessionNumber\":\"{acc}\",\"id\":\"{id}\",\"studyDate\":\"{date}\",\"studyDescription\":\"{desc}\",\"studyInstanceUid\":\"{uid}\"}}\n";

        [Fact]
        public void SubjectIsTheNhsNumberOrNnForUnmappedAndBlankMappedIds()
        {
            var map = Map("HospitalID,NHSNumber\nH1,9434765919\nH2,\nH4, 943 476 5870 \n");
            var reader = new IngestFailureReader(map);
            var (failures, errors) = Read(reader, Line("1", "H1", "2020-01-01") + Line("2", "H2", "2020-01-01") + Line("3", "H3", "2020-01-01") + Line("4", "h4", "2020-01-01") + Line("5", "H3", "2020-01-02"));
            Assert.Empty(errors);
            Assert.Equal(new[] { "9434765919", "NN_H2", "NN_H3", "9434765870", "NN_H3" }, failures.Select(f => f.Subject));
            Assert.Equal(1, reader.Stats.BlankMappedHospitalIds);
            Assert.Equal(1, reader.Stats.BlankMappedRecords);
            Assert.Equal(1, reader.Stats.UnmappedHospitalIds);
            Assert.Equal(2, reader.Stats.UnmappedRecords);
            Assert.Equal(new[] { "H3" }, reader.Stats.UnmappedExamples);
            Assert.Equal(new[] { "H2" }, reader.Stats.BlankMappedExamples);
        }

        [Fact]
        public void A_file_that_stops_being_utf8_after_its_first_megabyte_is_an_error_naming_file_and_line()
        {
            var path = Path.Combine(Path.GetTempPath(), "handi-" + System.Guid.NewGuid().ToString("N") + ".txt");
            try
            {
                var line = Line("1", "H1", "2020-01-01");
                var lines = (1 << 20) / line.Length + 10; // past the megabyte that decides the encoding
                var bytes = new List<byte>(System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(line, lines))));
                bytes.AddRange(System.Text.Encoding.ASCII.GetBytes("{\"id\":\"H2\",\"studyDescription\":\"CT T"));
                bytes.Add(0xEA); // Windows-1252 'ê'
                bytes.AddRange(System.Text.Encoding.ASCII.GetBytes("te\"}\n"));
                File.WriteAllBytes(path, bytes.ToArray());

                var error = Assert.Throws<InputFormatException>(() => new IngestFailureReader(null).ReadFile(path).ToList());
                Assert.Equal(("InvalidEncoding", path), (error.Code, error.File));
                Assert.Equal(lines + 1, error.Line);
            }
            finally { File.Delete(path); }
        }

        [Fact]
        public void WithoutAMapEverySubjectIsNn()
        {
            var reader = new IngestFailureReader(null);
            var (failures, _) = Read(reader, Line("1", "0012345", "2020-01-01"));
            Assert.Equal("NN_0012345", Assert.Single(failures).Subject);
            Assert.True(reader.Stats.NoMap);
        }

        [Fact]
        public void MissingHospitalIdGivesEmptySubjectAndIsCounted()
        {
            var reader = new IngestFailureReader(null);
            var (failures, _) = Read(reader, Line("1", "", "2020-01-01", "1.2"));
            Assert.Equal("", Assert.Single(failures).Subject);
            Assert.Equal(1, reader.Stats.MissingHospitalIdRecords);
            Assert.Equal(new[] { "f.txt:1" }, reader.Stats.MissingHospitalIdSources);
        }

        [Fact]
        public void PlaceholdersAreDroppedUnlessIncluded()
        {
            var text = Line("1", "H1", "2099-01-01") + Line("2", "H1", "20990101") + Line("3", "H1", "2020-01-01");
            var dropping = new IngestFailureReader(null);
            Assert.Equal(new[] { "3" }, Read(dropping, text).Failures.Select(f => f.AccessionNumber));
            Assert.Equal(2, dropping.Stats.PlaceholdersDropped);
            var including = new IngestFailureReader(null, includePlaceholder: true);
            Assert.Equal(new[] { "2099-01-01", "2099-01-01", "2020-01-01" }, Read(including, text).Failures.Select(f => f.StudyDate));
        }

        [Fact]
        public void ExactRepeatsCollapseEvenAcrossShapesAndDateForms()
        {
            var text = Line("1", "H1", "2020-01-02", "1.2") +
                       "\"accessionNumber\":\"1\" \"id\":\"H1\" \"studyDate\":\"20200102\" \"studyDescription\":\"CT\" \"studyInstanceUid\":\"1.2\" \"studyId\":\"9\"\n" +
                       Line("1", "H1", "2020-01-02", "1.2", "CT ") + // not exact: the description differs
                       Line("1", "H1", "2020-01-02", "1.2");
            var reader = new IngestFailureReader(null);
            var (failures, _) = Read(reader, text);
            Assert.Equal(new[] { "CT", "CT " }, failures.Select(f => f.StudyDescription));
            Assert.Equal(2, reader.Stats.DuplicatesCollapsed);
            Assert.Equal("f.txt:1", failures[0].Source);
        }

        [Fact]
        public void DatesAreNormalisedAndUnreadableOnesKeptAsWritten()
        {
            var text = Line("1", "H1", "20200102") + Line("2", "H1", "2020-01-03T10:00:00") + Line("3", "H1", "03/04/2020") + Line("4", "H1", "20200230");
            var reader = new IngestFailureReader(null);
            var (failures, _) = Read(reader, text);
            Assert.Equal(new[] { "2020-01-02", "2020-01-03", "03/04/2020", "20200230" }, failures.Select(f => f.StudyDate));
            Assert.Equal(2, reader.Stats.UnreadableDates);
            Assert.Equal(new[] { "f.txt:3", "f.txt:4" }, reader.Stats.UnreadableDateSources);
        }

        [Fact]
        public void UnreadableRecordsAreCountedAndTheRestComeOut()
        {
            var reader = new IngestFailureReader(null);
            var (failures, errors) = Read(reader, Line("1", "H1", "2020-01-01") + "{\"accessionNumber\":\"2\",\"id\n" + Line("3", "H1", "2020-01-01"));
            Assert.Equal(2, failures.Count);
            Assert.Equal(2, Assert.Single(errors).Line);
            Assert.Equal(1, reader.Stats.Unreadable);
        }

        [Fact]
        public void IdMapNeedsItsColumnsAndReportsConflicts()
        {
            var ex = Assert.Throws<InputFormatException>(() => Map("Hospital,NHS\nH1,1\n"));
            Assert.Equal("HospitalID", ex.Field);
            var map = Map("NHS Number,Hospital ID\n9434765919,H1\n9434765870,H1\n,H2\n4000000001,H2\n");
            Assert.True(map.TryGetNhsNumber("H1", out var nhs));
            Assert.Equal("9434765919", nhs);
            Assert.Equal(new[] { "H1" }, map.Conflicts);
            Assert.True(map.TryGetNhsNumber("H2", out nhs));
            Assert.Equal("4000000001", nhs); // a blank row does not hide a later number
        }

        [Theory]
        [InlineData(1, 300)]
        [InlineData(2, 1000)]
        [InlineData(3, 50)]
        [InlineData(4, 2000)]
        public void RoundTripThroughDemoFailureTextGivesExactlyTheRecords(int seed, int count)
        {
            var records = FailureTestData.Records(seed, count);
            var text = DemoFailureText.ToText(records, seed * 7);
            var reader = new IngestFailureReader(null);
            var (failures, errors) = Read(reader, text);
            Assert.Empty(errors);
            var expected = FailureTestData.Expected(records);
            var actual = failures.Select(f => new DemoFailure(f.HospitalId, f.AccessionNumber, f.StudyDate, f.StudyDescription, f.StudyInstanceUid)).ToList();
            Assert.Equal(expected, actual);
        }

        [Fact]
        public void DemoTextUsesEveryShapeAndIsDeterministic()
        {
            var records = FailureTestData.Records(11, 400);
            var text = DemoFailureText.ToText(records, 5);
            Assert.Equal(text, DemoFailureText.ToText(records, 5));
            Assert.NotEqual(text, DemoFailureText.ToText(records, 6));
            var lines = text.Split('\n');
            Assert.Contains(lines, l => l.StartsWith("{\"") && l.EndsWith("}"));                      // JSON lines
            Assert.Contains(lines, l => l.Contains('\t') && l.Contains("\"\"\"") );                  // spreadsheet cells
            Assert.Contains(lines, l => l.StartsWith("{\"\"\""));                                    // braces outside the quotes
            Assert.Contains(lines, l => l == "[");                                                   // pretty arrays
            Assert.Contains(lines, l => l.StartsWith("\"{\"\"") && !l.Contains('\t'));             // CSV-embedded JSON
            Assert.Contains(lines, l => l.StartsWith("\"") && !l.Contains("\"\"") && l.Contains("\" \"")); // bare pairs
            Assert.Contains(lines, l => l.Contains("\"patient\""));
            Assert.Contains(lines, l => l.Contains(":null"));
            Assert.Matches("\"studyDate\":\"?(19|20)\\d{6}\\b", text);                                // DICOM dates
        }

        [Theory]
        [InlineData("en-GB")]
        [InlineData("en-US")]
        [InlineData("de-DE")]
        public void ParsingDoesNotDependOnCulture(string culture)
        {
            var records = FailureTestData.Records(21, 300);
            var text = DemoFailureText.ToText(records, 3);
            List<IngestFailure>? failures = null;
            FailureTestData.InCulture(culture, () => failures = Read(new IngestFailureReader(null), text).Failures);
            var invariant = Read(new IngestFailureReader(null), text).Failures;
            Assert.Equal(invariant.Select(f => f.ToString() + f.StudyDescription), failures!.Select(f => f.ToString() + f.StudyDescription));
        }
    }
}

namespace HandiImaging.Core.Tests.Failures
{
    public class FailureDateTests
    {
        [Theory]
        [InlineData("2020-01-02", "2020-01-02", true)]
        [InlineData("20200102", "2020-01-02", true)]
        [InlineData(" 20240229 ", "2024-02-29", true)]
        [InlineData("20230229", "20230229", false)]
        [InlineData("2023-02-29", "2023-02-29", false)]
        [InlineData("2020-13-01", "2020-13-01", false)]
        [InlineData("20200102103000.5", "2020-01-02", true)]
        [InlineData("2020-01-02T10:30:00Z", "2020-01-02", true)]
        [InlineData("03/04/2020", "03/04/2020", false)]
        [InlineData("2020-1-2", "2020-1-2", false)]
        [InlineData("", "", true)]
        [InlineData("0000-01-01", "0000-01-01", false)]
        public void OnlyIsoAndDicomDatesAreRead(string text, string expected, bool parsed)
        {
            foreach (var culture in new[] { "en-GB", "en-US", "de-DE" })
            {
                FailureTestData.InCulture(culture, () =>
                {
                    Assert.Equal(expected, FailureDate.Normalize(text, out var ok));
                    Assert.Equal(parsed, ok);
                });
            }
        }
    }
}
