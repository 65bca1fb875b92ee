using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Summary;
using HandiImaging.Core.Tests.Cohort;
using Xunit;

namespace HandiImaging.Core.Tests.IO
{
    /// <summary>
    /// The table of malformed inputs, one per ordinary mistake in every file the module reads: each case is a
    /// folder of files (the bad one among good ones), a reader or updater run over it, and the error it must give
    /// — its Code, the bad file, the line and the field. Every case also proves that no existing file changed and
    /// that nothing was written beside them (no output, no .bak, no temp file).
    /// </summary>
    public sealed class MalformedInputTests
    {
        /// <summary>One malformed input: the files of the folder, the file at fault, what to run, and the error expected.</summary>
        public sealed record Case(string Kind, string Name, Dictionary<string, byte[]> Files, string BadFile,
            Func<string, IEnumerable<InputFormatException>> Run, string Code, long? Line, string? Field);

        private const string CohortHeader = "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note\r\n";
        private const string GoodCohortRow = "H1,9434765919,Existing,2024-06-03,2024-01-15,first\r\n";
        private const string LedgerHeader = "Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\n";
        private const string LedgerRow = "9434765919,2024-02-01,ACC1,CT Neck,1.2.3,H1,2024-03-01,2024-03-01,1,f.txt:2,Open,\r\n";
        private const string RulesHeader = "Description,Decision,DecidedBy,DecidedOn,Note\r\n";
        private const string SessionHeader = "Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans\r\n";
        private static readonly string[] SessionTypes = { "CT", "MR", "PET", "CR", "DX", "RF", "SR", "XA" };

        private static byte[] Utf8(string text) => new UTF8Encoding(false).GetBytes(text);

        private static IEnumerable<InputFormatException> Throws(Action run)
        {
            try { run(); }
            catch (InputFormatException ex) { return new[] { ex }; }
            return Array.Empty<InputFormatException>();
        }

        private static IEnumerable<InputFormatException> Collects(Func<IEnumerable<InputFormatException>> run)
        {
            try { return run().ToList(); }
            catch (InputFormatException ex) { return new[] { ex }; }
        }

        private static Case One(string kind, string name, string file, string content, Func<string, IEnumerable<InputFormatException>> run,
            string code, long? line, string? field) =>
            new Case(kind, name, new Dictionary<string, byte[]> { [file] = Utf8(content) }, file, run, code, line, field);

        private static string At(string folder, string file) => Path.Combine(folder, file);

        // ---- the readers, as each case runs them ----

        private static IEnumerable<InputFormatException> ReadCohort(string folder) => Collects(() => CohortFile.Read(At(folder, "cohort.csv"), today: new DateTime(2025, 1, 6)).Errors);
        private static IEnumerable<InputFormatException> UpdateCohort(string folder) => Throws(() => CohortFile.Update(At(folder, "cohort.csv"), new[] { "H1" }, new DateTime(2025, 1, 6)));
        private static IEnumerable<InputFormatException> ReadDeceased(string folder) => Collects(() => DeceasedList.Read(At(folder, "deceased.csv"), new DateTime(2025, 1, 6)).Errors);
        private static IEnumerable<InputFormatException> ReadIdMap(string folder) => Throws(() => HospitalIdMap.Load(At(folder, "HospitalID-NHSNumber.csv")));
        private static IEnumerable<InputFormatException> ReadRules(string folder) => Collects(() => StudyRuleFile.Read(At(folder, "rules.csv")).Errors);
        private static IEnumerable<InputFormatException> UpdateRules(string folder) => Throws(() => StudyRuleUpdater.Update(At(folder, "rules.csv"), At(folder, "review.csv"), "Dr A", new DateTime(2025, 1, 6)));
        private static IEnumerable<InputFormatException> ReadReview(string folder) => Collects(() =>
        {
            var errors = new List<InputFormatException>();
            StudyReviewFile.Read(At(folder, "review.csv"), errors);
            return errors;
        });
        private static IEnumerable<InputFormatException> ReadLedger(string folder) => Throws(() => new IngestFailureLedger(At(folder, "ledger.csv")).Read());
        private static IEnumerable<InputFormatException> AddToLedger(string folder) => Throws(() => new IngestFailureLedger(At(folder, "ledger.csv")).Add(new[]
        {
            new IngestFailure { Subject = "9434765919", StudyDate = "2024-05-01", AccessionNumber = "ACC9", StudyInstanceUid = "9.9", HospitalId = "H1", Source = "new.txt:1" },
        }, new DateTime(2025, 1, 6)));
        private static IEnumerable<InputFormatException> Merge(string folder) => Throws(() => XnatSummaryMerger.Merge(
            new XnatSummaryRequest(folder, At(folder, "reference_dates.csv"), At(folder, "summary.csv")) { FailurePath = At(folder, "failures.csv") }));
        private static IEnumerable<InputFormatException> LoadSessions(string folder) => Throws(() => XnatSessionIndex.Load(folder));
        private static IEnumerable<InputFormatException> ReadFailureText(string folder) =>
            new IngestFailureReader(null).ReadFile(At(folder, "failures.txt")).Where(i => i.Error != null).Select(i => i.Error!).ToList();

