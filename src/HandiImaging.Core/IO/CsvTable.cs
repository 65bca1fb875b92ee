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
    /// A whole CSV file read with CsvHelper: header, rows with line numbers and raw text, and the encoding it was
    /// written in (<see cref="TextFileEncoding"/>), so an update writes it back the same way. Strict: a stray or
    /// unterminated quote (<see cref="CsvStrict"/>) and a row with more values than the header are errors naming
    /// the line. The files this reads (cohort, deceased extract, ID map, rules, review, ledger) are a few thousand
    /// rows, so holding them is fine.
    /// </summary>
    internal sealed class CsvTable
    {
        private CsvTable(string path, string[] header, long headerLine, List<CsvRow> rows, string rawHeader, DecodedText encoding)
        {
            Path = path;
            Header = header;
            HeaderLine = headerLine;
            Rows = rows;
            RawHeader = rawHeader;
            Encoding = encoding;
        }

        public string Path { get; }
        public string[] Header { get; }
        /// <summary>The line the header is on (blank lines before it are skipped).</summary>
        public long HeaderLine { get; }
        public string RawHeader { get; }
        public List<CsvRow> Rows { get; }
        /// <summary>The file's encoding (and byte-order mark), to write it back with.</summary>
        public DecodedText Encoding { get; }
        public bool HadBom => Encoding.Preamble.Length > 0;

        public static CsvTable Read(string path) => Parse(TextFileEncoding.Read(path), path);

        /// <summary>Reads CSV text the caller already decoded; <paramref name="path"/> names it in errors.</summary>
        public static CsvTable Read(TextReader reader, string path) =>
            Parse(new DecodedText(reader.ReadToEnd(), new UTF8Encoding(false), new byte[0], "text"), path);

        private static CsvTable Parse(DecodedText decoded, string path)
        {
            var rows = new List<CsvRow>();
            string[]? header = null;
            long headerLine = 1;
            var rawHeader = "";
            InputFormatException? tooWide = null;
            using (var reader = new StringReader(decoded.Text))
            using (var parser = new CsvParser(reader, CsvStrict.Configuration(path)))
            {
                long previousRawRow = 0;
                try
                {
                    while (parser.Read())
                    {
                        var raw = parser.RawRecord;
                        var line = CsvStrict.StartLine(raw, parser.RawRow);
                        var blanks = (int)Math.Max(0, line - previousRawRow - 1);
                        previousRawRow = parser.RawRow;
                        var fields = parser.Record ?? new string[0];
                        CsvStrict.CheckQuotes(raw, line, path, header?.Length ?? 0);
                        if (header is null)
                        {
                            header = fields;
                            headerLine = line;
                            rawHeader = raw;
                            continue;
                        }
                        // Reported by Bind, after the header: a missing header cell explains a wide row better.
                        if (fields.Length > header.Length && tooWide is null) tooWide = CsvStrict.TooWide(path, line, fields.Length, header.Length);
                        rows.Add(new CsvRow(fields, line, raw, blanks));
                    }
                }
                catch (CsvHelperException ex) when (ex.InnerException is InputFormatException inner)
                {
                    throw inner;
                }
                catch (CsvHelperException ex)
                {
                    throw new InputFormatException(path, previousRawRow + 1, null, "is not a readable CSV file: " + ex.Message.Split('\n')[0].Trim(), ex) { Code = "UnreadableCsv" };
                }
            }
            if (header is null) throw new InputFormatException(path, 1, null, "is empty; expected a header row") { Code = "EmptyFile" };
            return new CsvTable(path, header, headerLine, rows, rawHeader, decoded) { _tooWide = tooWide };
        }

        private InputFormatException? _tooWide;

        /// <summary>
        /// Checks the header against <paramref name="schema"/> (see <see cref="CsvSchema.Bind"/>), then that no row
        /// is wider than the header (an unquoted comma would shift its cells).
        /// </summary>
        public CsvHeader Bind(CsvSchema schema)
        {
            var header = schema.Bind(Path, Header, HeaderLine);
            if (_tooWide != null) throw _tooWide;
            return header;
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
