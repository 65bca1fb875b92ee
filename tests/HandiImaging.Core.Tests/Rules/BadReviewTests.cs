using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using HandiImaging.Core.IO;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Tests.Cohort;
using static HandiImaging.Core.Tests.Rules.RawWorkbook;

namespace HandiImaging.Core.Tests.Rules
{
    /// <summary>
    /// A completed review that is damaged or filled in wrongly: each problem is an error naming the file and the row
    /// or cell, the row is never made a rule (never a guessed "(blank)" rule), and the rules file is not touched.
    /// </summary>
    public class BadReviewTests
    {
        public enum Outcome { Refused, RowError }

        public sealed record Case(string FileName, Func<byte[]> Bytes, Outcome Outcome, string? Sheet, string? Field, long? Line, string Says)
        {
            public override string ToString() => Says;
        }

        private const string ReviewHeader = "<row r=\"1\">" + "<c r=\"A1\" t=\"inlineStr\"><is><t>Description</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>Count</t></is></c>" +
                                            "<c r=\"C1\" t=\"inlineStr\"><is><t>Decision</t></is></c><c r=\"D1\" t=\"inlineStr\"><is><t>Note</t></is></c></row>";

        /// <summary>A one-sheet review workbook (sheet Review) with these rows under its header.</summary>
        private static byte[] Review(string rows, Action<RawWorkbook>? damage = null, string header = ReviewHeader)
        {
            var book = RawWorkbook.Rules(includeRows: header + rows);
            book.Parts["xl/workbook.xml"] = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"{Main}\" xmlns:r=\"{Rel}\"><sheets><sheet name=\"Review\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
            damage?.Invoke(book);
            return book.Bytes();
        }

        private static byte[] Csv(string text) => Encoding.UTF8.GetBytes(text);

