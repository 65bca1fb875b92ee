using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace HandiImaging.Core.Tests.Rules
{
    /// <summary>How a test cell is stored: each is a way real workbooks hold text.</summary>
    public enum Kind { Shared, Inline, RichShared, Number }

    /// <summary>Writes small workbooks cell by cell, so tests control exactly how each value is stored.</summary>
    public static class TestWorkbook
    {
        public sealed record C(string Reference, string Text, Kind Kind = Kind.Shared);

        public static void Write(string path, params (string Sheet, C[] Cells)[] sheets)
        {
            using var document = SpreadsheetDocument.Create(path, SpreadsheetDocumentType.Workbook);
            var workbookPart = document.AddWorkbookPart();
            workbookPart.Workbook = new Workbook(new Sheets());
            var shared = new List<SharedStringItem>();
            uint id = 1;
            foreach (var (name, cells) in sheets)
            {
                var part = workbookPart.AddNewPart<WorksheetPart>();
                var data = new SheetData();
                foreach (var group in cells.GroupBy(c => uint.Parse(new string(c.Reference.Where(char.IsDigit).ToArray()), CultureInfo.InvariantCulture)).OrderBy(g => g.Key))
                {
                    var row = new Row { RowIndex = group.Key };
                    foreach (var c in group.OrderBy(c => c.Reference.Length).ThenBy(c => c.Reference))
                    {
                        var cell = new Cell { CellReference = c.Reference };
                        switch (c.Kind)
                        {
                            case Kind.Number:
                                cell.CellValue = new CellValue(c.Text);
                                break;
                            case Kind.Inline:
                                cell.DataType = CellValues.InlineString;
                                cell.InlineString = new InlineString(new Text(c.Text) { Space = SpaceProcessingModeValues.Preserve });
                                break;
                            case Kind.RichShared:
                                // Two formatted runs plus a phonetic hint, which is not part of the text.
                                var half = c.Text.Length / 2;
                                shared.Add(new SharedStringItem(
                                    new Run(new RunProperties(new Bold()), new Text(c.Text.Substring(0, half)) { Space = SpaceProcessingModeValues.Preserve }),
                                    new Run(new Text(c.Text.Substring(half)) { Space = SpaceProcessingModeValues.Preserve }),
                                    new PhoneticRun(new Text("ignored")) { BaseTextStartIndex = 0, EndingBaseIndex = 1 }));
                                cell.DataType = CellValues.SharedString;
                                cell.CellValue = new CellValue((shared.Count - 1).ToString(CultureInfo.InvariantCulture));
                                break;
                            default:
                                shared.Add(new SharedStringItem(new Text(c.Text) { Space = SpaceProcessingModeValues.Preserve }));
                                cell.DataType = CellValues.SharedString;
                                cell.CellValue = new CellValue((shared.Count - 1).ToString(CultureInfo.InvariantCulture));
                                break;
                        }
                        row.Append(cell);
                    }
                    data.Append(row);
                }
                part.Worksheet = new Worksheet(data);
                workbookPart.Workbook.Sheets!.Append(new Sheet { Id = workbookPart.GetIdOfPart(part), SheetId = id++, Name = name });
            }
            workbookPart.AddNewPart<SharedStringTablePart>().SharedStringTable = new SharedStringTable(shared);
        }

        /// <summary>Column A from row 1: a header then entries (shared strings).</summary>
        public static C[] Column(params string[] texts) => texts.Select((t, i) => new C("A" + (i + 1).ToString(CultureInfo.InvariantCulture), t)).ToArray();

        /// <summary>All non-empty cell texts of a sheet as "A1=text" (shared and inline strings resolved).</summary>
        public static List<string> Dump(string path, string sheet)
        {
            using var document = SpreadsheetDocument.Open(path, false);
            var wb = document.WorkbookPart!;
            var shared = wb.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToArray() ?? new string[0];
            var s = wb.Workbook.Sheets!.Elements<Sheet>().Single(x => x.Name == sheet);
            var part = (WorksheetPart)wb.GetPartById(s.Id!);
            return part.Worksheet.Descendants<Cell>().Select(c =>
            {
                var text = c.DataType?.Value == CellValues.SharedString ? shared[int.Parse(c.CellValue!.Text, CultureInfo.InvariantCulture)]
                    : c.DataType?.Value == CellValues.InlineString ? c.InlineString!.InnerText : c.CellValue?.Text ?? "";
                return c.CellReference + "=" + text;
            }).ToList();
        }
    }
}