        /// <summary>The eight exports, reference dates and failures, all good, with <paramref name="file"/> replaced by <paramref name="content"/>.</summary>
        private static Case SummaryCase(string kind, string name, string file, string content, string code, long? line, string? field,
            Func<string, IEnumerable<InputFormatException>>? run = null)
        {
            var files = new Dictionary<string, byte[]>();
            foreach (var type in SessionTypes) files[type + ".csv"] = Utf8(SessionHeader + "9434765919,2024-02-01,ACC1,1.2.3,4\r\n");
            files["reference_dates.csv"] = Utf8("Subject,Reference Date\r\n9434765919,15/01/2024\r\n");
            files["failures.csv"] = Utf8(LedgerHeader + LedgerRow);
            files[file] = Utf8(content);
            return new Case(kind, name, files, file, run ?? Merge, code, line, field);
        }

        private static Case ReviewCase(string name, string rules, string code, long? line, string? field) =>
            new Case("rules CSV (update)", name, new Dictionary<string, byte[]>
            {
                ["rules.csv"] = Utf8(rules),
                ["review.csv"] = Utf8("Description,Count,Modalities,FirstDate,LastDate,ExampleAccession,Decision,Note\r\nMR Brain,3,MR,2024-01-02,2024-02-03,A1,Include,\r\n"),
            }, "rules.csv", UpdateRules, code, line, field);

