using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using HandiImaging.Core.Demo;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Tests.Cohort;
using static HandiImaging.Core.Tests.Rules.TestWorkbook;

namespace HandiImaging.Core.Tests.Rules
{
    public class StudyReviewTests
    {
        private static PacsStudy Study(string? description, string date, string accession, params string[] modalities) => new PacsStudy
        {
            StudyDescription = description,
            StudyDate = DateTime.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            AccessionNumber = accession,
            StudyInstanceUid = "1.2." + accession,
            ModalitiesInStudy = modalities,
        };

        [Fact]
        public void One_row_per_normalised_description_with_counts_modalities_dates_and_an_example()
        {
            var builder = new StudyReviewBuilder();
            builder.Add(Study("CT Neck Dual Energy", "2024-11-02", "A1", "CT"));
            builder.Add(Study("ct  neck dual energy ", "2024-10-01", "A2", "CT", "SR"));
            builder.Add(Study("CT Neck Dual Energy.", "2024-12-01", "A3", "CT"));
            builder.Add(Study(null, "2024-09-09", "", "OT"));
            builder.Add(Study("  ", "2024-09-10", "A5", "ot"));
            builder.Add(Study("CT Neck Dual Energy", "2099-01-01", "A6", "CT")); // never done: nothing to decide

            var items = builder.Items();

            // Most frequent first; ties alphabetical.
            Assert.Equal(new[] { "(blank)", "CT Neck Dual Energy", "CT Neck Dual Energy." }, items.Select(i => i.Description));
            var first = items[1];
            Assert.Equal((2, "CT, SR", new DateTime(2024, 10, 1), new DateTime(2024, 11, 2), "A1", ""),
                (first.Count, first.Modalities, first.FirstDate!.Value, first.LastDate!.Value, first.ExampleAccession, first.Decision));
            Assert.Equal((2, "OT", "A5"), (items[0].Count, items[0].Modalities, items[0].ExampleAccession));
            Assert.Equal((1, 5), (builder.PlaceholderCount, builder.StudyCount));
        }

        [Fact]
        public void The_review_workbook_offers_a_drop_down_on_the_decision_column()
        {
            using var folder = new TempFolder();
            var path = folder.File("review.xlsx");
            var builder = new StudyReviewBuilder();
            builder.Add(Study("CT Neck Dual Energy", "2024-11-02", "A1", "CT"));
            builder.Add(Study("PET-CT PSMA", "2024-11-03", "A2", "PT", "CT"));
            StudyReviewBuilder.Write(path, builder.Items());

            using (var document = SpreadsheetDocument.Open(path, false))
            {
                var sheet = document.WorkbookPart!.WorksheetParts.Single().Worksheet;
                var validation = sheet.Descendants<DataValidation>().Single();
                Assert.Equal(DataValidationValues.List, validation.Type!.Value);
                Assert.Equal("\"Include,Exclude\"", validation.Formula1!.Text);
                Assert.Equal("G2:G3", validation.SequenceOfReferences!.InnerText);
            }
            Assert.Equal(new[]
            {
                "A1=Description", "B1=Count", "C1=Modalities", "D1=FirstDate", "E1=LastDate", "F1=ExampleAccession", "G1=Decision", "H1=Note",
                "A2=CT Neck Dual Energy", "B2=1", "C2=CT", "D2=2024-11-02", "E2=2024-11-02", "F2=A1",
                "A3=PET-CT PSMA", "B3=1", "C3=CT, PT", "D3=2024-11-03", "E3=2024-11-03", "F3=A2",
            }, Dump(path, "Review"));
        }

