using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.Demo;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Summary;
using HandiImaging.Core.Tests.Cohort;
using HandiImaging.Core.Tests.Summary;
using Xunit;

namespace HandiImaging.Core.Tests.IO
{
    /// <summary>
    /// Excel on a UK-locale Windows machine, opening a CSV the module wrote and saving it again: every cell is
    /// re-typed (a yyyy-MM-dd date becomes dd/MM/yyyy), quotes are kept only where a value needs them (not for
    /// leading or trailing spaces), lines end CRLF, and the file is Windows-1252 ("CSV (Comma delimited)") or UTF-8
    /// with a BOM ("CSV UTF-8"). Not modelled: Excel also drops leading zeros of all-digit cells and shortens long
    /// numbers to 15 digits, which no reader can undo.
    /// </summary>
    public static class ExcelUk
    {
        public enum Save { Windows1252, Utf8Bom }

        public static byte[] Resave(byte[] original, Save save)
        {
            var text = TextFileEncoding.Decode(original, "original").Text;
            var output = new StringWriter(CultureInfo.InvariantCulture);
            var writeConfig = new CsvConfiguration(CultureInfo.InvariantCulture)
            {
                NewLine = "\r\n",
                ShouldQuote = args => args.Field != null && args.Field.IndexOfAny(new[] { ',', '"', '\r', '\n' }) >= 0,
            };
            using (var parser = new CsvParser(new StringReader(text), new CsvConfiguration(CultureInfo.InvariantCulture) { HasHeaderRecord = false }))
            using (var writer = new CsvWriter(output, writeConfig, leaveOpen: true))
            {
                while (parser.Read())
                {
                    foreach (var field in parser.Record!) writer.WriteField(Retype(field));
                    writer.NextRecord();
                }
            }
            var body = output.ToString();
            return save == Save.Windows1252
                ? TextFileEncoding.Windows1252.GetBytes(body)
                : new byte[] { 0xEF, 0xBB, 0xBF }.Concat(new UTF8Encoding(false).GetBytes(body)).ToArray();
        }

        /// <summary>What Excel shows for a cell it recognised as a date, in a UK locale.</summary>
        private static string Retype(string field) =>
            DateTime.TryParseExact(field, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? date.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture)
                : field;
    }

    /// <summary>Every CSV the module writes, re-saved by Excel in a UK locale, reads back as it was written.</summary>
    public sealed class ExcelRoundTripTests
    {
        public static IEnumerable<object[]> Saves => new[] { new object[] { ExcelUk.Save.Windows1252 }, new object[] { ExcelUk.Save.Utf8Bom } };

        private static readonly DateTime AsOf = new DateTime(2025, 1, 6);

        [Theory]
        [MemberData(nameof(Saves))]
        public void The_cohort_reads_back_identically_and_an_update_keeps_every_other_byte(ExcelUk.Save save)
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv",
                "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note\r\n" +
                "H1,943 476 5919,New,,2024-01-15,\"Hélène, see letter\"\r\n" +
                "H2,4010232137,Existing,2024-10-01,2024-02-20,Zoë moved ward\r\n" +
                "H3,,Existing,2024-09-30,,  spaced note  \r\n");
            CohortFile.Update(path, new[] { "H1" }, AsOf);
            var written = CohortFile.Read(path, today: AsOf);

            File.WriteAllBytes(path, ExcelUk.Resave(File.ReadAllBytes(path), save));
            var resaved = File.ReadAllBytes(path);
            var read = CohortFile.Read(path, today: AsOf);

            Assert.Empty(read.Errors);
            Assert.Equal(written.Patients, read.Patients);
            Assert.Equal(new DateTime(2025, 1, 6), read.Patients[0].LastQueried);