        public static readonly IReadOnlyList<Case> Cases = new List<Case>
        {
            // ---- cohort (read) ----
            One("cohort", "unterminated quote swallows the rest", "cohort.csv", CohortHeader + GoodCohortRow + "H2,4010232137,New,,,\"moved wards\r\nH3,9434765870,New,,,\r\nH4,4010232145,New,,,\r\n", ReadCohort, "UnterminatedQuote", 3, null),
            One("cohort", "quote inside a value", "cohort.csv", CohortHeader + GoodCohortRow + "H2,40102\"32137,New,,,\r\n", ReadCohort, "StrayQuote", 3, null),
            One("cohort", "two stray quotes pair up across rows", "cohort.csv", CohortHeader + GoodCohortRow + "H2,4010232137,New,,,\"a\r\nH3,9434765870,New,,,b\"\r\n", ReadCohort, "UnterminatedQuote", 3, null),
            One("cohort", "unterminated quote on the last line", "cohort.csv", CohortHeader + GoodCohortRow + "H2,4010232137,New,,,\"note", ReadCohort, "UnterminatedQuote", 3, null),
            One("cohort", "no HospitalId column", "cohort.csv", "NhsNumber,Status,LastQueried\r\n9434765919,New,\r\n", ReadCohort, "MissingColumn", 1, "HospitalId"),
            One("cohort", "no Status column", "cohort.csv", "HospitalId,NhsNumber,LastQueried\r\nH1,9434765919,\r\n", ReadCohort, "MissingColumn", 1, "Status"),
            One("cohort", "no LastQueried column", "cohort.csv", "HospitalId,NhsNumber,Status\r\nH1,9434765919,New\r\n", ReadCohort, "MissingColumn", 1, "LastQueried"),
            One("cohort", "header row missing", "cohort.csv", GoodCohortRow + "H2,4010232137,New,,,\r\n", ReadCohort, "HeaderLooksLikeData", 1, "HospitalId"),
            One("cohort", "header row below the data", "cohort.csv", GoodCohortRow + CohortHeader, ReadCohort, "HeaderLooksLikeData", 1, "HospitalId"),
            One("cohort", "column named twice", "cohort.csv", "HospitalId,Status,LastQueried,status\r\nH1,New,,New\r\n", ReadCohort, "DuplicateColumn", 1, "Status"),
            One("cohort", "two names for the hospital ID", "cohort.csv", "HospitalId,MRN,Status,LastQueried\r\nH1,H1,New,\r\n", ReadCohort, "DuplicateColumn", 1, "HospitalId"),
            One("cohort", "semicolon-separated", "cohort.csv", "HospitalId;NhsNumber;Status;LastQueried\r\nH1;9434765919;New;\r\n", ReadCohort, "WrongColumnCount", 1, null),
            One("cohort", "unquoted comma adds a value", "cohort.csv", CohortHeader + GoodCohortRow + "H2,4010232137,New,,,moved, then back\r\n", ReadCohort, "WrongColumnCount", 3, null),
            One("cohort", "empty file", "cohort.csv", "", ReadCohort, "EmptyFile", 1, null),
            One("cohort", "month-first LastQueried", "cohort.csv", CohortHeader + "H1,9434765919,Existing,12/31/2024,,\r\n", ReadCohort, "InvalidDate", 2, "LastQueried"),
            One("cohort", "LastQueried in words", "cohort.csv", CohortHeader + "H1,9434765919,Existing,last week,,\r\n", ReadCohort, "InvalidDate", 2, "LastQueried"),
            One("cohort", "LastQueried in the future", "cohort.csv", CohortHeader + "H1,9434765919,Existing,2025-03-01,,\r\n", ReadCohort, "DateOutOfRange", 2, "LastQueried"),
            One("cohort", "2099 placeholder as LastQueried", "cohort.csv", CohortHeader + "H1,9434765919,Existing,2099-01-01,,\r\n", ReadCohort, "DateOutOfRange", 2, "LastQueried"),
            One("cohort", "month-first ReferenceDate", "cohort.csv", CohortHeader + "H1,9434765919,New,,02/28/2024,\r\n", ReadCohort, "InvalidDate", 2, "ReferenceDate"),
            One("cohort", "ReferenceDate with a mistyped year", "cohort.csv", CohortHeader + "H1,9434765919,New,,0024-01-15,\r\n", ReadCohort, "DateOutOfRange", 2, "ReferenceDate"),
            One("cohort", "misspelt Status", "cohort.csv", CohortHeader + "H1,9434765919,Exisitng,2024-06-03,,\r\n", ReadCohort, "InvalidStatus", 2, "Status"),
            One("cohort", "empty hospital ID", "cohort.csv", CohortHeader + ",9434765919,New,,,\r\n", ReadCohort, "MissingValue", 2, "HospitalId"),
            One("cohort", "hospital ID twice", "cohort.csv", CohortHeader + GoodCohortRow + "h1,4010232137,New,,,\r\n", ReadCohort, "DuplicateHospitalId", 3, "HospitalId"),
            One("cohort", "Existing without LastQueried", "cohort.csv", CohortHeader + "H1,9434765919,Existing,,,\r\n", ReadCohort, "MissingValue", 2, "LastQueried"),
            new Case("cohort", "UTF-8 BOM, then an unterminated quote", new Dictionary<string, byte[]> { ["cohort.csv"] = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Utf8(CohortHeader + GoodCohortRow + "H2,4010232137,New,,,\"x\r\n")).ToArray() },
                "cohort.csv", ReadCohort, "UnterminatedQuote", 3, null),
            new Case("cohort", "UTF-16 LE without a Status column", new Dictionary<string, byte[]> { ["cohort.csv"] = new byte[] { 0xFF, 0xFE }.Concat(Encoding.Unicode.GetBytes("HospitalId,LastQueried\r\nH1,\r\n")).ToArray() },
                "cohort.csv", ReadCohort, "MissingColumn", 1, "Status"),
            new Case("cohort", "UTF-16 BE month-first date", new Dictionary<string, byte[]> { ["cohort.csv"] = new byte[] { 0xFE, 0xFF }.Concat(Encoding.BigEndianUnicode.GetBytes(CohortHeader + "H1,,Existing,12/31/2024,,\r\n")).ToArray() },
                "cohort.csv", ReadCohort, "InvalidDate", 2, "LastQueried"),
            new Case("cohort", "UTF-8 BOM but not UTF-8", new Dictionary<string, byte[]> { ["cohort.csv"] = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Utf8(CohortHeader)).Concat(new byte[] { (byte)'H', 0xE9, (byte)',', (byte)'\r', (byte)'\n' }).ToArray() },
                "cohort.csv", ReadCohort, "InvalidEncoding", null, null),
            new Case("cohort", "Windows-1252 with an unterminated quote", new Dictionary<string, byte[]> { ["cohort.csv"] = TextFileEncoding.Windows1252.GetBytes(CohortHeader + "H1,9434765919,New,,,Hélène\r\nH2,4010232137,New,,,\"Zoë\r\nH3,,New,,,\r\n") },
                "cohort.csv", ReadCohort, "UnterminatedQuote", 3, null),