        [Theory]
        [InlineData("en-GB")]
        [InlineData("de-DE")]
        public void Round_trip_through_the_clinicians_workbook(string culture)
        {
            using var scope = new CultureScope(culture);
            using var folder = new TempFolder();
            var list = DemoRules.Create(includeCount: 40, excludeCount: 60);
            var rulesPath = folder.File("rules.xlsx");
            DemoRules.WriteWorkbook(rulesPath, list);
            var before = StudyRuleFile.Read(rulesPath).RuleSet;
            var coverBefore = Dump(rulesPath, "Cover");

            // The quarter's studies: known ones and three new descriptions.
            var studies = new[]
            {
                Study(list.Include[0], "2024-11-01", "K1", "CT"),
                Study(list.Unknown[0], "2024-11-02", "U1", "CT"),
                Study(list.Unknown[0].ToUpperInvariant(), "2024-11-03", "U2", "CT"),
                Study(list.Unknown[1], "2024-11-04", "U3", "MR"),
                Study(list.Unknown[2], "2024-11-05", "U4", "PT"),
            }.Select(before.Classify).ToList();
            Assert.Equal(4, studies.Count(s => s.Decision == StudyDecision.Review));

            var reviewPath = folder.File("review.xlsx");
            var builder = new StudyReviewBuilder();
            foreach (var s in studies.Where(s => s.Decision == StudyDecision.Review)) builder.Add(s);
            StudyReviewBuilder.Write(reviewPath, builder.Items());
            Assert.Equal(3, builder.Items().Count);

            // The clinician decides two of three, typing one in lower case.
            FillIn(reviewPath, ("G2", "Include"), ("G3", " exclude"), ("H3", "research only"));

            var update = StudyRuleUpdater.Update(rulesPath, reviewPath, "Dr A Clinician", new DateTime(2025, 1, 10));

            Assert.True(update.Written);
            Assert.Equal(1, update.UndecidedCount);
            Assert.Equal(new[] { StudyDecision.Include, StudyDecision.Exclude }, update.Added.Select(r => r.Decision));
            var after = StudyRuleFile.Read(rulesPath).RuleSet;
            Assert.Equal((before.IncludeCount + 1, before.ExcludeCount + 1), (after.IncludeCount, after.ExcludeCount));
            var reclassified = studies.Select(s => after.Classify(s with { Decision = null })).ToList();
            Assert.Equal(new StudyDecision?[] { StudyDecision.Include, StudyDecision.Include, StudyDecision.Include, StudyDecision.Exclude, StudyDecision.Review },
                reclassified.Select(s => s.Decision));
            var added = after.Find(list.Unknown[1])!;
            Assert.Equal(("EXCLUDE", "Dr A Clinician", new DateTime(2025, 1, 10), "research only"), (added.Sheet!, added.DecidedBy!, added.DecidedOn!.Value, added.Note!));

            // The cover sheet is untouched; the new row sits below the old ones, with who and when as text.
            Assert.Equal(coverBefore, Dump(rulesPath, "Cover"));
            var exclude = Dump(rulesPath, "EXCLUDE");
            var lastRow = (list.Exclude.Count + 2).ToString(CultureInfo.InvariantCulture);
            Assert.Contains("C1=Decided By", exclude);
            Assert.Contains("D1=Decided On", exclude);
            Assert.Contains("E1=Note", exclude);
            Assert.Contains($"B{lastRow}={list.Unknown[1]}", exclude);
            Assert.Contains($"D{lastRow}=2025-01-10", exclude);
            Assert.True(File.Exists(AtomicFile.BackupPath(rulesPath)));
            // The backup is the workbook as it was (copied to an .xlsx name to read it).
            Assert.Equal(before.Count, StudyRuleFile.Read(CopyAs(AtomicFile.BackupPath(rulesPath), folder.File("backup.xlsx"))).RuleSet.Count);

            // Writing the same review again adds nothing.
            var again = StudyRuleUpdater.Update(rulesPath, reviewPath, "Dr A Clinician", new DateTime(2025, 1, 11));
            Assert.Equal((0, 2, false), (again.Added.Count, again.AlreadyKnownCount, again.Written));
        }