        public static readonly Dictionary<string, Case> Cases = new Dictionary<string, Case>
        {
            ["xlsx: a decision with no description"] = new Case("review.xlsx", () => Review("<row r=\"2\"><c r=\"B2\"><v>4</v></c>" + Text("C2", "Include") + "</row>"), Outcome.RowError, "Review", "A2", 2, "a decision (Include) but no description"),
            ["xlsx: a decision with a description of spaces"] = new Case("review.xlsx", () => Review("<row r=\"2\">" + Text("A2", "   ") + Text("C2", "Exclude") + "</row>"), Outcome.RowError, "Review", "A2", 2, "a decision (Exclude) but no description"),
            ["csv: a decision with no description"] = new Case("review.csv", () => Csv("Description,Count,Decision,Note\r\n,4,Include,\r\n"), Outcome.RowError, null, "Description", 2, "a decision (Include) but no description"),
            ["xlsx: #N/A as the decision"] = new Case("review.xlsx", () => Review("<row r=\"2\">" + Text("A2", "MR Orbits") + "<c r=\"C2\" t=\"e\"><v>#N/A</v></c></row>"), Outcome.RowError, "Review", "C2", 2, "Excel error #N/A"),
            ["xlsx: #REF! as the description"] = new Case("review.xlsx", () => Review("<row r=\"2\"><c r=\"A2\" t=\"e\"><v>#REF!</v></c>" + Text("C2", "Include") + "</row>"), Outcome.RowError, "Review", "A2", 2, "Excel error #REF!"),
            ["xlsx: #DIV/0! as the note"] = new Case("review.xlsx", () => Review("<row r=\"2\">" + Text("A2", "MR Orbits") + Text("C2", "Include") + "<c r=\"D2\" t=\"e\"><v>#DIV/0!</v></c></row>"), Outcome.RowError, "Review", "D2", 2, "Excel error #DIV/0!"),
            ["xlsx: a decision that is neither"] = new Case("review.xlsx", () => Review("<row r=\"2\">" + Text("A2", "MR Orbits") + Text("C2", "Maybe") + "</row>"), Outcome.RowError, "Review", "C2", 2, "'Maybe' is neither Include nor Exclude"),
            ["csv: a decision that is neither"] = new Case("review.csv", () => Csv("Description,Count,Decision,Note\r\nMR Orbits,4,Yes,\r\n"), Outcome.RowError, null, "Decision", 2, "'Yes' is neither Include nor Exclude"),
            ["xlsx: no Decision column"] = new Case("review.xlsx", () => Review("<row r=\"2\">" + Text("A2", "MR Orbits") + "</row>", header: "<row r=\"1\">" + Text("A1", "Description") + Text("B1", "Count") + "</row>"), Outcome.Refused, null, "Decision", 1, "no 'Decision' column"),
            ["xlsx: no Description column"] = new Case("review.xlsx", () => Review("<row r=\"2\">" + Text("C2", "Include") + "</row>", header: "<row r=\"1\">" + Text("B1", "Count") + Text("C1", "Decision") + "</row>"), Outcome.Refused, null, "Description", 1, "no 'Description' column"),
            ["xlsx: an empty review sheet"] = new Case("review.xlsx", () => Review("", header: ""), Outcome.Refused, "Review", "A1", 1, "the review sheet is empty"),
            ["xlsx: truncated sheet"] = new Case("review.xlsx", () => Review("<row r=\"2\">" + Text("A2", "MR Orbits") + Text("C2", "Include") + "</row>", b => b.Parts["xl/worksheets/sheet1.xml"] = b.Parts["xl/worksheets/sheet1.xml"].Substring(0, 300)), Outcome.Refused, "Review", null, null, "the sheet cannot be read"),
            ["xlsx: shared string out of range"] = new Case("review.xlsx", () => Review("<row r=\"2\"><c r=\"A2\" t=\"s\"><v>40</v></c>" + Text("C2", "Include") + "</row>"), Outcome.Refused, "Review", "A2", 2, "shared string 40"),
            ["xlsx: an .xls renamed"] = new Case("review.xlsx", () => new byte[] { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0 }, Outcome.Refused, null, null, null, "Excel 97-2003"),
            ["xlsx: a CSV renamed"] = new Case("review.xlsx", () => Csv("Description,Count,Decision,Note\r\nMR Orbits,4,Include,\r\n"), Outcome.Refused, null, null, null, "text file (CSV?)"),
            ["xlsx: the sheet's part missing"] = new Case("review.xlsx", () => Review("", b => b.Parts.Remove("xl/worksheets/sheet1.xml")), Outcome.Refused, null, null, null, "xl/worksheets/sheet1.xml (a sheet) is missing"),
        };

        public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void A_bad_review_is_reported_where_it_is_and_the_rules_stay_as_they_were(string name)
        {
            var c = Cases[name];
            using var folder = new TempFolder();
            var rulesText = "Description,Decision,DecidedBy,DecidedOn,Note\r\nCT Neck,Include,Dr A,2024-01-05,\r\n";
            var rules = folder.File("rules.csv", rulesText);
            var review = Path.Combine(folder.Path, c.FileName);
            var bytes = c.Bytes();
            File.WriteAllBytes(review, bytes);

            InputFormatException error;
            if (c.Outcome == Outcome.Refused)
            {
                error = Assert.Throws<InputFormatException>(() => StudyRuleUpdater.Update(rules, review, "Dr B", new DateTime(2025, 1, 6)));
            }
            else
            {
                var update = StudyRuleUpdater.Update(rules, review, "Dr B", new DateTime(2025, 1, 6));
                error = Assert.Single(update.Errors);
                Assert.Empty(update.Added);
                Assert.False(update.Written);
            }
            Assert.Equal(review, error.File);
            Assert.StartsWith(review, error.Message);
            Assert.Contains(c.Says, error.Message);
            Assert.Equal(c.Sheet, error.Sheet);
            if (c.Field != null) Assert.Equal(c.Field, error.Field);
            Assert.Equal(c.Line, error.Line);
            Assert.Equal(rulesText, File.ReadAllText(rules));
            Assert.Equal(bytes, File.ReadAllBytes(review));
            Assert.Equal(new[] { c.FileName, "rules.csv" }.OrderBy(n => n, StringComparer.Ordinal), Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }
    }
}
