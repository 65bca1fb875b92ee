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
                var parser = args.Context.Parser;
                var line = parser is null ? (long?)null : StartLine(parser.RawRecord ?? "", parser.RawRow);
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
        /// holds a quote that never closes, or a quoted value spanning lines that themselves look like whole records
        /// (<paramref name="columns"/> or more values) — a stray quote paired with a later one.
        /// </summary>
        public static void CheckQuotes(string raw, long startLine, string path, int columns, char delimiter = ',')
        {
            if (raw.IndexOf('"') < 0) return;
            var atFieldStart = true;
            var inQuotes = false;
            var openedAt = -1;
            var delimitersOnInnerLine = 0;
            var suspicious = false;
            for (var i = 0; i < raw.Length; i++)
            {
                var c = raw[i];
                if (inQuotes)
                {
                    if (c == '"')
                    {
                        if (i + 1 < raw.Length && raw[i + 1] == '"') { i++; continue; }
                        inQuotes = false;
                        if (suspicious) break;
                        continue;
                    }
                    if (c == delimiter) delimitersOnInnerLine++;
                    else if (c == '\n')
                    {
                        if (columns > 1 && delimitersOnInnerLine >= columns - 1) suspicious = true;
                        delimitersOnInnerLine = 0;
                    }
                    continue;
                }
                if (c == '"' && atFieldStart)
                {
                    inQuotes = true;
                    openedAt = i;
                    delimitersOnInnerLine = 0;
                    continue;
                }
                atFieldStart = c == delimiter || c == '\n' || c == '\r';
            }
            if (!inQuotes && !suspicious) return;
            var line = startLine + InnerLineBreaks(raw.Substring(0, openedAt + 1));
            var problem = inQuotes
                ? "a quote opens a value here and never closes, so the rest of the file would be read as one value; close the quote or remove it"
                : "a quote opens a value here and closes only several lines later, taking in lines that look like whole rows; check for a missing or stray quote";
            throw new InputFormatException(path, line, null, problem) { Code = "UnterminatedQuote" };
        }

        private static readonly char[] LineBreaks = { '\r', '\n' };

        /// <summary>
        /// Reads the next record of a streamed file (too large to hold as a <see cref="CsvTable"/>), checking its
        /// quotes: an unclosed quote swallows everything after it into the record's last value, so only a record
        /// spanning lines, or whose last value holds a line break, needs its raw text checked. A file that turns
        /// out not to be UTF-8 after its first megabyte is an error, not replacement characters.
        /// </summary>
        public static bool Read(CsvParser parser, string path, long previousEnd, int columns)
        {
            bool more;
            try { more = parser.Read(); }
            catch (System.Text.DecoderFallbackException ex)
            {
                throw new InputFormatException(path, previousEnd + 1, null,
                    "is not valid UTF-8 past its first megabyte (part of it is in another encoding); save the whole file as UTF-8", ex) { Code = "InvalidEncoding" };
            }
            if (more && (parser.RawRow != previousEnd + 1 || (parser.Count > 0 && parser[parser.Count - 1].IndexOfAny(LineBreaks) >= 0)))
                CheckQuotes(parser.RawRecord, StartLine(parser.RawRecord, parser.RawRow), path, columns);
            return more;
        }

        /// <summary>A row with a value beyond the header's columns (an unquoted comma) would shift its cells: an error.</summary>
        public static void CheckWidth(CsvParser parser, string path, long line, int columns)
        {
            if (parser.Count <= columns) return;
            for (var f = columns; f < parser.Count; f++)
            {
                if (parser[f].Trim().Length == 0) continue;
                throw new InputFormatException(path, line, null,
                    $"the row has {parser.Count.ToString(CultureInfo.InvariantCulture)} values but the header has {columns.ToString(CultureInfo.InvariantCulture)} columns; check for an unquoted comma") { Code = "WrongColumnCount" };
            }
        }
    }
}