        [Theory]
        [InlineData("en-US")]
        [InlineData("de-DE")]
        public void Round_trip_through_a_csv_rules_file_created_from_nothing(string culture)
        {
            using var scope = new CultureScope(culture);
            using var folder = new TempFolder();
            var rulesPath = folder.File("rules.csv");
            var reviewPath = folder.File("review.csv");
            var builder = new StudyReviewBuilder();
            builder.Add(Study("CT Neck, with contrast", "2024-11-01", "A1", "CT"));
            builder.Add(Study("", "2024-11-02", "A2", "OT"));
            builder.Add(Study("XR Knee", "2024-11-03", "A3", "CR"));
            StudyReviewBuilder.Write(reviewPath, builder.Items());
            var lines = File.ReadAllLines(reviewPath);
            Assert.Equal("Description,Count,Modalities,FirstDate,LastDate,ExampleAccession,Decision,Note", lines[0]);
            Assert.Equal("\"CT Neck, with contrast\",1,CT,2024-11-01,2024-11-01,A1,,", lines[2]);
            File.WriteAllLines(reviewPath, new[] { lines[0], lines[1].Replace(",,", ",Exclude,"), lines[2].Replace(",,", ",Include,"), lines[3] });

            var update = StudyRuleUpdater.Update(rulesPath, reviewPath, "Dr B", new DateTime(2025, 2, 3));

            Assert.Equal(new[]
            {
                "Description,Decision,DecidedBy,DecidedOn,Note",
                "(blank),Exclude,Dr B,2025-02-03,",
                "\"CT Neck, with contrast\",Include,Dr B,2025-02-03,",
            }, File.ReadAllLines(rulesPath));
            Assert.Equal(1, update.UndecidedCount);
            var rules = StudyRuleFile.Read(rulesPath).RuleSet;
            Assert.Equal(StudyDecision.Exclude, rules.Decide(null, null, out _));
            Assert.Equal(StudyDecision.Include, rules.Decide(null, "ct neck, WITH contrast", out _));
            Assert.Equal(StudyDecision.Review, rules.Decide(null, "XR Knee", out _));

            // A second review appends below, keeping the existing rows as they are.
            var existing = File.ReadAllText(rulesPath);
            File.WriteAllText(reviewPath, "Description,Decision\r\nXR Knee,Exclude\r\n");
            StudyRuleUpdater.Update(rulesPath, reviewPath, "Dr C", new DateTime(2025, 3, 1));
            Assert.Equal(existing + "XR Knee,Exclude,Dr C,2025-03-01,\r\n", File.ReadAllText(rulesPath));
            Assert.Equal(existing, File.ReadAllText(AtomicFile.BackupPath(rulesPath)));
        }

        [Fact]
        public void A_decision_contradicting_a_rule_or_another_row_is_an_error_and_nothing_is_overwritten()
        {
            using var folder = new TempFolder();
            var rulesPath = folder.File("rules.csv", "Description,Decision,DecidedBy,DecidedOn,Note\r\nCT Neck,Include,Dr A,2024-01-01,\r\n");
            var original = File.ReadAllText(rulesPath);
            var reviewPath = folder.File("review.csv",
                "Description,Decision,Note\r\n" +
                "ct neck ,Exclude,\r\n" +       // line 2: contradicts the rule
                "MRI Knee,Include,\r\n" +       // line 3 and 4 contradict each other
                "MRI  knee,Exclude,\r\n" +
                "XR Chest,Perhaps,\r\n" +       // line 5: not a decision
                "US Neck,Exclude,\r\n");        // line 6: fine

            var update = StudyRuleUpdater.Update(rulesPath, reviewPath, "Dr B", new DateTime(2025, 1, 1));

            Assert.Equal(new long?[] { 2, 4 }, update.Contradictions.Select(e => e.Line));
            Assert.Contains("rules already include it", update.Contradictions[0].Message);
            Assert.Contains("line 2", update.Contradictions[0].Message); // where the rule is
            Assert.Equal(5, update.Errors.Single().Line);
            Assert.Equal(new[] { "US Neck" }, update.Added.Select(r => r.Description));
            Assert.Equal(original + "US Neck,Exclude,Dr B,2025-01-01,\r\n", File.ReadAllText(rulesPath));
        }