            // ---- cohort (update): the file is never rewritten ----
            One("cohort (update)", "unterminated quote", "cohort.csv", CohortHeader + GoodCohortRow + "H2,4010232137,New,,,\"moved\r\nH3,,New,,,\r\n", UpdateCohort, "UnterminatedQuote", 3, null),
            One("cohort (update)", "no LastQueried column", "cohort.csv", "HospitalId,NhsNumber,Status\r\nH1,9434765919,New\r\n", UpdateCohort, "MissingColumn", 1, "LastQueried"),
            One("cohort (update)", "header row missing", "cohort.csv", GoodCohortRow, UpdateCohort, "HeaderLooksLikeData", 1, "HospitalId"),
            One("cohort (update)", "unquoted comma adds a value", "cohort.csv", CohortHeader + "H1,9434765919,Existing,2024-06-03,,a,b\r\n", UpdateCohort, "WrongColumnCount", 2, null),
            One("cohort (update)", "column named twice", "cohort.csv", "HospitalId,Status,LastQueried,LastQueried\r\nH1,New,,\r\n", UpdateCohort, "DuplicateColumn", 1, "LastQueried"),

            // ---- deceased extract ----
            One("deceased extract", "neither identifier column", "deceased.csv", "Name,Date of Death\r\nX,01/01/2024\r\n", ReadDeceased, "MissingColumn", 1, "HospitalId"),
            One("deceased extract", "unterminated quote", "deceased.csv", "Hospital Number,NHS Number,Date of Death\r\nH1,943 476 5919,01/02/2024\r\n\"H2,401 023 2137,03/02/2024\r\nH3,,04/02/2024\r\n", ReadDeceased, "UnterminatedQuote", 3, null),
            One("deceased extract", "quote inside a value", "deceased.csv", "Hospital Number,NHS Number\r\nH1,943 4\"76 5919\r\n", ReadDeceased, "StrayQuote", 2, null),
            One("deceased extract", "month-first date of death", "deceased.csv", "Hospital Number,Date of Death\r\nH1,12/31/2023\r\n", ReadDeceased, "InvalidDate", 2, "Date of Death"),
            One("deceased extract", "two hospital ID columns", "deceased.csv", "Hospital Number,MRN,Date of Death\r\nH1,H1,01/01/2024\r\n", ReadDeceased, "DuplicateColumn", 1, "HospitalId"),
            One("deceased extract", "header row missing", "deceased.csv", "H1,943 476 5919,01/02/2024\r\n", ReadDeceased, "HeaderLooksLikeData", 1, "HospitalId"),
            One("deceased extract", "tab-separated", "deceased.csv", "Hospital Number\tNHS Number\r\nH1\t9434765919\r\n", ReadDeceased, "WrongColumnCount", 1, null),
            One("deceased extract", "unquoted comma adds a value", "deceased.csv", "Hospital Number,Date of Death\r\nH1,01/02/2024,Smith, J\r\n", ReadDeceased, "WrongColumnCount", 2, null),
            One("deceased extract", "empty file", "deceased.csv", "", ReadDeceased, "EmptyFile", 1, null),

