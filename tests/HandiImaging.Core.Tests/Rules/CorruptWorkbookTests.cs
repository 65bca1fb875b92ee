using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Tests.Cohort;
using static HandiImaging.Core.Tests.Rules.RawWorkbook;

namespace HandiImaging.Core.Tests.Rules
{
    /// <summary>
    /// Every damaged or unexpected workbook gives one located error (file, sheet, cell where there is one), never a
    /// raw .NET exception, a silently skipped rule or an invented one; and reading or updating never changes a file.
    /// </summary>
    public class CorruptWorkbookTests
    {
        /// <summary>How a case ends: the whole file refused, or one row reported (and not made a rule).</summary>
        public enum Outcome { Refused, RowError }

        public sealed record Case(Func<byte[]> Bytes, Outcome Outcome, string? Sheet, string? Cell, string Says)
        {
            public override string ToString() => Says;
        }

        private static byte[] Book(Action<RawWorkbook> damage)
        {
            var book = RawWorkbook.Rules();
            damage(book);
            return book.Bytes();
        }

        private static byte[] Include(string rows, string[]? shared = null) => RawWorkbook.Rules(includeRows: rows, shared: shared).Bytes();

        private static string Cut(string xml, double fraction) => xml.Substring(0, (int)(xml.Length * fraction));

        private static readonly string Row2 = "<row r=\"2\">{0}</row>";

        private static string R2(string cells) => Header + string.Format(Row2, cells);

