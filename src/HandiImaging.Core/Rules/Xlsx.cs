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
        public Dictionary<int, XlsxCell> Cells { get; }
        public string Text(int column) => column >= 0 && Cells.TryGetValue(column, out var cell) ? cell.Text : "";
        public XlsxCell? Cell(int column) => column >= 0 && Cells.TryGetValue(column, out var cell) ? cell : null;
    }

    /// <summary>A cell's text as Excel shows it for text, and the stored value for numbers (no culture applied).</summary>
    internal sealed class XlsxCell
    {
        public XlsxCell(string text, bool isNumber)
        {
            Text = text;
            IsNumber = isNumber;
        }

        public string Text { get; }
        public bool IsNumber { get; }
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

        /// <summary>Opens a workbook for reading even while Excel has it open.</summary>
        public static SpreadsheetDocument OpenRead(string path, out Stream stream)
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            try { return SpreadsheetDocument.Open(stream, false); }
            catch (Exception ex) when (ex is OpenXmlPackageException || ex is InvalidDataException || ex is FileFormatException || ex is IOException)
            {
                stream.Dispose();
                throw new InputFormatException(path, null, null, "is not a readable .xlsx workbook: " + ex.Message, ex);
            }
        }

        public static string[] SharedStrings(WorkbookPart workbook)
        {
            var table = workbook.SharedStringTablePart?.SharedStringTable;
            if (table is null) return new string[0];
            return table.Elements<SharedStringItem>().Select(TextOf).ToArray();
        }

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

        public static IEnumerable<(Sheet Sheet, WorksheetPart Part)> Sheets(WorkbookPart workbook)
        {
            var sheets = workbook.Workbook.Sheets;
            if (sheets is null) yield break;
            foreach (var sheet in sheets.Elements<Sheet>())
            {
                if (sheet.Id?.Value is string id && workbook.GetPartById(id) is WorksheetPart part) yield return (sheet, part);
            }
        }

        /// <summary>The rows of a worksheet that have at least one cell, as text.</summary>
        public static IEnumerable<XlsxRow> Rows(WorksheetPart part, string[] sharedStrings)
        {
            var data = part.Worksheet.GetFirstChild<SheetData>();
            if (data is null) yield break;
            long previous = 0;
            foreach (var row in data.Elements<Row>())
            {
                var number = row.RowIndex?.Value is uint r ? r : previous + 1;
                previous = number;
                var cells = new Dictionary<int, XlsxCell>();
                var position = 0;
                foreach (var cell in row.Elements<Cell>())
                {
                    var column = cell.CellReference?.Value is string reference ? ColumnIndex(reference) : position;
                    position = column + 1;
                    var value = Value(cell, sharedStrings);
                    if (value != null) cells[column] = value;
                }
                if (cells.Count > 0) yield return new XlsxRow(number, cells);
            }
        }

        private static XlsxCell? Value(Cell cell, string[] sharedStrings)
        {
            var raw = cell.CellValue?.Text;
            var type = cell.DataType?.Value;
            if (type == CellValues.SharedString)
            {
                return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) && index >= 0 && index < sharedStrings.Length
                    ? new XlsxCell(sharedStrings[index], false)
                    : null;
            }
            if (type == CellValues.InlineString)
                return cell.InlineString is InlineString inline ? new XlsxCell(TextOf(inline), false) : raw is null ? null : new XlsxCell(raw, false);
            if (raw is null) return null;
            if (type == CellValues.Boolean) return new XlsxCell(raw == "1" ? "TRUE" : "FALSE", false);
            if (type == CellValues.String || type == CellValues.Error) return new XlsxCell(raw, false);
            // A number: the stored invariant text ("70450", "1.5"), never formatted through a culture.
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

        /// <summary>A date cell's value: yyyy-MM-dd text, or an Excel serial number when someone typed a date.</summary>
        public static DateTime? DateOf(XlsxCell? cell)
        {
            if (cell is null || string.IsNullOrWhiteSpace(cell.Text)) return null;
            if (cell.IsNumber && double.TryParse(cell.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial > 0 && serial < 2958466)
                return DateTime.FromOADate(serial).Date;
            return DateValue.TryParseUser(cell.Text, out var date) ? date : (DateTime?)null;
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