            // ---- HospitalID-NHSNumber map ----
            One("ID map", "no NHSNumber column", "HospitalID-NHSNumber.csv", "HospitalID,NHS\r\nH1,9434765919\r\n", ReadIdMap, "MissingColumn", 1, "NHSNumber"),
            One("ID map", "no HospitalID column", "HospitalID-NHSNumber.csv", "Hospital,NHSNumber\r\nH1,9434765919\r\n", ReadIdMap, "MissingColumn", 1, "HospitalID"),
            One("ID map", "header row missing", "HospitalID-NHSNumber.csv", "H1,9434765919\r\nH2,4010232137\r\n", ReadIdMap, "HeaderLooksLikeData", 1, "HospitalID"),
            One("ID map", "unterminated quote", "HospitalID-NHSNumber.csv", "HospitalID,NHSNumber\r\nH1,9434765919\r\nH2,\"4010232137\r\nH3,9434765870\r\n", ReadIdMap, "UnterminatedQuote", 3, null),
            One("ID map", "quote inside a value", "HospitalID-NHSNumber.csv", "HospitalID,NHSNumber\r\nH\"1,9434765919\r\n", ReadIdMap, "StrayQuote", 2, null),
            One("ID map", "column named twice", "HospitalID-NHSNumber.csv", "HospitalID,Hospital ID,NHSNumber\r\nH1,H1,9434765919\r\n", ReadIdMap, "DuplicateColumn", 1, "HospitalID"),
            One("ID map", "semicolon-separated", "HospitalID-NHSNumber.csv", "HospitalID;NHSNumber\r\nH1;9434765919\r\n", ReadIdMap, "WrongColumnCount", 1, null),
            One("ID map", "unquoted comma adds a value", "HospitalID-NHSNumber.csv", "HospitalID,NHSNumber\r\nH1,943,476,5919\r\n", ReadIdMap, "WrongColumnCount", 2, null),
            One("ID map", "empty file", "HospitalID-NHSNumber.csv", "", ReadIdMap, "EmptyFile", 1, null),

            // ---- rules CSV ----
            One("rules CSV", "no Decision column", "rules.csv", "Description,DecidedBy\r\nCT Neck,Dr A\r\n", ReadRules, "MissingColumn", 1, "Decision"),
            One("rules CSV", "no Description column", "rules.csv", "Study,Decision\r\nCT Neck,Include\r\n", ReadRules, "MissingColumn", 1, "Description"),
            One("rules CSV", "header row missing", "rules.csv", "CT Neck,Include,Dr A,2024-03-04,\r\n", ReadRules, "HeaderLooksLikeData", 1, "Description"),
            One("rules CSV", "unterminated quote swallows rules", "rules.csv", RulesHeader + "CT Neck,Include,Dr A,2024-03-04,\"see email\r\nXR Chest,Exclude,,,\r\nMR Brain,Include,,,\r\n", ReadRules, "UnterminatedQuote", 2, null),
            One("rules CSV", "quote inside a description", "rules.csv", RulesHeader + "CT 5\" slices,Include,,,\r\n", ReadRules, "StrayQuote", 2, null),
            One("rules CSV", "two names for the description", "rules.csv", "Description,Study Description,Decision\r\nA,A,Include\r\n", ReadRules, "DuplicateColumn", 1, "Description"),
            One("rules CSV", "unquoted comma in a description", "rules.csv", RulesHeader + "CT Neck, with contrast,Include,Dr A,2024-03-04,\r\n", ReadRules, "WrongColumnCount", 2, null),
            One("rules CSV", "month-first DecidedOn", "rules.csv", RulesHeader + "CT Neck,Include,Dr A,03/31/2024,\r\n", ReadRules, "InvalidDate", 2, "DecidedOn"),
            One("rules CSV", "DecidedOn in the future", "rules.csv", RulesHeader + "CT Neck,Include,Dr A,2098-03-04,\r\n", ReadRules, "DateOutOfRange", 2, "DecidedOn"),
            One("rules CSV", "decision neither Include nor Exclude", "rules.csv", RulesHeader + "CT Neck,Maybe,,,\r\n", ReadRules, "InvalidDecision", 2, "Decision"),
            One("rules CSV", "empty description", "rules.csv", RulesHeader + ",Include,,,\r\n", ReadRules, "MissingValue", 2, "Description"),
            One("rules CSV", "semicolon-separated", "rules.csv", "Description;Decision\r\nCT Neck;Include\r\n", ReadRules, "WrongColumnCount", 1, null),
            One("rules CSV", "empty file", "rules.csv", "", ReadRules, "EmptyFile", 1, null),

