using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.IO
{
    /// <summary>One data record of a CSV file: its fields, the line it starts on, and its raw text (for verbatim copies).</summary>
    internal sealed class CsvRow
    {
        public CsvRow(string[] fields, long line, string raw, int blankLinesBefore)
        {
            Fields = fields;
            Line = line;
            Raw = raw;
            BlankLinesBefore = blankLinesBefore;
        }

        /// <summary>Blank lines between the previous record and this one (kept when the file is rewritten).</summary>
        public int BlankLinesBefore { get; }

        public string[] Fields { get; }
        public long Line { get; }
        /// <summary>The record exactly as read, including its line ending when it had one.</summary>
        public string Raw { get; }

        public string Get(int index) => index >= 0 && index < Fields.Length ? Fields[index] : "";
        public bool IsBlank => Fields.All(string.IsNullOrWhiteSpace);
    }

    /// <summary>
    /// A whole CSV file read with CsvHelper: header, rows with line numbers and raw text. The files this reads
    /// (cohort, deceased extract, rules, review) are a few thousand rows, so holding them is fine.
    /// </summary>
    internal sealed class CsvTable
    {
        private CsvTable(string path, string[] header, List<CsvRow> rows, string rawHeader, bool hadBom)
        {
            Path = path;
            Header = header;
            Rows = rows;
            RawHeader = rawHeader;
            HadBom = hadBom;
        }

        public string Path { get; }
        public string[] Header { get; }
        public string RawHeader { get; }
        public List<CsvRow> Rows { get; }
        public bool HadBom { get; }

        internal static CsvConfiguration Configuration => new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = false,
            // Excel writes blank lines at the end; they carry nothing.
            IgnoreBlankLines = true,
            BadDataFound = null,
        };

        public static CsvTable Read(string path)
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new InputFormatException(path, null, null, "cannot be read: " + ex.Message, ex);
            }
            var hadBom = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;
            var text = new UTF8Encoding(false).GetString(bytes, hadBom ? 3 : 0, bytes.Length - (hadBom ? 3 : 0));
            var rows = new List<CsvRow>();
            string[]? header = null;
            var rawHeader = "";
            using (var reader = new StringReader(text))
            using (var parser = new CsvParser(reader, Configuration))
            {
                long previousRawRow = 0;
                try
                {
                    while (parser.Read())
                    {
                        // RawRow is the line the record ends on; a quoted field may span lines, and blank
                        // lines before the record are skipped, so count back to where it starts.
                        var raw = parser.RawRecord;
                        var line = parser.RawRow - InnerLineBreaks(raw);
                        var blanks = (int)Math.Max(0, line - previousRawRow - 1);
                        previousRawRow = parser.RawRow;
                        var fields = parser.Record ?? new string[0];
                        if (header is null)
                        {
                            header = fields;
                            rawHeader = raw;
                            continue;
                        }
                        rows.Add(new CsvRow(fields, line, raw, blanks));
                    }
                }
                catch (CsvHelperException ex)
                {
                    throw new InputFormatException(path, previousRawRow + 1, null, "is not a readable CSV file: " + ex.Message.Split('\n')[0].Trim(), ex);
                }
            }
            if (header is null) throw new InputFormatException(path, 1, null, "is empty; expected a header row");
            return new CsvTable(path, header, rows, rawHeader, hadBom);
        }

        private static int InnerLineBreaks(string raw)
        {
            var end = raw.Length;
            if (end > 0 && raw[end - 1] == '\n') end--;
            if (end > 0 && raw[end - 1] == '\r') end--;
            var count = 0;
            for (var i = 0; i < end; i++) if (raw[i] == '\n') count++;
            return count;
        }

        /// <summary>Header names compared without case, spaces, underscores or hyphens ("Hospital ID" = "HospitalId").</summary>
        public static string Key(string header) =>
            new string(header.Where(c => !char.IsWhiteSpace(c) && c != '_' && c != '-').ToArray()).ToLowerInvariant();

        /// <summary>The index of the first header matching any of <paramref name="names"/>, or -1.</summary>
        public int Find(params string[] names)
        {
            var keys = new HashSet<string>(names.Select(Key));
            for (var i = 0; i < Header.Length; i++)
                if (keys.Contains(Key(Header[i] ?? ""))) return i;
            return -1;
        }

        public int Require(string field, params string[] names)
        {
            var index = Find(names);
            if (index < 0)
                throw new InputFormatException(Path, 1, field, $"the header has no '{field}' column (found: {string.Join(", ", Header)})");
            return index;
        }

        /// <summary>The line ending the file already uses, so rows we add match the rows we keep.</summary>
        public string NewLine
        {
            get
            {
                foreach (var raw in new[] { RawHeader }.Concat(Rows.Select(r => r.Raw)))
                {
                    if (raw.EndsWith("\r\n", StringComparison.Ordinal)) return "\r\n";
                    if (raw.EndsWith("\n", StringComparison.Ordinal)) return "\n";
                }
                return "\r\n";
            }
        }

        /// <summary>Formats one record with CsvHelper (quoting where needed), without a line ending.</summary>
        public static string Format(IEnumerable<string> fields)
        {
            using var writer = new StringWriter(CultureInfo.InvariantCulture);
            using (var csv = new CsvWriter(writer, new CsvConfiguration(CultureInfo.InvariantCulture) { HasHeaderRecord = false }, leaveOpen: true))
            {
                foreach (var field in fields) csv.WriteField(field);
                csv.Flush();
            }
            return writer.ToString();
        }
    }
}
