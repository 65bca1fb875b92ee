using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using DocumentFormat.OpenXml.Packaging;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Core.Rules
{
    /// <summary>What reading a rules file gave: the rule set, and rows that could not be read (skipped).</summary>
    public sealed class StudyRuleLoad
    {
        public StudyRuleLoad(StudyRuleSet ruleSet, IReadOnlyList<InputFormatException> errors)
        {
            RuleSet = ruleSet;
            Errors = errors;
        }

        public StudyRuleSet RuleSet { get; }
        public IReadOnlyList<InputFormatException> Errors { get; }
        /// <summary>How a rules CSV was decoded (for Verbose); empty for a workbook.</summary>
        public string Encoding { get; init; } = "";
    }

    /// <summary>
    /// Reads the include/exclude list from either of its two forms.
    /// <list type="bullet">
    /// <item>The clinicians' workbook (.xlsx) as it is: sheets <c>INCLUDE</c> and <c>EXCLUDE</c> (names
    /// case-insensitive), each with a header cell <c>Study Description</c> (rows above it are ignored) and
    /// optionally <c>Decided By</c>, <c>Decided On</c>, <c>Note</c>. Every other sheet (the cover sheet) is
    /// ignored. Empty cells are not rules; <c>(blank)</c> is the rule for an empty description.</item>
    /// <item>A CSV rules file with header <c>Description, Decision, DecidedBy, DecidedOn, Note</c>; Decision is
    /// Include or Exclude, DecidedOn is yyyy-MM-dd.</item>
    /// </list>
    /// </summary>
    public static class StudyRuleFile
    {
        public const string IncludeSheet = "INCLUDE";
        public const string ExcludeSheet = "EXCLUDE";
        public const string DescriptionHeader = "Study Description";
        public const string DecidedByHeader = "Decided By";
        public const string DecidedOnHeader = "Decided On";
        public const string NoteHeader = "Note";

        /// <summary>The CSV rules file's columns, in order.</summary>
        public static readonly string[] CsvColumns = { "Description", "Decision", "DecidedBy", "DecidedOn", "Note" };

        internal static readonly CsvColumn DescriptionColumn = new CsvColumn("Description", true, "StudyDescription");
        internal static readonly CsvColumn DecisionColumn = new CsvColumn("Decision", true);
        internal static readonly CsvColumn DecidedByColumn = new CsvColumn("DecidedBy", false);
        internal static readonly CsvColumn DecidedOnColumn = new CsvColumn("DecidedOn", false);
        internal static readonly CsvColumn NoteColumn = new CsvColumn("Note", false, "Notes");

        /// <summary>The rules CSV's header (Description and Decision required).</summary>
        public static readonly CsvSchema CsvSchema = new CsvSchema("rules CSV", DescriptionColumn, DecisionColumn, DecidedByColumn, DecidedOnColumn, NoteColumn);

        /// <summary>The rules CSV's header when rules are added to it: who decided and when must have a column to go in.</summary>
        public static readonly CsvSchema CsvUpdateSchema = new CsvSchema("rules CSV", DescriptionColumn, DecisionColumn,
            new CsvColumn("DecidedBy", true), new CsvColumn("DecidedOn", true), NoteColumn);

        public static bool IsWorkbook(string path) => string.Equals(System.IO.Path.GetExtension(path), ".xlsx", StringComparison.OrdinalIgnoreCase);

        public static bool IsCsv(string path) => string.Equals(System.IO.Path.GetExtension(path), ".csv", StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// Reads the rules. Throws <see cref="StudyRuleConflictException"/> when a description is on both lists and
        /// <see cref="InputFormatException"/> when the file as a whole is unusable; bad rows are returned in
        /// <see cref="StudyRuleLoad.Errors"/> and skipped.
        /// </summary>
        public static StudyRuleLoad Read(string path)
        {
            if (IsWorkbook(path)) return ReadWorkbook(path);
            if (IsCsv(path)) return ReadCsv(path);
            throw new InputFormatException(path, null, null, "is neither an .xlsx workbook nor a .csv rules file");
        }

        private static StudyRuleLoad ReadWorkbook(string path)
        {
            var rules = new List<StudyRule>();
            var errors = new List<InputFormatException>();
            using (var document = Xlsx.OpenRead(path, out var stream))
            using (stream)
            {
                var workbook = document.WorkbookPart!;
                var sheets = Xlsx.ReadSheets(path, workbook);
                string[]? shared = null;
                var sharedRead = false;
                foreach (var (name, decision) in new[] { (IncludeSheet, StudyDecision.Include), (ExcludeSheet, StudyDecision.Exclude) })
                {
                    var found = sheets.Where(s => string.Equals(s.Name.Trim(), name, StringComparison.OrdinalIgnoreCase)).ToList();
                    if (found.Count == 0)
                        throw new InputFormatException(path, null, name,
                            $"has no sheet named {name} (sheets: {string.Join(", ", sheets.Select(s => s.Name))})");
                    if (found.Count > 1)
                        throw new InputFormatException(path, null, name,
                            $"has {found.Count} sheets named {name} once spaces and case are ignored ({string.Join(", ", found.Select(s => "'" + s.Name + "'"))}); keep one");
                    var sheetName = found[0].Name;
                    var part = Xlsx.Require(path, found[0]);
                    if (!sharedRead)
                    {
                        shared = Xlsx.SharedStrings(path, workbook);
                        sharedRead = true;
                    }
                    var layout = FindLayout(path, sheetName, Xlsx.Rows(path, sheetName, part, shared), out var dataRows);
                    foreach (var row in dataRows)
                    {
                        try
                        {
                            var description = Xlsx.TextOf(path, sheetName, row, layout.Description);
                            if (description.Length == 0)
                            {
                                // Who/when/note with no description is a rule whose description was lost, not nothing.
                                if (row.Cells.Keys.Any(c => c == layout.DecidedBy || c == layout.DecidedOn || c == layout.Note))
                                    throw InputFormatException.InWorkbook(path, sheetName, row.Reference(layout.Description), row.Number,
                                        $"the row has a decision's details but no study description; write {StudyDescription.BlankMarker} for the rule about studies with no description, or clear the row");
                                continue;
                            }
                            rules.Add(new StudyRule
                            {
                                Description = description,
                                Decision = decision,
                                DecidedBy = NullIfEmpty(Xlsx.TextOf(path, sheetName, row, layout.DecidedBy)),
                                DecidedOn = Xlsx.DateOf(path, sheetName, row, layout.DecidedOn),
                                Note = NullIfEmpty(Xlsx.TextOf(path, sheetName, row, layout.Note)),
                                Source = path,
                                Sheet = sheetName,
                                Line = row.Number,
                            });
                        }
                        catch (InputFormatException ex)
                        {
                            errors.Add(ex);
                        }
                    }
                }
            }
            return new StudyRuleLoad(new StudyRuleSet(rules, path), errors);
        }

        /// <summary>Where a rules sheet keeps its columns (zero-based; -1 when absent).</summary>
        internal sealed class SheetLayout
        {
            public long HeaderRow;
            public int Description = -1, DecidedBy = -1, DecidedOn = -1, Note = -1;
            public int LastColumn;
        }

        /// <summary>Finds the header row (the first with a "Study Description" cell); returns the rows below it.</summary>
        internal static SheetLayout FindLayout(string path, string sheet, IEnumerable<XlsxRow> rows, out List<XlsxRow> dataRows)
        {
            SheetLayout? layout = null;
            dataRows = new List<XlsxRow>();
            foreach (var row in rows)
            {
                if (layout != null)
                {
                    dataRows.Add(row);
                    continue;
                }
                foreach (var cell in row.Cells)
                {
                    if (!cell.Value.IsError && HeaderIs(cell.Value.Text, DescriptionHeader))
                    {
                        layout = new SheetLayout { HeaderRow = row.Number, Description = cell.Key, LastColumn = row.Cells.Keys.Max() };
                        break;
                    }
                }
                if (layout is null) continue;
                foreach (var cell in row.Cells)
                {
                    if (HeaderIs(cell.Value.Text, DecidedByHeader)) layout.DecidedBy = cell.Key;
                    else if (HeaderIs(cell.Value.Text, DecidedOnHeader)) layout.DecidedOn = cell.Key;
                    else if (HeaderIs(cell.Value.Text, NoteHeader) || HeaderIs(cell.Value.Text, "Notes")) layout.Note = cell.Key;
                }
            }
            return layout ?? throw new InputFormatException(path, null, sheet, $"sheet {sheet} has no header cell '{DescriptionHeader}'");
        }

        private static bool HeaderIs(string text, string header) => CsvTable.Key(text) == CsvTable.Key(header);

        private static StudyRuleLoad ReadCsv(string path)
        {
            var table = CsvTable.Read(path);
            var header = table.Bind(CsvSchema);
            var descriptionCol = header[DescriptionColumn];
            var decisionCol = header[DecisionColumn];
            var byCol = header[DecidedByColumn];
            var onCol = header[DecidedOnColumn];
            var noteCol = header[NoteColumn];
            var rules = new List<StudyRule>();
            var errors = new List<InputFormatException>();
            foreach (var row in table.Rows)
            {
                if (row.IsBlank) continue;
                var description = row.Get(descriptionCol);
                if (description.Trim().Length == 0)
                {
                    errors.Add(new InputFormatException(path, row.Line, table.Header[descriptionCol],
                        $"the description is empty; write {StudyDescription.BlankMarker} for the rule about studies with no description") { Code = "MissingValue" });
                    continue;
                }
                if (!TryParseDecision(row.Get(decisionCol), out var decision))
                {
                    errors.Add(new InputFormatException(path, row.Line, table.Header[decisionCol],
                        $"decision '{row.Get(decisionCol).Trim()}' is neither Include nor Exclude") { Code = "InvalidDecision" });
                    continue;
                }
                DateTime? decidedOn = null;
                if (onCol >= 0 && row.Get(onCol).Trim().Length > 0)
                {
                    if (!DateValue.TryParseUser(row.Get(onCol), out var on))
                    {
                        errors.Add(new InputFormatException(path, row.Line, table.Header[onCol], DateValue.Problem(row.Get(onCol), "the value")) { Code = "InvalidDate" });
                        continue;
                    }
                    if (DateValue.PastDateProblem(on, DateTime.Today) is { } onProblem)
                    {
                        errors.Add(new InputFormatException(path, row.Line, table.Header[onCol], "DecidedOn " + onProblem) { Code = "DateOutOfRange" });
                        continue;
                    }
                    decidedOn = on;
                }
                rules.Add(new StudyRule
                {
                    Description = description,
                    Decision = decision,
                    DecidedBy = byCol >= 0 ? NullIfEmpty(row.Get(byCol).Trim()) : null,
                    DecidedOn = decidedOn,
                    Note = noteCol >= 0 ? NullIfEmpty(row.Get(noteCol)) : null,
                    Source = path,
                    Line = row.Line,
                });
            }
            return new StudyRuleLoad(new StudyRuleSet(rules, path), errors) { Encoding = table.Encoding.Name };
        }

        /// <summary>Include or Exclude, any case, surrounding spaces ignored.</summary>
        public static bool TryParseDecision(string? text, out StudyDecision decision)
        {
            switch ((text ?? "").Trim().ToUpperInvariant())
            {
                case "INCLUDE": decision = StudyDecision.Include; return true;
                case "EXCLUDE": decision = StudyDecision.Exclude; return true;
                default: decision = StudyDecision.Review; return false;
            }
        }

        private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
    }
}