            // ---- rules CSV (update): never rewritten ----
            ReviewCase("no DecidedOn column to write to", "Description,Decision,DecidedBy\r\nCT Neck,Include,Dr A\r\n", "MissingColumn", 1, "DecidedOn"),
            ReviewCase("unterminated quote", RulesHeader + "CT Neck,Include,Dr A,2024-03-04,\"see\r\nXR Chest,Exclude,,,\r\n", "UnterminatedQuote", 2, null),
            ReviewCase("header row missing", "CT Neck,Include,Dr A,2024-03-04,\r\n", "HeaderLooksLikeData", 1, "Description"),

            // ---- review CSV ----
            One("review CSV", "no Decision column", "review.csv", "Description,Count,Note\r\nMR Brain,3,\r\n", ReadReview, "MissingColumn", 1, "Decision"),
            One("review CSV", "unterminated quote", "review.csv", "Description,Decision,Note\r\nMR Brain,Include,\"ask Dr A\r\nCT Neck,Exclude,\r\n", ReadReview, "UnterminatedQuote", 2, null),
            One("review CSV", "header row missing", "review.csv", "MR Brain,3,MR,2024-01-02,2024-02-03,A1,Include,\r\n", ReadReview, "HeaderLooksLikeData", 1, "Description"),
            One("review CSV", "Note and Notes columns", "review.csv", "Description,Decision,Note,Notes\r\nMR Brain,Include,,\r\n", ReadReview, "DuplicateColumn", 1, "Note"),
            One("review CSV", "unquoted comma adds a value", "review.csv", "Description,Decision,Note\r\nMR Brain,Include,ask, Dr A\r\n", ReadReview, "WrongColumnCount", 2, null),

            // ---- failure ledger (read, and add: never rewritten) ----
            One("ledger", "unterminated quote", "ledger.csv", LedgerHeader + LedgerRow + "9434765919,2024-02-02,ACC2,\"CT Neck,1.2.4,H1,2024-03-01,2024-03-01,1,f.txt:3,Open,\r\n" + LedgerRow.Replace("1.2.3", "1.2.5"), ReadLedger, "UnterminatedQuote", 3, null),
            One("ledger", "quote inside a value", "ledger.csv", LedgerHeader + LedgerRow.Replace("CT Neck", "CT \"Neck\""), ReadLedger, "StrayQuote", 2, null),
            One("ledger", "columns in another order", "ledger.csv", LedgerHeader.Replace("Subject,StudyDate", "StudyDate,Subject") + LedgerRow, ReadLedger, "ColumnOutOfOrder", 1, "Subject"),
            One("ledger", "a column missing", "ledger.csv", LedgerHeader.Replace(",Source", "") + LedgerRow, ReadLedger, "MissingColumn", 1, "Source"),
            One("ledger", "a column twice", "ledger.csv", LedgerHeader.Replace("ResolvedOn", "Status") + LedgerRow, ReadLedger, "DuplicateColumn", 1, "Status"),
            One("ledger", "month-first FirstSeen", "ledger.csv", LedgerHeader + LedgerRow.Replace("2024-03-01,2024-03-01", "12/31/2024,2024-03-01"), ReadLedger, "InvalidDate", 2, "FirstSeen"),
            One("ledger", "TimesSeen in words", "ledger.csv", LedgerHeader + LedgerRow.Replace(",1,f.txt", ",two,f.txt"), ReadLedger, "InvalidNumber", 2, "TimesSeen"),
            One("ledger", "unknown Status", "ledger.csv", LedgerHeader + LedgerRow.Replace("Open", "Closed"), ReadLedger, "InvalidStatus", 2, "Status"),
            One("ledger", "short row", "ledger.csv", LedgerHeader + "9434765919,2024-02-01,ACC1,CT Neck,1.2.3,H1,2024-03-01\r\n", ReadLedger, "WrongColumnCount", 2, "LastSeen"),
            One("ledger", "unquoted comma adds a value", "ledger.csv", LedgerHeader + LedgerRow.Replace("CT Neck", "CT Neck, contrast"), ReadLedger, "WrongColumnCount", 2, null),
            One("ledger", "header row missing", "ledger.csv", LedgerRow + LedgerRow.Replace("1.2.3", "1.2.4"), ReadLedger, "HeaderLooksLikeData", 1, "Subject"),
            One("ledger (add)", "unterminated quote", "ledger.csv", LedgerHeader + LedgerRow.Replace("CT Neck", "\"CT Neck"), AddToLedger, "UnterminatedQuote", 2, null),
            One("ledger (add)", "month-first LastSeen", "ledger.csv", LedgerHeader + LedgerRow.Replace("2024-03-01,1,", "12/31/2024,1,"), AddToLedger, "InvalidDate", 2, "LastSeen"),
            One("ledger (add)", "columns in another order", "ledger.csv", LedgerHeader.Replace("FirstSeen,LastSeen", "LastSeen,FirstSeen") + LedgerRow, AddToLedger, "ColumnOutOfOrder", 1, "FirstSeen"),