        public static readonly Dictionary<string, Case> Cases = new Dictionary<string, Case>
        {
            ["truncated sheet XML"] = new Case(() => Book(b => b.Parts["xl/worksheets/sheet1.xml"] = Cut(b.Parts["xl/worksheets/sheet1.xml"], 0.7)), Outcome.Refused, "INCLUDE", null, "cannot be read"),
            ["truncated EXCLUDE sheet XML"] = new Case(() => Book(b => b.Parts["xl/worksheets/sheet2.xml"] = Cut(b.Parts["xl/worksheets/sheet2.xml"], 0.6)), Outcome.Refused, "EXCLUDE", null, "cannot be read"),
            ["truncated workbook XML"] = new Case(() => Book(b => b.Parts["xl/workbook.xml"] = Cut(b.Parts["xl/workbook.xml"], 0.8)), Outcome.Refused, null, null, "workbook"),
            ["truncated shared strings"] = new Case(() => Book(b => b.Parts["xl/sharedStrings.xml"] = Cut(b.Parts["xl/sharedStrings.xml"], 0.7)), Outcome.Refused, null, null, "shared strings"),
            ["missing shared-strings part"] = new Case(() => Book(b => b.Parts.Remove("xl/sharedStrings.xml")), Outcome.Refused, null, null, "its part xl/sharedStrings.xml (the shared strings) is missing"),
            ["shared strings used but none in the file"] = new Case(() => Book(b =>
            {
                b.Parts.Remove("xl/sharedStrings.xml");
                b.Parts["xl/_rels/workbook.xml.rels"] = b.Parts["xl/_rels/workbook.xml.rels"].Replace($"<Relationship Id=\"rId3\" Type=\"{Rel}/sharedStrings\" Target=\"sharedStrings.xml\"/>", "");
            }), Outcome.Refused, "INCLUDE", "A1", "the file has none"),
            ["shared-string index beyond the table"] = new Case(() => Include(R2("<c r=\"A2\" t=\"s\"><v>99</v></c>")), Outcome.Refused, "INCLUDE", "A2", "shared string 99"),
            ["shared-string index that is not a number"] = new Case(() => Include(R2("<c r=\"A2\" t=\"s\"><v>x1</v></c>")), Outcome.Refused, "INCLUDE", "A2", "shared string x1"),
            ["negative shared-string index"] = new Case(() => Include(R2("<c r=\"A2\" t=\"s\"><v>-1</v></c>")), Outcome.Refused, "INCLUDE", "A2", "shared string -1"),
            ["sheet whose part is missing"] = new Case(() => Book(b => b.Parts.Remove("xl/worksheets/sheet2.xml")), Outcome.Refused, null, null, "its part xl/worksheets/sheet2.xml (a sheet) is missing"),
            ["workbook relationships missing"] = new Case(() => Book(b => b.Parts.Remove("xl/_rels/workbook.xml.rels")), Outcome.Refused, "INCLUDE", null, "content is missing"),
            ["no workbook part at all"] = new Case(() => Book(b => { b.Parts.Remove("xl/workbook.xml"); b.Parts.Remove("xl/_rels/workbook.xml.rels"); }), Outcome.Refused, null, null, "its part xl/workbook.xml (the workbook) is missing"),
            ["no INCLUDE sheet"] = new Case(() => Book(b => b.Parts["xl/workbook.xml"] = b.Parts["xl/workbook.xml"].Replace("name=\"INCLUDE\"", "name=\"Sheet1\"")), Outcome.Refused, null, null, "no sheet named INCLUDE"),
            ["two sheets named INCLUDE"] = new Case(() => Book(b => b.Parts["xl/workbook.xml"] = b.Parts["xl/workbook.xml"].Replace("name=\"EXCLUDE\"", "name=\" include\"")), Outcome.Refused, null, null, "2 sheets named INCLUDE"),
            ["no Study Description header"] = new Case(() => Include("<row r=\"1\">" + Text("A1", "Description") + "</row><row r=\"2\">" + Text("A2", "CT Neck") + "</row>"), Outcome.Refused, null, null, "no header cell 'Study Description'"),
            ["rows out of order"] = new Case(() => Include(Header + "<row r=\"3\">" + Text("A3", "CT Neck") + "</row><row r=\"2\">" + Text("A2", "MR Neck") + "</row>"), Outcome.Refused, "INCLUDE", null, "row 2 comes after row 3"),
            ["repeated row number"] = new Case(() => Include(Header + "<row r=\"2\">" + Text("A2", "CT Neck") + "</row><row r=\"2\">" + Text("A2", "MR Neck") + "</row>"), Outcome.Refused, "INCLUDE", null, "row 2 comes after row 2"),
            ["cell reference in another row"] = new Case(() => Include(R2(Text("A5", "CT Neck"))), Outcome.Refused, "INCLUDE", "A5", "not a cell of row 2"),
            ["malformed cell reference"] = new Case(() => Include(R2(Text("2A", "CT Neck"))), Outcome.Refused, "INCLUDE", "2A", "not a cell of row 2"),
            ["cells out of order"] = new Case(() => Include(R2(Text("B2", "Dr A") + Text("A2", "CT Neck"))), Outcome.Refused, "INCLUDE", "A2", "out of order"),
            ["number cell holding text"] = new Case(() => Include(R2("<c r=\"A2\"><v>CT Neck</v></c>")), Outcome.Refused, "INCLUDE", "A2", "stored as a number"),
            ["error value #N/A as a description"] = new Case(() => Include(R2("<c r=\"A2\" t=\"e\"><v>#N/A</v></c>")), Outcome.RowError, "INCLUDE", "A2", "#N/A"),
            ["error value #REF! as a description"] = new Case(() => Include(R2("<c r=\"A2\" t=\"e\"><v>#REF!</v></c>")), Outcome.RowError, "INCLUDE", "A2", "#REF!"),
            ["error value in Decided On"] = new Case(() => Include(R2(Text("A2", "CT Neck") + "<c r=\"C2\" t=\"e\"><v>#VALUE!</v></c>")), Outcome.RowError, "INCLUDE", "C2", "#VALUE!"),
            ["error value in Decided By"] = new Case(() => Include(R2(Text("A2", "CT Neck") + "<c r=\"B2\" t=\"e\"><v>#NAME?</v></c>")), Outcome.RowError, "INCLUDE", "B2", "#NAME?"),
            ["Decided On that is not a date"] = new Case(() => Include(R2(Text("A2", "CT Neck") + Text("C2", "next week"))), Outcome.RowError, "INCLUDE", "C2", "'next week' is not a date"),
            ["Decided On written month-first"] = new Case(() => Include(R2(Text("A2", "CT Neck") + Text("C2", "12/31/2024"))), Outcome.RowError, "INCLUDE", "C2", "'12/31/2024' is not a date"),
            ["Decided On a serial number out of range"] = new Case(() => Include(R2(Text("A2", "CT Neck") + "<c r=\"C2\"><v>-5</v></c>")), Outcome.RowError, "INCLUDE", "C2", "'-5' is not a date"),
            ["decision details without a description"] = new Case(() => Include(R2(Text("B2", "Dr A") + Text("C2", "2024-01-05"))), Outcome.RowError, "INCLUDE", "A2", "no study description"),
            ["an .xls renamed .xlsx"] = new Case(() => new byte[] { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 }.Concat(new byte[504]).ToArray(), Outcome.Refused, null, null, "Excel 97-2003"),
            ["a CSV renamed .xlsx"] = new Case(() => Encoding.UTF8.GetBytes("Description,Decision\r\nCT Neck,Include\r\n"), Outcome.Refused, null, null, "text file (CSV?)"),
            ["a UTF-16 CSV renamed .xlsx"] = new Case(() => Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("Description,Decision\r\n")).ToArray(), Outcome.Refused, null, null, "not an .xlsx workbook"),
            ["an empty file"] = new Case(() => new byte[0], Outcome.Refused, null, null, "is empty"),
            ["a zip that is not a workbook"] = new Case(() => Book(b =>
            {
                b.Parts.Clear();
                b.Parts["readme.txt"] = "hello";
            }), Outcome.Refused, null, null, "not a readable .xlsx"),
            ["a truncated download"] = new Case(() =>
            {
                var bytes = RawWorkbook.Rules().Bytes();
                return bytes.Take(bytes.Length / 2).ToArray();
            }, Outcome.Refused, null, null, "not a readable .xlsx"),
        };