        [Fact]
        public void A_declined_confirmation_or_a_held_lock_leaves_the_rules_untouched()
        {
            using var folder = new TempFolder();
            var list = DemoRules.Create(20, 20);
            var rulesPath = folder.File("rules.xlsx");
            DemoRules.WriteWorkbook(rulesPath, list);
            var bytes = File.ReadAllBytes(rulesPath);
            var reviewPath = folder.File("review.csv", "Description,Decision\r\nNew Thing,Include\r\n");

            var declined = StudyRuleUpdater.Update(rulesPath, reviewPath, "Dr A", DateTime.Today, confirm: _ => false);
            Assert.Equal((1, false), (declined.Added.Count, declined.Written));
            using (FileLock.Acquire(rulesPath, TimeSpan.FromSeconds(1)))
                Assert.Throws<TimeoutException>(() => StudyRuleUpdater.Update(rulesPath, reviewPath, "Dr A", DateTime.Today, lockTimeout: TimeSpan.FromMilliseconds(50)));

            Assert.Equal(bytes, File.ReadAllBytes(rulesPath));
            Assert.False(File.Exists(AtomicFile.BackupPath(rulesPath)));
        }

        [Fact]
        public void A_review_file_without_a_decision_column_is_refused()
        {
            using var folder = new TempFolder();
            var rulesPath = folder.File("rules.csv", "Description,Decision,DecidedBy,DecidedOn,Note\r\n");
            var reviewPath = folder.File("review.xlsx");
            Write(reviewPath, ("Review", Column("Description", "CT Neck")));
            var ex = Assert.Throws<InputFormatException>(() => StudyRuleUpdater.Update(rulesPath, reviewPath, "Dr A", DateTime.Today));
            Assert.Equal((reviewPath, "Decision"), (ex.File, ex.Field));
        }

        private static string CopyAs(string from, string to)
        {
            File.Copy(from, to, true);
            return to;
        }

        /// <summary>Types into the review workbook as a clinician would (Excel saves typed text as shared strings).</summary>
        private static void FillIn(string path, params (string Reference, string Text)[] cells)
        {
            using var document = SpreadsheetDocument.Open(path, true);
            var wb = document.WorkbookPart!;
            var sharedPart = wb.SharedStringTablePart ?? wb.AddNewPart<SharedStringTablePart>();
            sharedPart.SharedStringTable ??= new SharedStringTable();
            var data = wb.WorksheetParts.Single().Worksheet.GetFirstChild<SheetData>()!;
            foreach (var (reference, text) in cells)
            {
                sharedPart.SharedStringTable.Append(new SharedStringItem(new Text(text) { Space = DocumentFormat.OpenXml.SpaceProcessingModeValues.Preserve }));
                var index = sharedPart.SharedStringTable.Elements<SharedStringItem>().Count() - 1;
                var rowNumber = uint.Parse(reference.Substring(1), CultureInfo.InvariantCulture);
                var row = data.Elements<Row>().Single(r => r.RowIndex!.Value == rowNumber);
                var cell = new Cell { CellReference = reference, DataType = CellValues.SharedString, CellValue = new CellValue(index.ToString(CultureInfo.InvariantCulture)) };
                var after = row.Elements<Cell>().LastOrDefault(c => string.CompareOrdinal(c.CellReference!.Value, reference) < 0);
                if (after is null) row.PrependChild(cell); else after.InsertAfterSelf(cell);
            }
            wb.WorksheetParts.Single().Worksheet.Save();
            sharedPart.SharedStringTable.Save();
        }
    }
}