            // ---- session exports, reference dates and failures (Merge-XnatSummary): no summary is written ----
            SummaryCase("session export", "unterminated quote in CT.csv", "CT.csv", SessionHeader + "9434765919,2024-02-01,ACC1,\"1.2.3,4\r\n4010232137,2024-02-02,ACC2,1.2.4,1\r\n", "UnterminatedQuote", 2, null),
            SummaryCase("session export", "quote inside a value in MR.csv", "MR.csv", "Subject,Date,MR ID,Scanner,Scans\r\n9434765919,2024-02-01,ACC1,Sky\"ra,4\r\n", "StrayQuote", 2, null),
            SummaryCase("session export", "two-column PET.csv", "PET.csv", "Subject,Date\r\n9434765919,2024-02-01\r\n", "WrongColumnCount", 1, "ID"),
            SummaryCase("session export", "DX.csv without its header", "DX.csv", "9434765919,2024-02-01,ACC1,1.2.3,4\r\n", "HeaderLooksLikeData", 1, "Subject"),
            SummaryCase("session export", "semicolon-separated XA.csv", "XA.csv", "Subject;Date;XNAT_XASESSIONDATA ID;ID;Creator\r\n", "WrongColumnCount", 1, null),
            SummaryCase("session export", "CR.csv with Subject and Date swapped", "CR.csv", "Date,Subject,XNAT_CRSESSIONDATA ID,ID,Session\r\n2024-02-01,9434765919,ACC1,X,1\r\n", "ColumnOutOfOrder", 1, "Subject"),
            SummaryCase("session export", "unquoted comma in SR.csv", "SR.csv", "Subject,Date,XNAT_SRSESSIONDATA ID,ID,Creator\r\n9434765919,2024-02-01,ACC1,X,Smith, J\r\n", "WrongColumnCount", 2, null),
            SummaryCase("session export", "two stray quotes in RF.csv pair up across rows", "RF.csv", "Subject,Date,XNAT_RFSESSIONDATA ID,ID,Session\r\n9434765919,2024-02-01,ACC1,\"X,1\r\n4010232137,2024-02-02,ACC2,Y\",1\r\n", "UnterminatedQuote", 2, null),
            SummaryCase("session export", "unterminated quote on CT.csv's last line", "CT.csv", SessionHeader + "9434765919,2024-02-01,ACC1,1.2.3,\"4", "UnterminatedQuote", 2, null),
            SummaryCase("reference dates", "unterminated quote", "reference_dates.csv", "Subject,Reference Date\r\n\"9434765919,15/01/2024\r\n4010232137,16/01/2024\r\n", "UnterminatedQuote", 2, null),
            SummaryCase("reference dates", "header row missing", "reference_dates.csv", "9434765919,15/01/2024\r\n", "HeaderLooksLikeData", 1, "Subject"),
            SummaryCase("reference dates", "one column (tab-separated)", "reference_dates.csv", "Subject\tReference Date\r\n9434765919\t15/01/2024\r\n", "WrongColumnCount", 1, null),
            SummaryCase("reference dates", "unquoted comma adds a value", "reference_dates.csv", "Subject,Reference Date\r\n9434765919,15/01/2024,RT, boost\r\n", "WrongColumnCount", 2, null),
            SummaryCase("failures CSV", "three-column failures file", "failures.csv", "Subject,StudyDate,AccessionNumber\r\n9434765919,2024-02-01,ACC1\r\n", "WrongColumnCount", 1, "StudyDescription"),
            SummaryCase("failures CSV", "unterminated quote", "failures.csv", LedgerHeader + LedgerRow.Replace("CT Neck", "\"CT Neck"), "UnterminatedQuote", 2, null),
            SummaryCase("failures CSV", "Subject and StudyDate swapped", "failures.csv", "StudyDate,Subject,AccessionNumber,StudyDescription,StudyInstanceUid\r\n2024-02-01,9434765919,ACC1,CT,1.2.3\r\n", "ColumnOutOfOrder", 1, "Subject"),

