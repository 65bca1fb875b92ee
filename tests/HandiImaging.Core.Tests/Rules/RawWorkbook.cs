using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace HandiImaging.Core.Tests.Rules
{
    /// <summary>
    /// A rules workbook written part by part as raw XML, so a test can damage exactly one thing the way real files
    /// are damaged (a truncated part, a missing one, a bad reference) without any library tidying it up.
    /// </summary>
    public sealed class RawWorkbook
    {
        public const string Main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        public const string Rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

        public readonly Dictionary<string, string> Parts = new Dictionary<string, string>();

        /// <summary>INCLUDE: header Study Description / Decided By / Decided On and one rule (CT Neck); EXCLUDE: one rule (XR Chest).</summary>
        public static RawWorkbook Rules(string includeRows = DefaultInclude, string excludeRows = DefaultExclude, string[]? shared = null)
        {
            var book = new RawWorkbook();
            book.Parts["[Content_Types].xml"] =
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">" +
                "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>" +
                "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>" +
                "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>" +
                "<Override PartName=\"/xl/worksheets/sheet2.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>" +
                "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/></Types>";
            book.Parts["_rels/.rels"] =
                $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{Rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
            book.Parts["xl/workbook.xml"] =
                $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"{Main}\" xmlns:r=\"{Rel}\"><sheets><sheet name=\"INCLUDE\" sheetId=\"1\" r:id=\"rId1\"/><sheet name=\"EXCLUDE\" sheetId=\"2\" r:id=\"rId2\"/></sheets></workbook>";
            book.Parts["xl/_rels/workbook.xml.rels"] =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">" +
                $"<Relationship Id=\"rId1\" Type=\"{Rel}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{Rel}/worksheet\" Target=\"worksheets/sheet2.xml\"/>" +
                $"<Relationship Id=\"rId3\" Type=\"{Rel}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>";
            book.Parts["xl/worksheets/sheet1.xml"] = Sheet(includeRows);
            book.Parts["xl/worksheets/sheet2.xml"] = Sheet(excludeRows);
            book.Parts["xl/sharedStrings.xml"] = SharedStrings(shared ?? DefaultShared);
            return book;
        }

        /// <summary>Shared strings 0-3: Study Description, Decided By, Decided On, CT Neck.</summary>
        public static readonly string[] DefaultShared = { "Study Description", "Decided By", "Decided On", "CT Neck" };

        public const string Header = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>2</v></c></row>";
        public const string DefaultInclude = Header + "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>3</v></c><c r=\"B2\" t=\"inlineStr\"><is><t>Dr A</t></is></c><c r=\"C2\" t=\"inlineStr\"><is><t>2024-01-05</t></is></c></row>";
        public const string DefaultExclude = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>XR Chest</t></is></c></row>";

        public static string Sheet(string rows) => $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"{Main}\"><sheetData>{rows}</sheetData></worksheet>";

        public static string SharedStrings(IEnumerable<string> texts)
        {
            var items = texts.Select(t => $"<si><t xml:space=\"preserve\">{System.Security.SecurityElement.Escape(t)}</t></si>").ToList();
            return $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"{Main}\" count=\"{items.Count}\" uniqueCount=\"{items.Count}\">{string.Concat(items)}</sst>";
        }

        /// <summary>An inline-string cell.</summary>
        public static string Text(string reference, string text) => $"<c r=\"{reference}\" t=\"inlineStr\"><is><t>{System.Security.SecurityElement.Escape(text)}</t></is></c>";

        public void Save(string path)
        {
            using var file = new FileStream(path, FileMode.Create);
            using var zip = new ZipArchive(file, ZipArchiveMode.Create);
            foreach (var part in Parts)
            {
                using var entry = zip.CreateEntry(part.Key).Open();
                var bytes = Encoding.UTF8.GetBytes(part.Value);
                entry.Write(bytes, 0, bytes.Length);
            }
        }

        public byte[] Bytes()
        {
            var temp = Path.GetTempFileName();
            try
            {
                Save(temp);
                return File.ReadAllBytes(temp);
            }
            finally
            {
                File.Delete(temp);
            }
        }
    }
}