        public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void A_damaged_rules_workbook_gives_one_located_error_and_changes_nothing(string name)
        {
            var c = Cases[name];
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "rules.xlsx");
            var bytes = c.Bytes();
            File.WriteAllBytes(path, bytes);

            InputFormatException error;
            if (c.Outcome == Outcome.Refused)
            {
                error = Assert.Throws<InputFormatException>(() => StudyRuleFile.Read(path));
            }
            else
            {
                var load = StudyRuleFile.Read(path);
                error = Assert.Single(load.Errors);
                // The bad row is reported, not made a rule; the other sheet's rule is still read.
                Assert.Equal(1, load.RuleSet.ExcludeCount);
                Assert.Equal(0, load.RuleSet.IncludeCount);
            }
            Assert.Equal(path, error.File);
            Assert.StartsWith(path, error.Message);
            Assert.Contains(c.Says, error.Message);
            if (c.Sheet != null)
            {
                Assert.Equal(c.Sheet, error.Sheet);
                Assert.Contains("sheet " + c.Sheet, error.Message);
            }
            if (c.Cell != null)
            {
                Assert.Equal(c.Cell, error.Field);
                Assert.Contains("cell " + c.Cell, error.Message);
            }
            Assert.Equal(bytes, File.ReadAllBytes(path));
            Assert.Equal(new[] { "rules.xlsx" }, Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName));
        }

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Update_refuses_a_damaged_rules_workbook_and_writes_nothing(string name)
        {
            var c = Cases[name];
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "rules.xlsx");
            var bytes = c.Bytes();
            File.WriteAllBytes(path, bytes);
            var review = folder.File("review.csv", "Description,Count,Decision\r\nMR Orbits,3,Include\r\n");

            var error = Assert.Throws<InputFormatException>(() => StudyRuleUpdater.Update(path, review, "Dr B", new DateTime(2025, 1, 6)));

            Assert.Equal(path, error.File);
            Assert.Contains(c.Says, error.Message);
            Assert.Equal(bytes, File.ReadAllBytes(path));
            Assert.Equal(new[] { "review.csv", "rules.xlsx" }, Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void A_strict_open_xml_workbook_is_read_like_any_other()
        {
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "rules.xlsx");
            var book = RawWorkbook.Rules();
            foreach (var key in book.Parts.Keys.ToList())
                book.Parts[key] = book.Parts[key].Replace(Main, "http://purl.oclc.org/ooxml/spreadsheetml/main").Replace(Rel, "http://purl.oclc.org/ooxml/officeDocument/relationships");
            book.Save(path);
            var load = StudyRuleFile.Read(path);
            Assert.Empty(load.Errors);
            Assert.Equal(StudyDecision.Include, load.RuleSet.Find("CT Neck")!.Decision);
            Assert.Equal(new DateTime(2024, 1, 5), load.RuleSet.Find("CT Neck")!.DecidedOn);
            Assert.Equal(StudyDecision.Exclude, load.RuleSet.Find("XR Chest")!.Decision);
        }

        [Fact]
        public void Rows_and_cells_without_references_follow_the_previous_ones()
        {
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "rules.xlsx");
            // As some exporters write them: no r= on rows or cells; positions count from the previous one.
            RawWorkbook.Rules(includeRows: "<row><c t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c></row><row>" + "<c t=\"inlineStr\"><is><t>CT Neck</t></is></c><c t=\"inlineStr\"><is><t>Dr A</t></is></c></row>" +
                "<row r=\"5\"><c t=\"inlineStr\"><is><t>MR Neck</t></is></c></row><row><c t=\"inlineStr\"><is><t>PET Whole Body</t></is></c></row>").Save(path);
            var rules = StudyRuleFile.Read(path).RuleSet;
            Assert.Equal(3, rules.IncludeCount);
            Assert.Equal(2, rules.Find("CT Neck")!.Line);
            Assert.Equal("Dr A", rules.Find("CT Neck")!.DecidedBy);
            Assert.Equal(5, rules.Find("MR Neck")!.Line);
            Assert.Equal(6, rules.Find("PET Whole Body")!.Line);
        }
    }
}
