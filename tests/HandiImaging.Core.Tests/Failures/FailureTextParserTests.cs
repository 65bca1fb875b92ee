using System.Collections.Generic;
using System.Linq;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Tests.Failures
{
    public class FailureTextParserTests
    {
        private const string Src = "PACs-failures.txt";

        internal static (List<RawFailureRecord> Records, List<InputFormatException> Errors) ParseAll(string text)
        {
            var records = new List<RawFailureRecord>();
            var errors = new List<InputFormatException>();
            foreach (var item in FailureTextParser.Parse(text, Src))
            {
                if (item.Record != null) records.Add(item.Record);
                else errors.Add(item.Error!);
            }
            return (records, errors);
        }

        private static RawFailureRecord Single(string text)
        {
            var (records, errors) = ParseAll(text);
            Assert.Empty(errors);
            return Assert.Single(records);
        }

        private static void AssertRecord(RawFailureRecord r, string accession, string id, string date, string description, string uid)
        {
            Assert.Equal(accession, r.AccessionNumber);
            Assert.Equal(id, r.HospitalId);
            Assert.Equal(date, r.StudyDate);
            Assert.Equal(description, r.StudyDescription);
            Assert.Equal(uid, r.StudyInstanceUid);
        }

        [Fact]
        public void JsonObjectPerLine()
        {
            var (records, errors) = ParseAll(
                "{\"accessionNumber\":\"0123\",\"id\":\"H1234567\",\"studyDate\":\"2020-01-02\",\"studyDescription\":\"CT Neck, with contrast\",\"studyInstanceUid\":\"1.2.3\"}\n" +
                "{\"accessionNumber\":\"456\",\"id\":\"H7654321\",\"studyDate\":\"2021-03-04\",\"studyDescription\":\"MR Head\",\"studyInstanceUid\":\"1.2.4\"}\n");
            Assert.Empty(errors);
            Assert.Equal(2, records.Count);
            AssertRecord(records[0], "0123", "H1234567", "2020-01-02", "CT Neck, with contrast", "1.2.3");
            AssertRecord(records[1], "456", "H7654321", "2021-03-04", "MR Head", "1.2.4");
            Assert.Equal(1, records[0].Line);
            Assert.Equal(2, records[1].Line);
            Assert.Equal(Src + ":2", records[1].Source);
        }

        [Fact]
        public void SpreadsheetCellsWithDoubledQuotes()
        {
            // Cells as a spreadsheet writes them: braces inside the first and last cells.
            var line = "\"{\"\"accessionNumber\"\":\"\"0123\"\"\"\t\"\"\"id\"\":\"\"H1234567\"\"\"\t\"\"\"studyDate\"\":\"\"2020-01-02\"\"\"\t" +
                       "\"\"\"studyDescription\"\":\"\"CT Neck\"\"\"\t\"\"\"studyInstanceUid\"\":\"\"1.2.3\"\"}\"";
            AssertRecord(Single(line), "0123", "H1234567", "2020-01-02", "CT Neck", "1.2.3");
        }

        [Fact]
        public void SpreadsheetCellsWithBracesOutsideTheQuotes()
        {
            var line = "{\"\"\"accessionNumber\"\":\"\"0123\"\"\"\t\"\"\"id\"\":\"\"H1234567\"\"\"\t\"\"\"studyDate\"\":\"\"2020-01-02\"\"\"\t" +
                       "\"\"\"studyDescription\"\":\"\"CT Neck\"\"\"\t\"\"\"studyInstanceUid\"\":\"\"1.2.3\"\"\"}";
            AssertRecord(Single(line), "0123", "H1234567", "2020-01-02", "CT Neck", "1.2.3");
        }

        [Fact]
        public void SpreadsheetValueSplitAtItsCommasAcrossCells()
        {
            // "CT Neck, with contrast, left" was cut at both commas into three cells.
            var line = "\"{\"\"accessionNumber\"\":\"\"77\"\"\"\t\"\"\"id\"\":\"\"H1\"\"\"\t\"\"\"studyDate\"\":\"\"20200102\"\"\"\t" +
                       "\"\"\"studyDescription\"\":\"\"CT Neck\"\t with contrast\t\" left\"\"\"\t\"\"\"studyInstanceUid\"\":\"\"1.2.3\"\"}\"\t\t";
            AssertRecord(Single(line), "77", "H1", "20200102", "CT Neck, with contrast, left", "1.2.3");
        }

        [Fact]
        public void SpreadsheetCellsWithNullNumberAndQuoteInValue()
        {
            // A description with an escaped quote, a number accession and a null UID, all doubled.
            var line = "\"{\"\"accessionNumber\"\":123\"\t\"\"\"id\"\":\"\"H1\"\"\"\t\"\"\"studyDescription\"\":\"\"XR \\\"\"OPG\\\"\"\"\"\"\t\"\"\"studyInstanceUid\"\":null}\"";
            AssertRecord(Single(line), "123", "H1", "", "XR \"OPG\"", "");
        }

        [Fact]
        public void PrettyPrintedArraySpanningLines()
        {
            var text = "[\n  {\n    \"studyInstanceUid\": \"1.2.3\",\n    \"accessionNumber\": \"0123\",\n    \"patient\": {\n      \"id\": \"H1\",\n      \"sex\": \"F\"\n    },\n" +
                       "    \"modalitiesInStudy\": [\n      \"CT\",\n      \"SR\"\n    ],\n    \"studyDate\": \"20200102\",\n    \"studyDescription\": \"CT Neck\"\n  },\n" +
                       "  {\n    \"accessionNumber\": 456,\n    \"id\": \"H2\",\n    \"studyDate\": \"2021-03-04\",\n    \"studyDescription\": null,\n    \"studyInstanceUid\": \"1.2.4\"\n  }\n]\n";
            var (records, errors) = ParseAll(text);
            Assert.Empty(errors);
            Assert.Equal(2, records.Count);
            AssertRecord(records[0], "0123", "H1", "20200102", "CT Neck", "1.2.3");
            AssertRecord(records[1], "456", "H2", "2021-03-04", "", "1.2.4");
            Assert.Equal(2, records[0].Line);
            Assert.Equal(16, records[1].Line);
        }

        [Fact]
        public void CsvColumnHoldingJsonWithDoubledQuotes()
        {
            var text = "json\n" +
                       "\"{\"\"accessionNumber\"\":\"\"0123\"\",\"\"id\"\":\"\"H1\"\",\"\"studyDate\"\":\"\"2020-01-02\"\",\"\"studyDescription\"\":\"\"CT Neck, with contrast\"\",\"\"studyInstanceUid\"\":\"\"1.2.3\"\"}\"\n" +
                       "17,\"{\"\"accessionNumber\"\":\"\"9\"\",\"\"id\"\":\"\"H2\"\"}\",extra\n";
            var (records, errors) = ParseAll(text);
            Assert.Empty(errors);
            Assert.Equal(2, records.Count);
            AssertRecord(records[0], "0123", "H1", "2020-01-02", "CT Neck, with contrast", "1.2.3");
            AssertRecord(records[1], "9", "H2", "", "", "");
            Assert.Equal(2, records[0].Line);
        }

        [Fact]
        public void BarePairsSeparatedByWhiteSpace()
        {
            var text = "\"accessionNumber\":\"0123\" \"id\":\"H1\"\t\"studyDate\":\"2020-01-02\"  \"studyDescription\":\"CT Neck, with contrast\" \"studyInstanceUid\":\"1.2.3\"\n" +
                       "\"studyInstanceUid\":\"1.2.4\" \"accessionNumber\":\"5\" \"id\":\"H2\"\n";
            var (records, errors) = ParseAll(text);
            Assert.Empty(errors);
            Assert.Equal(2, records.Count);
            AssertRecord(records[0], "0123", "H1", "2020-01-02", "CT Neck, with contrast", "1.2.3");
            AssertRecord(records[1], "5", "H2", "", "", "1.2.4");
        }

        [Fact]
        public void SeveralBareRecordsOnOneLineSplitAtTheRepeatedKey()
        {
            var (records, errors) = ParseAll("\"accessionNumber\":\"1\" \"id\":\"H1\" \"accessionNumber\":\"2\" \"id\":\"H2\" \"studyInstanceUid\":\"1.2\" \"accessionNumber\":\"3\" \"id\":\"H3\"");
            Assert.Empty(errors);
            Assert.Equal(new[] { "1", "2", "3" }, records.Select(r => r.AccessionNumber));
            Assert.Equal(new[] { "", "1.2", "" }, records.Select(r => r.StudyInstanceUid));
        }

        [Fact]
        public void BarePairsOnePerLineGroupByBlankLineOrRepeatedKey()
        {
            var text = "\"accessionNumber\": \"1\"\n\"id\": \"H1\"\n\"studyInstanceUid\": \"1.1\"\n\n" +
                       "\"accessionNumber\": \"2\"\n\"id\": \"H2\"\n" +
                       "\"accessionNumber\": \"3\"\n\"id\": \"H3\"\n";
            var (records, errors) = ParseAll(text);
            Assert.Empty(errors);
            Assert.Equal(new[] { "1", "2", "3" }, records.Select(r => r.AccessionNumber));
            Assert.Equal(new[] { "H1", "H2", "H3" }, records.Select(r => r.HospitalId));
            Assert.Equal(new long[] { 1, 5, 7 }, records.Select(r => r.Line));
        }

        [Fact]
        public void AllShapesMixedInOneFile()
        {
            var text = string.Join("\n",
                "{\"accessionNumber\":\"1\",\"id\":\"H1\",\"studyDate\":\"2020-01-01\",\"studyDescription\":\"A\",\"studyInstanceUid\":\"1.1\"}",
                "\"{\"\"accessionNumber\"\":\"\"2\"\"\"\t\"\"\"id\"\":\"\"H2\"\"\"\t\"\"\"studyInstanceUid\"\":\"\"1.2\"\"}\"",
                "[",
                "  {",
                "    \"accessionNumber\": \"3\",",
                "    \"id\": \"H3\"",
                "  }",
                "]",
                "\"{\"\"accessionNumber\"\":\"\"4\"\",\"\"id\"\":\"\"H4\"\"}\"",
                "\"accessionNumber\":\"5\" \"id\":\"H5\"",
                "[{\"accessionNumber\":\"6\",\"id\":\"H6\"},",
                "{\"accessionNumber\":\"7\",\"id\":\"H7\"}]");
            var (records, errors) = ParseAll(text);
            Assert.Empty(errors);
            Assert.Equal(new[] { "1", "2", "3", "4", "5", "6", "7" }, records.Select(r => r.AccessionNumber));
            Assert.Equal(new[] { "H1", "H2", "H3", "H4", "H5", "H6", "H7" }, records.Select(r => r.HospitalId));
            Assert.Equal(new long[] { 1, 2, 4, 9, 10, 11, 12 }, records.Select(r => r.Line));
        }

        [Fact]
        public void KeysInAnyOrderAnyCaseWithExtraKeys()
        {
            var r = Single("{\"StudyInstanceUID\":\"1.2.3\",\"studyId\":\"S1\",\"modalitiesInStudy\":[\"CT\",\"PT\"],\"AccessionNumber\":\"0123\"," +
                           "\"series\":[{\"id\":\"not the patient\"}],\"ID\":\"H1\",\"STUDYDATE\":\"2020-01-02\",\"other\":{\"id\":\"x\"},\"studyDescription\":\"PET\"}");
            AssertRecord(r, "0123", "H1", "2020-01-02", "PET", "1.2.3");
        }

        [Fact]
        public void NumbersAreKeptVerbatimAndStringsKeepLeadingZeros()
        {
            var r = Single("{\"accessionNumber\":0123,\"id\":1234567,\"studyDate\":20200102,\"studyInstanceUid\":\"1.2.3\",\"studyDescription\":1.50}");
            AssertRecord(r, "0123", "1234567", "20200102", "1.50", "1.2.3");
        }

        [Fact]
        public void NullAndEmptyValuesBecomeEmpty()
        {
            var r = Single("{\"accessionNumber\":null,\"id\":\"H1\",\"studyDate\":\"\",\"studyDescription\":null,\"studyInstanceUid\":\"1.2\"}");
            AssertRecord(r, "", "H1", "", "", "1.2");
        }

        [Fact]
        public void NestedPatientIdIsTheHospitalId()
        {
            var r = Single("{\"accessionNumber\":\"1\",\"patient\":{\"id\":\"H9\",\"name\":\"not read\",\"birthDate\":\"19500101\"},\"studyInstanceUid\":\"1.2\"}");
            AssertRecord(r, "1", "H9", "", "", "1.2");
        }

        [Fact]
        public void EscapesAndUnicodeAreDecoded()
        {
            var r = Single("{\"accessionNumber\":\"1\",\"id\":\"H1\",\"studyDescription\":\"Caf\\u00e9 \\\"x\\\" a\\\\b \\/ é\"}");
            Assert.Equal("Café \"x\" a\\b / é", r.StudyDescription);
        }

        [Fact]
        public void DescriptionKeepsItsSpacesOtherFieldsAreTrimmed()
        {
            var r = Single("{\"accessionNumber\":\" 1 \",\"id\":\" H1\",\"studyDescription\":\"CT  Neck \"}");
            AssertRecord(r, "1", "H1", "", "CT  Neck ", "");
        }

        [Fact]
        public void TruncatedRecordIsReportedWithItsLineAndTheOthersStillComeOut()
        {
            var text = "{\"accessionNumber\":\"1\",\"id\":\"H1\"}\n" +
                       "{\"accessionNumber\":\"2\",\"id\":\"H2\",\"studyDa\n" +
                       "{\"accessionNumber\":\"3\",\"id\":\"H3\"}\n" +
                       "{\"accessionNumber\":\"4\",\"id\":\"H4\",\n" +
                       "{\"accessionNumber\":\"5\",\"id\":\"H5\"}\n";
            var (records, errors) = ParseAll(text);
            Assert.Equal(new[] { "1", "3", "5" }, records.Select(r => r.AccessionNumber));
            Assert.Equal(new long?[] { 2, 4 }, errors.Select(e => e.Line));
            Assert.All(errors, e => Assert.Equal(Src, e.File));
            Assert.All(errors, e => Assert.Contains("line", e.Message));
        }

        [Fact]
        public void GarbageLineIsReportedAndNeverEchoed()
        {
            var text = "{\"accessionNumber\":\"1\",\"id\":\"H1\"}\nMr Smith 0123 2020\n{\"accessionNumber\":\"2\",\"id\":\"H2\"}\n";
            var (records, errors) = ParseAll(text);
            Assert.Equal(2, records.Count);
            var error = Assert.Single(errors);
            Assert.Equal(2, error.Line);
            Assert.DoesNotContain("Smith", error.Message);
        }

        [Fact]
        public void BrokenRecordInsidePrettyArrayIsSkippedToItsEnd()
        {
            var text = "[\n {\n  \"accessionNumber\": \"1\",\n  \"id\": \"H1\" junk,\n  \"studyDate\": \"2020-01-01\"\n },\n {\n  \"accessionNumber\": \"2\",\n  \"id\": \"H2\"\n }\n]";
            var (records, errors) = ParseAll(text);
            Assert.Equal("2", Assert.Single(records).AccessionNumber);
            var error = Assert.Single(errors);
            Assert.Equal(2, error.Line);
            Assert.Contains("line 4", error.Message);
        }

        [Fact]
        public void UnclosedRecordAtEndOfInputIsReported()
        {
            var (records, errors) = ParseAll("{\"accessionNumber\":\"1\",\"id\":\"H1\"}\n[\n {\n  \"accessionNumber\": \"2\",\n");
            Assert.Single(records);
            Assert.Equal(3, Assert.Single(errors).Line);
        }

        [Fact]
        public void ConflictingDuplicateKeyIsReported()
        {
            var (records, errors) = ParseAll("{\"accessionNumber\":\"1\",\"id\":\"H1\",\"accessionNumber\":\"2\"}");
            Assert.Empty(records);
            Assert.Contains("accessionNumber", Assert.Single(errors).Message);
        }

        [Fact]
        public void RecordWithoutAnyFailureFieldIsReported()
        {
            var (records, errors) = ParseAll("{\"foo\":\"bar\"}\n{\"accessionNumber\":null,\"id\":null}\n");
            Assert.Empty(records);
            Assert.Equal(new long?[] { 1, 2 }, errors.Select(e => e.Line));
        }

        [Fact]
        public void HeaderWordsAndArrayPunctuationAreNotErrors()
        {
            var (records, errors) = ParseAll("json\n\"record\"\n[\n,\n]\n\n{\"accessionNumber\":\"1\",\"id\":\"H1\"}\n");
            Assert.Empty(errors);
            Assert.Single(records);
        }

        [Fact]
        public void LineByLineFeedingMatchesWholeTextParsing()
        {
            // Pipeline input arrives one line at a time; a pretty array must still parse.
            var lines = new[] { "[", " {", "  \"accessionNumber\": \"1\",", "  \"id\": \"H1\"", " }", "]" };
            var parser = new FailureTextParser("InputObject");
            var output = new List<FailureReadItem<RawFailureRecord>>();
            foreach (var line in lines) parser.ParseLine(line, output);
            parser.Complete(output);
            var record = Assert.Single(output).Record!;
            Assert.Equal("H1", record.HospitalId);
            Assert.Equal(2, record.Line);
        }

        [Fact]
        public void SingleQuotedPythonStyleRecordsAreRead()
        {
            var r = Single("{'accessionNumber': '1', 'id': 'H1', 'studyDate': '2020-01-02', 'studyDescription': 'CT', 'studyInstanceUid': None}");
            AssertRecord(r, "1", "H1", "2020-01-02", "CT", "");
        }

        [Theory]
        [InlineData("{\"a\":\"\"}", false)]
        [InlineData("{\"\"a\"\":1}", true)]
        [InlineData("\"\"\"id\"\":\"\"H1\"\"\"", true)]
        [InlineData("{\"d\":\"x\\\"\",\"e\":\"\"}", false)]
        public void DoubledQuoteLinesAreRecognised(string line, bool doubled) =>
            Assert.Equal(doubled, FailureTextParser.IsDoubledQuoteLine(line));
    }
}
