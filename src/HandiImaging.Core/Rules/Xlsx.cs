using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Rules
{
    /// <summary>One worksheet row as text: the sheet row number and the cells by zero-based column.</summary>
    internal sealed class XlsxRow
    {
        public XlsxRow(long number, Dictionary<int, XlsxCell> cells)
        {
            Number = number;
            Cells = cells;
        }

        public long Number { get; }
        /// <summary>"B7": the reference of this row's cell in <paramref name="column"/>.</summary>
        public string Reference(int column) => Xlsx.ColumnName(column) + Number.ToString(CultureInfo.InvariantCulture);
        public Dictionary<int, XlsxCell> Cells { get; }
        public string Text(int column) => column >= 0 && Cells.TryGetValue(column, out var cell) ? cell.Text : "";
        public XlsxCell? Cell(int column) => column >= 0 && Cells.TryGetValue(column, out var cell) ? cell : null;
    }

    /// <summary>A cell's text as Excel shows it for text, and the stored value for numbers (no culture applied).</summary>
    internal sealed class XlsxCell
    {
        public XlsxCell(string text, bool isNumber, bool isError = false)
        {
            Text = text;
            IsNumber = isNumber;
            IsError = isError;
        }

        public string Text { get; }
        public bool IsNumber { get; }
        /// <summary>An Excel error value (#N/A, #REF!, #VALUE! …): the text is the error, never a value to use.</summary>
        public bool IsError { get; }
    }

    /// <summary>Small helpers over DocumentFormat.OpenXml for the rules workbook and the review workbook.</summary>
    internal static class Xlsx
    {
        /// <summary>
        /// OpenXml packages need a readable, seekable stream to write into; AtomicFile's temp stream is write-only,
        /// so the workbook is built in memory and copied.
        /// </summary>
        public static void WriteVia(Stream target, Action<Stream> write)
        {
            if (target.CanRead && target.CanSeek && target.CanWrite)
            {
                write(target);
                return;
            }
            using var memory = new MemoryStream();
            write(memory);
            memory.Position = 0;
            memory.CopyTo(target);
        }

        /// <summary>
        /// Opens a workbook for reading even while Excel has it open. A file that is not an .xlsx package (an .xls
        /// or a CSV renamed, a truncated download) is an <see cref="InputFormatException"/> saying what it is.
        /// </summary>
        public static SpreadsheetDocument OpenRead(string path, out Stream stream)
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            try
            {
                var head = new byte[8];
                var read = 0;
                int n;
                while (read < head.Length && (n = stream.Read(head, read, head.Length - read)) > 0) read += n;
                stream.Position = 0;
                var notPackage = NotAPackage(head, read);
                if (notPackage != null) throw new InputFormatException(path, null, null, notPackage);
                var document = SpreadsheetDocument.Open(stream, false);
                if (document.WorkbookPart?.Workbook is null)
                {
                    document.Dispose();
                    throw new InputFormatException(path, null, null, "is not a readable .xlsx workbook: it has no workbook part. Open it in Excel and save it as 'Excel Workbook (*.xlsx)'");
                }
                return document;
            }
            catch (Exception ex) when (IsCorruption(ex))
            {
                stream.Dispose();
                var missing = MissingPart(path);
                throw new InputFormatException(path, null, null, (missing != null
                    ? $"is a damaged .xlsx workbook: its part {missing} is missing"
                    : "is not a readable .xlsx workbook (" + ex.Message.TrimEnd('.') + ")") + ". Open it in Excel and save it as 'Excel Workbook (*.xlsx)'", ex);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }

        /// <summary>The first part a relationship points to that the package does not hold, e.g. "xl/sharedStrings.xml (the shared strings)".</summary>
        private static string? MissingPart(string path)
        {
            try
            {
                using var zip = new System.IO.Compression.ZipArchive(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), System.IO.Compression.ZipArchiveMode.Read);
                var names = new HashSet<string>(zip.Entries.Select(e => e.FullName), StringComparer.OrdinalIgnoreCase);
                foreach (var rels in zip.Entries.Where(e => e.FullName.EndsWith(".rels", StringComparison.OrdinalIgnoreCase)).ToList())
                {
                    // "xl/_rels/workbook.xml.rels" describes parts relative to "xl/".
                    var folder = rels.FullName.Contains("_rels/") ? rels.FullName.Substring(0, rels.FullName.LastIndexOf("_rels/", StringComparison.Ordinal)) : "";
                    using var reader = rels.Open();
                    var xml = System.Xml.Linq.XDocument.Load(reader);
                    foreach (var relation in xml.Root?.Elements() ?? Enumerable.Empty<System.Xml.Linq.XElement>())
                    {
                        if ((string?)relation.Attribute("TargetMode") == "External") continue;
                        var target = (string?)relation.Attribute("Target");
                        if (string.IsNullOrEmpty(target)) continue;
                        var full = target!.StartsWith("/", StringComparison.Ordinal) ? target.Substring(1) : folder + target;
                        if (names.Contains(full)) continue;
                        var what = full.EndsWith("sharedStrings.xml", StringComparison.OrdinalIgnoreCase) ? " (the shared strings)"
                            : full.IndexOf("worksheets/", StringComparison.OrdinalIgnoreCase) >= 0 ? " (a sheet)"
                            : full.EndsWith("workbook.xml", StringComparison.OrdinalIgnoreCase) ? " (the workbook)"
                            : full.EndsWith("styles.xml", StringComparison.OrdinalIgnoreCase) ? " (the styles)" : "";
                        return full + what;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException || ex is InvalidDataException || ex is System.Xml.XmlException || ex is UnauthorizedAccessException)
            {
            }
            return null;
        }

        /// <summary>What a file that is not a zip package is, from its first bytes; null for a zip package.</summary>
        private static string? NotAPackage(byte[] head, int length)
        {
            if (length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return null;
            if (length == 0) return "is empty (0 bytes), not an .xlsx workbook";
            if (length >= 8 && head[0] == 0xD0 && head[1] == 0xCF && head[2] == 0x11 && head[3] == 0xE0)
                return "is an old-style Excel 97-2003 workbook (.xls, or an encrypted workbook) with an .xlsx name; open it in Excel and save it as 'Excel Workbook (*.xlsx)', without a password";
            var text = true;
            for (var i = 0; i < length; i++)
                if (head[i] < 0x09 || (head[i] > 0x0D && head[i] < 0x20)) text = false;
            return text
                ? "is a text file (CSV?) with an .xlsx name, not a workbook; give it its real extension (.csv) or save it from Excel as 'Excel Workbook (*.xlsx)'"
                : "is not an .xlsx workbook (it is not a zip package); open it in Excel and save it as 'Excel Workbook (*.xlsx)'";
        }

        /// <summary>The exceptions DocumentFormat.OpenXml and System.IO.Packaging raise for a damaged package or part.</summary>
        public static bool IsCorruption(Exception ex) =>
            ex is OpenXmlPackageException || ex is InvalidDataException || ex is FileFormatException || ex is System.Xml.XmlException ||
            ex is InvalidOperationException || ex is NotSupportedException || ex is ArgumentException || ex is FormatException ||
            ex is KeyNotFoundException || (ex is IOException && !(ex is FileNotFoundException) && !(ex is DirectoryNotFoundException));

        private const string StrictNamespace = "http://purl.oclc.org/ooxml/spreadsheetml/main";

        /// <summary>
        /// The workbook's sheets by name (a sheet whose content is missing has a null part, an error only when that
        /// sheet is needed). Strict Open XML, which uses other namespaces, is an error saying how to re-save it.
        /// </summary>
        public static List<(string Name, WorksheetPart Part)> ReadSheets(string path, WorkbookPart workbook)
        {
            List<Sheet> sheets;
            try { sheets = workbook.Workbook.Sheets?.Elements<Sheet>().ToList() ?? new List<Sheet>(); }
            catch (Exception ex) when (IsCorruption(ex))
            {
                throw new InputFormatException(path, null, null, "its list of sheets (xl/workbook.xml) cannot be read (" + ex.Message.TrimEnd('.') + "); open it in Excel and save it again", ex);
            }
            if (sheets.Count == 0)
            {
                if (workbook.Workbook.OuterXml.Contains(StrictNamespace))
                    throw new InputFormatException(path, null, null, "is saved as 'Strict Open XML Spreadsheet', which cannot be read; open it in Excel and save it as 'Excel Workbook (*.xlsx)'");
                throw new InputFormatException(path, null, null, "has no sheets");
            }
            var result = new List<(string, WorksheetPart)>();
            foreach (var sheet in sheets)
            {
                var name = sheet.Name?.Value ?? "";
                OpenXmlPart? part = null;
                try { if (sheet.Id?.Value is string id) part = workbook.GetPartById(id); }
                catch (ArgumentOutOfRangeException) { }
                result.Add((name, (part as WorksheetPart)!));
            }
            return result;
        }

        /// <summary>The part of a sheet that is needed; a sheet whose content is missing from the package is an error.</summary>
        public static WorksheetPart Require(string path, (string Name, WorksheetPart Part) sheet) =>
            sheet.Part ?? throw InputFormatException.InWorkbook(path, sheet.Name, null, null,
                "the sheet's content is missing from the file (the workbook is damaged); open it in Excel and save it again");

        /// <summary>The shared-string table; null when the workbook has none.</summary>
        public static string[]? SharedStrings(string path, WorkbookPart workbook)
        {
            try
            {
                var table = workbook.SharedStringTablePart?.SharedStringTable;
                return table?.Elements<SharedStringItem>().Select(TextOf).ToArray();
            }
            catch (Exception ex) when (IsCorruption(ex))
            {
                throw new InputFormatException(path, null, null, "its shared strings (xl/sharedStrings.xml) cannot be read (" + ex.Message.TrimEnd('.') + "); open it in Excel and save it again", ex);
            }
        }

        /// <summary>The shared strings for writing back (the file is ours to rewrite; damage was reported on reading).</summary>
        public static string[] SharedStrings(WorkbookPart workbook) =>
            workbook.SharedStringTablePart?.SharedStringTable?.Elements<SharedStringItem>().Select(TextOf).ToArray() ?? new string[0];

        /// <summary>Text of a shared-string item or inline string: plain text, or rich-text runs joined; phonetic hints left out.</summary>
        public static string TextOf(OpenXmlElement item)
        {
            var builder = new StringBuilder();
            foreach (var child in item.ChildElements)
            {
                if (child is Text text) builder.Append(text.Text);
                else if (child is Run run) builder.Append(run.Text?.Text);
            }
            return builder.ToString();
        }

        /// <summary>
        /// The rows of a worksheet that have at least one cell, as text. A row or cell without its reference is
        /// the one after the previous (as the format says); a reference out of order or malformed, a shared string
        /// that does not exist or a cell type that is not defined is an error naming the sheet and cell.
        /// </summary>
        public static List<XlsxRow> Rows(string path, string sheet, WorksheetPart part, string[]? sharedStrings)
        {
            SheetData? data;
            try { data = part.Worksheet.GetFirstChild<SheetData>(); }
            catch (Exception ex) when (IsCorruption(ex))
            {
                throw InputFormatException.InWorkbook(path, sheet, null, null, "the sheet cannot be read (" + ex.Message.TrimEnd('.') + "); open the workbook in Excel and save it again", ex);
            }
            var result = new List<XlsxRow>();
            if (data is null) return result;
            long previous = 0;
            try
            {
                foreach (var row in data.Elements<Row>())
                {
                    var number = row.RowIndex?.Value is uint r ? r : previous + 1;
                    if (number <= previous || number < 1)
                        throw InputFormatException.InWorkbook(path, sheet, null, number,
                            $"row {N(number)} comes after row {N(previous)}; rows out of order mean a damaged workbook. Open it in Excel and save it again");
                    previous = number;
                    var cells = new Dictionary<int, XlsxCell>();
                    var position = 0;
                    foreach (var cell in row.Elements<Cell>())
                    {
                        var column = position;
                        if (cell.CellReference?.Value is string reference)
                        {
                            if (!TryParseReference(reference, out column, out var cellRow) || cellRow != number)
                                throw InputFormatException.InWorkbook(path, sheet, reference, number,
                                    $"'{reference}' is not a cell of row {N(number)}; the workbook is damaged. Open it in Excel and save it again");
                            if (column < position)
                                throw InputFormatException.InWorkbook(path, sheet, reference, number, "the cells of this row are out of order; the workbook is damaged. Open it in Excel and save it again");
                        }
                        position = column + 1;
                        var value = Value(path, sheet, ColumnName(column) + N(number), number, cell, sharedStrings);
                        if (value != null) cells[column] = value;
                    }
                    if (cells.Count > 0) result.Add(new XlsxRow(number, cells));
                }
            }
            catch (Exception ex) when (IsCorruption(ex))
            {
                throw InputFormatException.InWorkbook(path, sheet, null, previous == 0 ? (long?)null : previous,
                    $"the sheet cannot be read after row {N(previous)} ({ex.Message.TrimEnd('.')}); open the workbook in Excel and save it again", ex);
            }
            return result;
        }

        private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

        /// <summary>"AB12" → column 27 (zero-based), row 12; false for anything that is not a cell reference.</summary>
        public static bool TryParseReference(string reference, out int column, out long row)
        {
            column = -1;
            row = 0;
            var i = 0;
            var index = 0;
            while (i < reference.Length && i < 3 && reference[i] >= 'A' && reference[i] <= 'Z') index = index * 26 + (reference[i++] - 'A' + 1);
            if (i == 0 || i == reference.Length) return false;
            if (!long.TryParse(reference.Substring(i), NumberStyles.None, CultureInfo.InvariantCulture, out row) || row < 1 || row > 1048576) return false;
            column = index - 1;
            return column < 16384;
        }

        private static XlsxCell? Value(string path, string sheet, string at, long row, Cell cell, string[]? sharedStrings)
        {
            var raw = cell.CellValue?.Text;
            var type = cell.DataType?.Value;
            if (type == CellValues.SharedString)
            {
                if (raw is null) return null;
                if (sharedStrings is null)
                    throw InputFormatException.InWorkbook(path, sheet, at, row, "the cell refers to the workbook's shared strings, but the file has none (xl/sharedStrings.xml is missing); the workbook is damaged. Open it in Excel and save it again");
                if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= sharedStrings.Length)
                    throw InputFormatException.InWorkbook(path, sheet, at, row, $"the cell refers to shared string {raw}, which the workbook does not have ({N(sharedStrings.Length)} strings); the workbook is damaged. Open it in Excel and save it again");
                return new XlsxCell(sharedStrings[index], false);
            }
            if (type == CellValues.InlineString)
                return cell.InlineString is InlineString inline ? new XlsxCell(TextOf(inline), false) : raw is null ? null : new XlsxCell(raw, false);
            if (raw is null) return null;
            if (type == CellValues.Boolean) return new XlsxCell(raw == "1" ? "TRUE" : "FALSE", false);
            if (type == CellValues.Error) return new XlsxCell(raw, false, isError: true);
            if (type == CellValues.String || type == CellValues.Date) return new XlsxCell(raw, false);
            // A number: the stored invariant text ("70450", "1.5"), never formatted through a culture.
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                throw InputFormatException.InWorkbook(path, sheet, at, row, $"the cell is stored as a number but holds '{raw}'; the workbook is damaged. Open it in Excel and save it again");
            return new XlsxCell(raw, true);
        }

        /// <summary>"AB12" → 27 (zero-based).</summary>
        public static int ColumnIndex(string reference)
        {
            var index = 0;
            foreach (var c in reference)
            {
                var upper = char.ToUpperInvariant(c);
                if (upper < 'A' || upper > 'Z') break;
                index = index * 26 + (upper - 'A' + 1);
            }
            return index - 1;
        }

        /// <summary>27 → "AB".</summary>
        public static string ColumnName(int index)
        {
            var name = "";
            for (var n = index + 1; n > 0; n = (n - 1) / 26) name = (char)('A' + (n - 1) % 26) + name;
            return name;
        }

        public static Cell TextCell(int column, long row, string text) => new Cell(new InlineString(new Text(text) { Space = SpaceProcessingModeValues.Preserve }))
        {
            CellReference = ColumnName(column) + row.ToString(CultureInfo.InvariantCulture),
            DataType = CellValues.InlineString,
        };

        public static Cell NumberCell(int column, long row, long value) => new Cell(new CellValue(value.ToString(CultureInfo.InvariantCulture)))
        {
            CellReference = ColumnName(column) + row.ToString(CultureInfo.InvariantCulture),
            DataType = CellValues.Number,
        };

        /// <summary>A date cell's value: yyyy-MM-dd or dd/MM/yyyy text, or an Excel serial number when someone typed a date.</summary>
        /// <exception cref="InputFormatException">The cell holds something else (other text, an error value).</exception>
        public static DateTime? DateOf(string path, string sheet, XlsxRow row, int column)
        {
            var cell = row.Cell(column);
            if (cell is null || string.IsNullOrWhiteSpace(cell.Text)) return null;
            var at = row.Reference(column);
            if (cell.IsError) throw InputFormatException.InWorkbook(path, sheet, at, row.Number, $"the cell holds the Excel error {cell.Text}, not a date; fix or clear it");
            if (cell.IsNumber && double.TryParse(cell.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial >= 1 && serial < 2958466)
                return DateTime.FromOADate(serial).Date;
            if (!cell.IsNumber && DateValue.TryParseUser(cell.Text, out var date)) return date;
            throw InputFormatException.InWorkbook(path, sheet, at, row.Number, $"'{cell.Text.Trim()}' is not a date; write it as yyyy-MM-dd or dd/MM/yyyy");
        }

        /// <summary>A text cell's value; an Excel error value (#N/A …) is an error naming the cell, never text to use.</summary>
        public static string TextOf(string path, string sheet, XlsxRow row, int column)
        {
            var cell = row.Cell(column);
            if (cell is null) return "";
            if (cell.IsError) throw InputFormatException.InWorkbook(path, sheet, row.Reference(column), row.Number, $"the cell holds the Excel error {cell.Text}; fix it or clear the cell");
            return cell.Text;
        }

        /// <summary>A stylesheet with the default style (0) and bold (1): enough for a header row.</summary>
        public static Stylesheet MinimalStylesheet() => new Stylesheet(
            new Fonts(new Font(), new Font(new Bold())) { Count = 2 },
            new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 })) { Count = 2 },
            new Borders(new Border()) { Count = 1 },
            new CellStyleFormats(new CellFormat()) { Count = 1 },
            new CellFormats(new CellFormat(), new CellFormat { FontId = 1, ApplyFont = true }) { Count = 2 });
    }
}