            // ---- session exports (Update-IngestFailure's index) ----
            SummaryCase("session export (index)", "unterminated quote in CT.csv", "CT.csv", SessionHeader + "9434765919,2024-02-01,\"ACC1,1.2.3,4\r\n4010232137,2024-02-02,ACC2,1.2.4,1\r\n", "UnterminatedQuote", 2, null, LoadSessions),
            SummaryCase("session export (index)", "unquoted comma in PET.csv", "PET.csv", "Subject,Date,XNAT_PETSESSIONDATA ID,UID,Scans\r\n9434765919,2024-02-01,ACC1,1.2.3,4,5\r\n", "WrongColumnCount", 2, null, LoadSessions),
            SummaryCase("session export (index)", "MR.csv without its header", "MR.csv", "9434765919,2024-02-01,ACC1,Skyra,4\r\n", "HeaderLooksLikeData", 1, "Subject", LoadSessions),

            // ---- failure text ----
            One("failure text", "a plain CSV row among JSON records", "failures.txt", "{\"accessionNumber\":\"A1\",\"id\":\"H1\",\"studyDate\":\"20240201\",\"studyInstanceUid\":\"1.2.3\"}\r\nH2,20240202,A2,CT Neck,1.2.4\r\n", ReadFailureText, "FailureRecordWithoutKeys", 2, null),
            One("failure text", "a CSV export without keys", "failures.txt", "HospitalId,StudyDate,AccessionNumber\r\nH1,2024-02-01,A1\r\nH2,2024-02-02,A2\r\n", ReadFailureText, "FailureRecordWithoutKeys", 2, null),
            One("failure text", "tab-separated values without keys", "failures.txt", "H1\t20240201\tA1\t1.2.3\r\n", ReadFailureText, "FailureRecordWithoutKeys", 1, null),
        };

        public static IEnumerable<object[]> CaseNames => Cases.Select(c => new object[] { c.Kind + ": " + c.Name });

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Each_malformed_input_is_a_located_error_and_changes_nothing(string name)
        {
            var c = Cases.Single(x => x.Kind + ": " + x.Name == name);
            foreach (var culture in new[] { "en-GB", "en-US", "de-DE" })
            {
                using var scope = new CultureScope(culture);
                using var folder = new TempFolder();
                foreach (var file in c.Files) File.WriteAllBytes(Path.Combine(folder.Path, file.Key), file.Value);
                var before = Snapshot(folder.Path);

                var errors = c.Run(folder.Path).ToList();

                Assert.NotEmpty(errors);
                var error = errors[0];
                Assert.Equal((c.Code, Path.Combine(folder.Path, c.BadFile), c.Line, c.Field), (error.Code, error.File, error.Line, error.Field));
                Assert.StartsWith(error.File, error.Message);
                Assert.Equal(before, Snapshot(folder.Path));
            }
        }

        [Fact]
        public void The_table_covers_every_reader()
        {
            var kinds = Cases.Select(c => c.Kind).Distinct().ToList();
            Assert.Equal(new[]
            {
                "cohort", "cohort (update)", "deceased extract", "ID map", "rules CSV", "rules CSV (update)", "review CSV", "ledger", "ledger (add)",
                "session export", "reference dates", "failures CSV", "session export (index)", "failure text",
            }, kinds);
            Assert.True(Cases.Count >= 90, $"{Cases.Count} cases");
            Assert.Equal(Cases.Count, Cases.Select(c => c.Kind + ": " + c.Name).Distinct().Count());
        }

        /// <summary>
        /// Every file in the folder (hidden, .bak and temp files included) with its bytes — except lock files, which
        /// guard the update rather than hold data (where they live and whether they stay is FileLock's business).
        /// </summary>
        private static SortedDictionary<string, string> Snapshot(string folder) =>
            new SortedDictionary<string, string>(Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
                .Where(p => !p.EndsWith(".lock", StringComparison.Ordinal))
                .ToDictionary(p => Path.GetRelativePath(folder, p), p => Convert.ToBase64String(File.ReadAllBytes(p))), StringComparer.Ordinal);
    }
}
