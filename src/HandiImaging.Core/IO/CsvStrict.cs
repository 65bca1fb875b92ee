using System;
using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace HandiImaging.Core.IO
{
    /// <summary>
    /// What makes every CSV reader strict: CsvHelper's configuration (a quote where CSV allows none is an error,
    /// not a guess), the line a record starts on, and the check CsvHelper cannot make — a quote that never
    /// closes, which would otherwise swallow the rest of the file (or every line up to the next stray quote)
    /// into one field. Errors name the file and the line the quote opened on.
    /// </summary>
    internal static class CsvStrict
    {
        /// <summary>CsvHelper settings for reading records by hand (no header handling, blank lines skipped).</summary>
        public static CsvConfiguration Configuration(string path, string delimiter = ",") => new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = false,
            Delimiter = delimiter,
            DetectDelimiter = false,
            Mode = CsvMode.RFC4180,
            IgnoreBlankLines = true,
            MissingFieldFound = null,
            BadDataFound = args =>
            {
                // CsvHelper also lands here when the file ends inside a quoted value: say where that quote opened.
                var parser = args.Context.Parser;
                var raw = args.RawRecord ?? parser?.RawRecord ?? "";
                // A file ending inside a quoted value leaves RawRow one past the record's final line break.
                if (parser != null) CheckQuotes(raw, Math.Max(1, parser.RawRow - AllLineBreaks(raw)), path, 0);
                var line = parser is null ? (long?)null : StartLine(raw, parser.RawRow);
                throw new InputFormatException(path, line, null,
                    "a quote is inside a value that does not start with one (CSV allows quotes only around a whole value, doubled inside it); " +
                    "put the value in quotes and double its quote marks, or remove the quote") { Code = "StrayQuote" };
            },
        };

        /// <summary>The line a record starts on: CsvHelper's RawRow is the line it ends on, and a quoted value may span lines.</summary>
        public static long StartLine(string raw, long rawRow) => rawRow - InnerLineBreaks(raw);

        /// <summary>Line breaks inside a record, not counting the one that ends it.</summary>
        public static int InnerLineBreaks(string raw)
        {
            var end = raw.Length;
            if (end > 0 && raw[end - 1] == '\n') end--;
            if (end > 0 && raw[end - 1] == '\r') end--;
            var count = 0;
            for (var i = 0; i < end; i++)
                if (raw[i] == '\n' || (raw[i] == '\r' && (i + 1 == end || raw[i + 1] != '\n'))) count++;
            return count;
        }

        /// <summary>
        /// Throws when <paramref name="raw"/> (one record as CsvHelper read it, starting on <paramref name="startLine"/>)
        /// holds a quote that never closes, or a quoted value spanning lines of which one (after the first) has as
        /// many separators as a whole row of <paramref name="columns"/> values — a stray quote paired with a later
        /// one, swallowing the rows between. A note written over several lines has a few commas, not a row's worth.
        /// </summary>
        public static void CheckQuotes(string raw, long startLine, string path, int columns, char delimiter = ',')
        {
            if (raw.IndexOf('"') < 0) return;
            var atFieldStart = true;
            var inQuotes = false;
            var openedAt = -1;
            var suspiciousOpenedAt = -1;
            var lineStartedInQuotes = false;
            var delimitersOnLine = 0;
            for (var i = 0; i <= raw.Length; i++)
            {
                var end = i == raw.Length;
                var c = end ? '\n' : raw[i];
                if (c == delimiter) delimitersOnLine++;
                if (c == '\n')
                {
                    if (lineStartedInQuotes && columns > 1 && delimitersOnLine >= columns - 1 && suspiciousOpenedAt < 0) suspiciousOpenedAt = openedAt;
                    lineStartedInQuotes = inQuotes;
                    delimitersOnLine = 0;
                }
                if (end) break;
                if (inQuotes)
                {
                    if (c != '"') continue;
                    if (i + 1 < raw.Length && raw[i + 1] == '"') { i++; continue; }
                    inQuotes = false;
                    continue;
                }
                if (c == '"' && atFieldStart)
                {
                    inQuotes = true;
                    openedAt = i;
                    continue;
                }
                atFieldStart = c == delimiter || c == '\n' || c == '\r';
            }
            if (!inQuotes && suspiciousOpenedAt < 0) return;
            var at = inQuotes ? openedAt : suspiciousOpenedAt;
            var line = startLine + InnerLineBreaks(raw.Substring(0, at + 1));
            var problem = inQuotes
                ? "a quote opens a value here and never closes, so the rest of the file would be read as one value; close the quote or remove it"
                : "a quote opens a value here and closes only on a later line, taking in lines that look like whole rows; check for a missing or stray quote";
            throw new InputFormatException(path, line, null, problem) { Code = "UnterminatedQuote" };
        }

        /// <summary>True when <paramref name="raw"/> ends inside a quoted value.</summary>
        private static bool EndsInsideQuotes(string raw)
        {
            var atFieldStart = true;
            var inQuotes = false;
            for (var i = 0; i < raw.Length; i++)
            {
                var c = raw[i];
                if (inQuotes)
                {
                    if (c != '"') continue;
                    if (i + 1 < raw.Length && raw[i + 1] == '"') { i++; continue; }
                    inQuotes = false;
                    continue;
                }
                if (c == '"' && atFieldStart) { inQuotes = true; continue; }
                atFieldStart = c == ',' || c == '\n' || c == '\r';
            }
            return inQuotes;
        }

        /// <summary>Every line break in <paramref name="raw"/>, a final one included.</summary>
        private static int AllLineBreaks(string raw)
        {
            var count = 0;
            for (var i = 0; i < raw.Length; i++)
                if (raw[i] == '\n' || (raw[i] == '\r' && (i + 1 == raw.Length || raw[i + 1] != '\n'))) count++;
            return count;
        }

        private static readonly char[] LineBreaks = { '\r', '\n' };

        /// <summary>
        /// Reads the next record of a streamed file (too large to hold as a <see cref="CsvTable"/>), checking its
        /// quotes: an unclosed quote swallows everything after it into the record's last value, so only a record
        /// spanning lines, or whose last value holds a line break, needs its raw text checked.
        /// </summary>
        public static bool Read(CsvParser parser, string path, long previousEnd, int columns)
        {
            // A file that stops being UTF-8 past its first megabyte fails inside the reader (TextFileEncoding.OpenReader).
            var more = parser.Read();
            if (more && (parser.RawRow != previousEnd + 1 || (parser.Count > 0 && parser[parser.Count - 1].IndexOfAny(LineBreaks) >= 0)))
            {
                var raw = parser.RawRecord;
                // A record the file ends inside (an unclosed quote) leaves RawRow one past its final line break.
                CheckQuotes(raw, EndsInsideQuotes(raw) ? Math.Max(1, parser.RawRow - AllLineBreaks(raw)) : StartLine(raw, parser.RawRow), path, columns);
            }
            return more;
        }

        /// <summary>
        /// A row with more values than the header has columns: an unquoted comma has shifted its cells (even when
        /// the value pushed off the end is empty). Excel writes every row of a sheet, header included, to the same
        /// width, so a row is never legitimately wider than its header; it may be narrower (trailing empty cells).
        /// </summary>
        public static InputFormatException TooWide(string path, long line, int values, int columns) =>
            new InputFormatException(path, line, null,
                $"the row has {values.ToString(CultureInfo.InvariantCulture)} values but the header has {columns.ToString(CultureInfo.InvariantCulture)} columns; " +
                "check for an unquoted comma (put the value in quotes) or a missing header cell") { Code = "WrongColumnCount" };

        /// <summary>Throws <see cref="TooWide"/> for a streamed row wider than the header.</summary>
        public static void CheckWidth(CsvParser parser, string path, long line, int columns)
        {
            if (parser.Count <= columns) return;
            throw TooWide(path, line, parser.Count, columns);
        }
    }
}
