using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CsvHelper;
using CsvHelper.Configuration;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Core.Rules
{
    /// <summary>One row of the review list: a description on neither list, with what a clinician needs to decide.</summary>
    public sealed record StudyReviewItem
    {
        /// <summary>The description (white space collapsed; (blank) for empty), as it will go into the rules.</summary>
        public string Description { get; init; } = "";
        /// <summary>How many studies carry it.</summary>
        public int Count { get; init; }
        /// <summary>Modalities seen with it, e.g. "CT, PT".</summary>
        public string Modalities { get; init; } = "";
        public DateTime? FirstDate { get; init; }
        public DateTime? LastDate { get; init; }
        public string ExampleAccession { get; init; } = "";
        /// <summary>Empty until the clinician decides: Include or Exclude.</summary>
        public string Decision { get; init; } = "";
        public string Note { get; init; } = "";
    }

    /// <summary>
    /// Collects the studies that need a clinician's decision into one row per distinct normalised description,
    /// and writes the review file: <c>Description, Count, Modalities, FirstDate, LastDate, ExampleAccession,
    /// Decision, Note</c> (dates yyyy-MM-dd). In .xlsx the Decision column has an Include/Exclude drop-down.
    /// </summary>
    public sealed class StudyReviewBuilder
    {
        public static readonly string[] Columns = { "Description", "Count", "Modalities", "FirstDate", "LastDate", "ExampleAccession", "Decision", "Note" };
        public const string SheetName = "Review";

        private sealed class Entry
        {
            public string Description = "";
            public int Count;
            public readonly SortedSet<string> Modalities = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
            public DateTime? First, Last;
            public string Accession = "";
        }

        private readonly Dictionary<string, Entry> _entries = new Dictionary<string, Entry>(StudyDescription.Comparer);

        /// <summary>Studies skipped because they are dated 2099-01-01 (never done; nothing to decide).</summary>
        public int PlaceholderCount { get; private set; }
        public int StudyCount { get; private set; }

        public void Add(PacsStudy study)
        {
            if (study.StudyDate?.Date == DateValue.Placeholder)
            {
                PlaceholderCount++;
                return;
            }
            StudyCount++;
            var key = StudyDescription.Normalize(study.StudyDescription);
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry { Description = StudyDescription.ToEntry(study.StudyDescription) };
                _entries.Add(key, entry);
            }
            entry.Count++;
            foreach (var modality in study.ModalitiesInStudy)
                if (!string.IsNullOrWhiteSpace(modality)) entry.Modalities.Add(modality.Trim().ToUpperInvariant());
            if (study.StudyDate is DateTime date)
            {
                if (entry.First is null || date < entry.First) entry.First = date.Date;
                if (entry.Last is null || date > entry.Last) entry.Last = date.Date;
            }
            if (entry.Accession.Length == 0 && !string.IsNullOrWhiteSpace(study.AccessionNumber)) entry.Accession = study.AccessionNumber!.Trim();
        }

        /// <summary>The rows, most frequent first (then by description), so the clinician starts where it matters most.</summary>
        public IReadOnlyList<StudyReviewItem> Items() => _entries.Values
            .OrderByDescending(e => e.Count).ThenBy(e => e.Description, StringComparer.OrdinalIgnoreCase).ThenBy(e => e.Description, StringComparer.Ordinal)
            .Select(e => new StudyReviewItem
            {
                Description = e.Description,
                Count = e.Count,
                Modalities = string.Join(", ", e.Modalities),
                FirstDate = e.First,
                LastDate = e.Last,
                ExampleAccession = e.Accession,
            })
            .ToList();

        /// <summary>Writes the review file atomically (.xlsx or .csv by extension); the previous file is kept as .bak.</summary>
        public static void Write(string path, IReadOnlyList<StudyReviewItem> items)
        {
            if (StudyRuleFile.IsWorkbook(path)) AtomicFile.Write(path, stream => Xlsx.WriteVia(stream, s => WriteWorkbook(s, items)));
            else if (StudyRuleFile.IsCsv(path)) AtomicFile.WriteText(path, writer => WriteCsv(writer, items));
            else throw new ArgumentException($"{path}: a review file is .xlsx or .csv.", nameof(path));
        }

        private static string Date(DateTime? date) => date.HasValue ? DateValue.ToIso(date.Value) : "";

        private static string[] Fields(StudyReviewItem item) => new[]
        {
            item.Description, item.Count.ToString(CultureInfo.InvariantCulture), item.Modalities, Date(item.FirstDate), Date(item.LastDate),
            item.ExampleAccession, item.Decision, item.Note,
        };

        private static void WriteCsv(TextWriter writer, IReadOnlyList<StudyReviewItem> items)
        {
            using var csv = new CsvWriter(writer, new CsvConfiguration(CultureInfo.InvariantCulture), leaveOpen: true);
            foreach (var column in Columns) csv.WriteField(column);
            csv.NextRecord();
            foreach (var item in items)
            {
                foreach (var field in Fields(item)) csv.WriteField(field);
                csv.NextRecord();
            }
            csv.Flush();
        }

        private static void WriteWorkbook(Stream stream, IReadOnlyList<StudyReviewItem> items)
        {
            using var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook);
            var workbookPart = document.AddWorkbookPart();
            workbookPart.Workbook = new Workbook();
            workbookPart.AddNewPart<WorkbookStylesPart>().Stylesheet = Xlsx.MinimalStylesheet();
            var sheetPart = workbookPart.AddNewPart<WorksheetPart>();
            var data = new SheetData();
            var header = new Row { RowIndex = 1 };
            for (var c = 0; c < Columns.Length; c++)
            {
                var cell = Xlsx.TextCell(c, 1, Columns[c]);
                cell.StyleIndex = 1;
                header.Append(cell);
            }
            data.Append(header);
            long rowNumber = 1;
            foreach (var item in items)
            {
                rowNumber++;
                var row = new Row { RowIndex = (uint)rowNumber };
                var fields = Fields(item);
                for (var c = 0; c < fields.Length; c++)
                {
                    if (c == 1) row.Append(Xlsx.NumberCell(c, rowNumber, item.Count));
                    else if (fields[c].Length > 0) row.Append(Xlsx.TextCell(c, rowNumber, fields[c]));
                }
                data.Append(row);
            }
            var decisionColumn = Xlsx.ColumnName(Array.IndexOf(Columns, "Decision"));
            var lastRow = Math.Max(2, rowNumber);
            var validation = new DataValidation(new Formula1("\"Include,Exclude\""))
            {
                Type = DataValidationValues.List,
                AllowBlank = true,
                ShowErrorMessage = true,
                ErrorTitle = "Decision",
                Error = "Choose Include or Exclude, or leave it empty to decide later.",
                SequenceOfReferences = new ListValue<StringValue> { InnerText = $"{decisionColumn}2:{decisionColumn}{lastRow.ToString(CultureInfo.InvariantCulture)}" },
            };
            var widths = new double[] { 50, 8, 14, 12, 12, 18, 12, 40 };
            var columns = new Columns(widths.Select((w, i) => new Column { Min = (uint)(i + 1), Max = (uint)(i + 1), Width = w, CustomWidth = true }));
            // Header row frozen so it stays visible while the clinician scrolls.
            var views = new SheetViews(new SheetView(new Pane { VerticalSplit = 1, TopLeftCell = "A2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen })
            { WorkbookViewId = 0 });
            sheetPart.Worksheet = new Worksheet(views, columns, data, new DataValidations(validation) { Count = 1 });
            workbookPart.Workbook.AppendChild(new Sheets(new Sheet { Id = workbookPart.GetIdOfPart(sheetPart), SheetId = 1, Name = SheetName }));
            workbookPart.Workbook.Save();
        }
    }

    /// <summary>One row of a completed review file.</summary>
    public sealed record ReviewDecision
    {
        public string Description { get; init; } = "";
        /// <summary>Include or Exclude; null when the clinician left it empty.</summary>
        public StudyDecision? Decision { get; init; }
        public string? Note { get; init; }
        public string Source { get; init; } = "";
        /// <summary>Sheet row (xlsx) or line (csv).</summary>
        public long Line { get; init; }
        public string Location => (StudyRuleFile.IsWorkbook(Source) ? "row " : "line ") + Line.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Reads a completed review file (.xlsx: the Review sheet, or the first sheet; .csv) by its Description and Decision columns.</summary>
    public static class StudyReviewFile
    {
        /// <summary>The review CSV's header as Update-StudyRule reads it (other columns are ignored).</summary>
        public static readonly CsvSchema ReviewCsvSchema = new CsvSchema("review CSV",
            StudyRuleFile.DescriptionColumn, StudyRuleFile.DecisionColumn, StudyRuleFile.NoteColumn);

        public static List<ReviewDecision> Read(string path, List<InputFormatException> errors)
        {
            var rows = new List<(long Line, string Description, string Decision, string Note, string? Sheet, string? Cell, string? DecisionAt)>();
            if (StudyRuleFile.IsWorkbook(path))
            {
                using var document = Xlsx.OpenRead(path, out var stream);
                using (stream)
                {
                    var workbook = document.WorkbookPart!;
                    var sheets = Xlsx.ReadSheets(path, workbook);
                    var sheet = sheets.FirstOrDefault(s => string.Equals(s.Name.Trim(), StudyReviewBuilder.SheetName, StringComparison.OrdinalIgnoreCase));
                    if (sheet.Name is null) sheet = sheets[0];
                    var all = Xlsx.Rows(path, sheet.Name, Xlsx.Require(path, sheet), Xlsx.SharedStrings(path, workbook));
                    if (all.Count == 0) throw InputFormatException.InWorkbook(path, sheet.Name, "A1", 1, "the review sheet is empty; expected a header row (Description, …, Decision, Note)");
                    var header = all[0];
                    int Find(string name) => header.Cells.Where(c => !c.Value.IsError && CsvTable.Key(c.Value.Text) == CsvTable.Key(name)).Select(c => c.Key).DefaultIfEmpty(-1).First();
                    var d = Find("Description");
                    var dec = Find("Decision");
                    var note = Find("Note");
                    if (d < 0) throw new InputFormatException(path, header.Number, "Description", $"sheet {sheet.Name}: the header (row {header.Number.ToString(CultureInfo.InvariantCulture)}) has no 'Description' column");
                    if (dec < 0) throw new InputFormatException(path, header.Number, "Decision", $"sheet {sheet.Name}: the header (row {header.Number.ToString(CultureInfo.InvariantCulture)}) has no 'Decision' column");
                    foreach (var r in all.Skip(1))
                    {
                        try { rows.Add((r.Number, Xlsx.TextOf(path, sheet.Name, r, d), Xlsx.TextOf(path, sheet.Name, r, dec), Xlsx.TextOf(path, sheet.Name, r, note), sheet.Name, r.Reference(d), r.Reference(dec))); }
                        catch (InputFormatException ex) { errors.Add(ex); }
                    }
                }
            }
            else if (StudyRuleFile.IsCsv(path))
            {
                var table = CsvTable.Read(path);
                var header = table.Bind(ReviewCsvSchema);
                var d = header[StudyRuleFile.DescriptionColumn];
                var dec = header[StudyRuleFile.DecisionColumn];
                var note = header[StudyRuleFile.NoteColumn];
                rows.AddRange(table.Rows.Where(r => !r.IsBlank).Select(r => (r.Line, r.Get(d), r.Get(dec), note >= 0 ? r.Get(note) : "", (string?)null, (string?)table.Header[d], (string?)table.Header[dec])));
            }
            else
            {
                throw new InputFormatException(path, null, null, "is neither an .xlsx nor a .csv review file");
            }

            var decisions = new List<ReviewDecision>();
            foreach (var (line, description, decisionText, note, sheetName, descriptionAt, decisionAt) in rows)
            {
                if (description.Trim().Length == 0 && decisionText.Trim().Length == 0) continue;
                if (description.Trim().Length == 0)
                {
                    // The export writes (blank) for studies with no description; an empty cell is a lost description.
                    var problem = $"the row has a decision ({decisionText.Trim()}) but no description; write {StudyDescription.BlankMarker} for studies with no description, or clear the decision";
                    errors.Add(sheetName is null ? new InputFormatException(path, line, descriptionAt, problem) : InputFormatException.InWorkbook(path, sheetName, descriptionAt, line, problem));
                    continue;
                }
                StudyDecision? decision = null;
                if (decisionText.Trim().Length > 0)
                {
                    if (!StudyRuleFile.TryParseDecision(decisionText, out var parsed))
                    {
                        var problem = $"decision '{decisionText.Trim()}' is neither Include nor Exclude; the row stays under review";
                        errors.Add(sheetName is null ? new InputFormatException(path, line, decisionAt, problem) : InputFormatException.InWorkbook(path, sheetName, decisionAt, line, problem));
                        continue;
                    }
                    decision = parsed;
                }
                decisions.Add(new ReviewDecision
                {
                    Description = description,
                    Decision = decision,
                    Note = note.Trim().Length == 0 ? null : note.Trim(),
                    Source = path,
                    Line = line,
                });
            }
            return decisions;
        }
    }
}