            // Updating the re-saved file rewrites H2's line only; every other byte (é, ë, the BOM or its absence) stays.
            CohortFile.Update(path, new[] { "H2" }, AsOf);
            var after = File.ReadAllBytes(path);
            var lines = Lines(resaved);
            var afterLines = Lines(after);
            Assert.Equal(lines.Count, afterLines.Count);
            for (var i = 0; i < lines.Count; i++)
                if (i != 2) Assert.Equal(lines[i], afterLines[i]);
            Assert.Equal(save == ExcelUk.Save.Utf8Bom, after.Take(3).SequenceEqual(new byte[] { 0xEF, 0xBB, 0xBF }));
            Assert.Equal(DateValue.ToIso(AsOf), CohortFile.Read(path, today: AsOf).Patients[1].LastQueried is { } d ? DateValue.ToIso(d) : null);
        }

        [Theory]
        [MemberData(nameof(Saves))]
        public void The_ledger_reads_back_identically_and_keeps_its_encoding(ExcelUk.Save save)
        {
            using var folder = new TempFolder();
            var ledger = new IngestFailureLedger(Path.Combine(folder.Path, "ledger.csv"));
            ledger.Add(new[]
            {
                new IngestFailure { Subject = "9434765919", StudyDate = "2024-02-01", AccessionNumber = "ACC1", StudyDescription = "CT Neck, contrast – Hélène's \"second\"", StudyInstanceUid = "1.2.826.0.1.1", HospitalId = "H1", Source = "failures.txt:2" },
                new IngestFailure { Subject = "NN_H2", StudyDate = "20240305", AccessionNumber = "ACC2", StudyDescription = " MR  Brain ", StudyInstanceUid = "", HospitalId = "H2", Source = "failures.txt:3" },
            }, new DateTime(2024, 12, 2));
            ledger.Resolve(new XnatSessionIndexBuilder().With("1.2.826.0.1.1").Index, AsOf);
            var written = ledger.Read();

            File.WriteAllBytes(ledger.Path, ExcelUk.Resave(File.ReadAllBytes(ledger.Path), save));
            var read = ledger.Read();

            Assert.Equal(Describe(written), Describe(read));

            ledger.Add(new[] { new IngestFailure { Subject = "4010232137", StudyDate = "2024-06-01", AccessionNumber = "ACC3", StudyInstanceUid = "1.2.3", HospitalId = "H3", Source = "f:9" } }, AsOf);
            Assert.StartsWith(save == ExcelUk.Save.Windows1252 ? "Windows-1252" : "UTF-8 with BOM", TextFileEncoding.Read(ledger.Path).Name);
            Assert.Equal(Describe(written), Describe(ledger.Read().Take(2)));
        }

        [Theory]
        [MemberData(nameof(Saves))]
        public void The_rules_csv_reads_back_identically_and_an_update_appends_after_the_untouched_bytes(ExcelUk.Save save)
        {
            using var folder = new TempFolder();
            var rulesPath = Path.Combine(folder.Path, "rules.csv");
            DemoRules.WriteCsv(rulesPath, DemoRules.Create(40, 60), decidedBy: "Dr Zoë", decidedOn: new DateTime(2024, 3, 4));
            var written = StudyRuleFile.Read(rulesPath);

            File.WriteAllBytes(rulesPath, ExcelUk.Resave(File.ReadAllBytes(rulesPath), save));
            var resaved = File.ReadAllBytes(rulesPath);
            var read = StudyRuleFile.Read(rulesPath);

            Assert.Empty(read.Errors);
            Assert.Equal(Describe(written.RuleSet), Describe(read.RuleSet));

            var reviewPath = Path.Combine(folder.Path, "review.csv");
            StudyReviewBuilder.Write(reviewPath, new[] { new StudyReviewItem { Description = "MR Brain new", Count = 2, Decision = "Include" } });
            StudyRuleUpdater.Update(rulesPath, reviewPath, "Dr A", AsOf);
            var after = File.ReadAllBytes(rulesPath);
            Assert.Equal(resaved, after.Take(resaved.Length).ToArray());
            Assert.Equal(StudyDecision.Include, StudyRuleFile.Read(rulesPath).RuleSet.Find("MR Brain new")!.Decision);
        }

        [Theory]
        [MemberData(nameof(Saves))]
        public void The_review_csv_reads_back_identically(ExcelUk.Save save)
        {
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "review.csv");
            StudyReviewBuilder.Write(path, new[]
            {
                new StudyReviewItem { Description = "CT Neck, low dose", Count = 12, Modalities = "CT", FirstDate = new DateTime(2024, 1, 2), LastDate = new DateTime(2024, 11, 30), ExampleAccession = "ACC1", Decision = "Include", Note = "per Dr Zoë" },
                new StudyReviewItem { Description = "(blank)", Count = 3, Modalities = "OT", Decision = "Exclude" },
                new StudyReviewItem { Description = " XR  Chest ", Count = 1, Modalities = "CR", FirstDate = new DateTime(2024, 5, 6), LastDate = new DateTime(2024, 5, 6) },
            });
            var writtenErrors = new List<InputFormatException>();
            var written = StudyReviewFile.Read(path, writtenErrors);

            File.WriteAllBytes(path, ExcelUk.Resave(File.ReadAllBytes(path), save));
            var errors = new List<InputFormatException>();
            var read = StudyReviewFile.Read(path, errors);

            Assert.Empty(errors);
            Assert.Equal(written.Select(d => (d.Description, d.Decision, d.Note, d.Line)), read.Select(d => (d.Description, d.Decision, d.Note, d.Line)));
        }

        [Theory]
        [MemberData(nameof(Saves))]
        public void The_master_summary_carries_the_same_values_after_excel(ExcelUk.Save save)
        {
            using var folder = new SummaryFolder();
            folder.References("9434765919,15/01/2024", "4010232137,");
            folder.Sessions("CT", "9434765919,2024-02-01,ACC1,1.2.3,4", "4010232137,2024-03-01,ACC2,1.2.4,1");
            folder.Sessions("MR", "9434765919,2024-02-03,ACC3,Skyra,7");
            XnatSummaryMerger.Merge(folder.Request(withFailures: false));
            var written = File.ReadAllBytes(folder.OutputPath);

            var resaved = ExcelUk.Resave(written, save);

            var before = Cells(written);
            var after = Cells(resaved);
            Assert.Equal(before.Count, after.Count);
            for (var r = 0; r < before.Count; r++)
            {
                Assert.Equal(before[r].Length, after[r].Length);
                for (var c = 0; c < before[r].Length; c++)
                {
                    // Excel turns yyyy-MM-dd into dd/MM/yyyy; the date rule reads both as the same day, and nothing else changes.
                    if (before[r][c] == after[r][c]) continue;
                    Assert.True(DateValue.TryParseUser(before[r][c], out var x) && DateValue.TryParseUser(after[r][c], out var y) && x == y, $"row {r + 1}, column {c + 1}: '{before[r][c]}' became '{after[r][c]}'");
                }
            }
        }

        private static List<string[]> Cells(byte[] bytes)
        {
            var rows = new List<string[]>();
            using var parser = new CsvParser(new StringReader(TextFileEncoding.Decode(bytes, "summary").Text), new CsvConfiguration(CultureInfo.InvariantCulture) { HasHeaderRecord = false });
            while (parser.Read()) rows.Add(parser.Record!);
            return rows;
        }

        private static List<byte[]> Lines(byte[] bytes)
        {
            var lines = new List<byte[]>();
            var start = 0;
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] != (byte)'\n') continue;
                lines.Add(bytes.Skip(start).Take(i + 1 - start).ToArray());
                start = i + 1;
            }
            if (start < bytes.Length) lines.Add(bytes.Skip(start).ToArray());
            return lines;
        }

        private static IEnumerable<string> Describe(IEnumerable<IngestFailureLedgerEntry> rows) => rows.Select(r => string.Join("|",
            r.Subject, r.StudyDate, r.AccessionNumber, r.StudyDescription, r.StudyInstanceUid, r.HospitalId, DateValue.ToIso(r.FirstSeen), DateValue.ToIso(r.LastSeen),
            r.TimesSeen.ToString(CultureInfo.InvariantCulture), r.Source, r.Status, r.ResolvedOn.HasValue ? DateValue.ToIso(r.ResolvedOn.Value) : ""));

        private static IEnumerable<string> Describe(StudyRuleSet rules) => rules.Rules.Select(r => string.Join("|",
            r.Description, r.Decision, r.DecidedBy, r.DecidedOn.HasValue ? DateValue.ToIso(r.DecidedOn.Value) : "", r.Note, r.Line.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>An XNAT session index holding the given UIDs (the ledger resolves against it).</summary>
    internal sealed class XnatSessionIndexBuilder
    {
        public XnatSessionIndex Index { get; } = new XnatSessionIndex();

        public XnatSessionIndexBuilder With(params string[] uids)
        {
            Index.Add(new StringReader("Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans\r\n" + string.Concat(uids.Select((u, i) => $"S,2024-01-01,X{i},{u},1\r\n"))), "CT.csv");
            return this;
        }
    }
}
