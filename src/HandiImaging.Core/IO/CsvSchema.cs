using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace HandiImaging.Core.IO
{
    /// <summary>One column a file type knows: its name, the other names it goes by, and whether it must be there.</summary>
    public sealed class CsvColumn
    {
        public CsvColumn(string name, bool required, params string[] aliases)
        {
            Name = name;
            Required = required;
            Names = new[] { name }.Concat(aliases).ToArray();
        }

        /// <summary>The name errors use (e.g. <c>HospitalId</c>).</summary>
        public string Name { get; }
        public bool Required { get; }
        /// <summary>Every name the column is recognised by, <see cref="Name"/> first.</summary>
        public IReadOnlyList<string> Names { get; }
    }

    /// <summary>
    /// The header a file type needs, checked the same way for every CSV the module reads: columns by name (case,
    /// spaces, <c>_</c> and <c>-</c> ignored), a missing required column, a column given twice (two cells naming
    /// the same column, or two of its aliases), a header row that is data (the header missing, or below the
    /// data), and a one-column header (the wrong separator). Every error names the file, line 1 and the column.
    /// </summary>
    public sealed class CsvSchema
    {
        public CsvSchema(string fileKind, params CsvColumn[] columns)
        {
            FileKind = fileKind;
            Columns = columns;
        }

        /// <summary>What the file is, for messages ("cohort file", "rules CSV").</summary>
        public string FileKind { get; }
        public IReadOnlyList<CsvColumn> Columns { get; }

        /// <summary>Groups of columns of which at least one must be present (e.g. hospital ID or NHS number).</summary>
        public IReadOnlyList<CsvColumn[]> AnyOf { get; init; } = Array.Empty<CsvColumn[]>();

        /// <summary>
        /// Matches <paramref name="header"/> (found on <paramref name="headerLine"/> of <paramref name="path"/>)
        /// against the schema; returns each column's index (-1 when an optional column is absent).
        /// </summary>
        public CsvHeader Bind(string path, string[] header, long headerLine = 1)
        {
            var expected = string.Join(", ", Columns.Where(c => c.Required).Select(c => c.Name).DefaultIfEmpty(Columns.Count > 0 ? Columns[0].Name : ""));
            var wanted = Columns.Count(c => c.Required) + AnyOf.Count;
            var separator = header.Length != 1 ? null : header[0].IndexOf(';') >= 0 ? "semicolon" : header[0].IndexOf('\t') >= 0 ? "tab" : null;
            if (header.Length == 1 && (wanted > 1 || separator != null))
            {
                throw new InputFormatException(path, headerLine, null,
                    $"the header has one column ('{Short(header[0])}'); a {FileKind} has comma-separated columns {expected}" +
                    (separator is null ? "" : $" (this file looks {separator}-separated; save it as CSV with commas)"))
                { Code = "WrongColumnCount" };
            }
            var indexes = new Dictionary<CsvColumn, int>();
            foreach (var column in Columns)
            {
                var keys = new HashSet<string>(column.Names.Select(CsvTable.Key));
                var found = new List<int>();
                for (var i = 0; i < header.Length; i++)
                    if (keys.Contains(CsvTable.Key(header[i] ?? ""))) found.Add(i);
                if (found.Count > 1)
                    throw new InputFormatException(path, headerLine, column.Name,
                        $"the header names column {column.Name} twice: '{header[found[0]]}' (column {Number(found[0])}) and '{header[found[1]]}' (column {Number(found[1])}); keep one")
                    { Code = "DuplicateColumn" };
                indexes[column] = found.Count == 1 ? found[0] : -1;
            }
            var missing = Columns.Where(c => c.Required && indexes[c] < 0).ToList();
            var missingGroup = AnyOf.FirstOrDefault(g => g.All(c => indexes[c] < 0));
            if (missing.Count > 0 || missingGroup != null)
            {
                var name = missing.Count > 0 ? missing[0].Name : missingGroup![0].Name;
                var what = missing.Count > 0
                    ? $"has no {string.Join(", ", missing.Select(c => c.Name))} column"
                    : $"has none of the columns {string.Join(" or ", missingGroup!.Select(c => c.Name))}";
                if (LooksLikeData(header))
                    throw new InputFormatException(path, headerLine, name,
                        $"line {headerLine.ToString(CultureInfo.InvariantCulture)} holds data, not a header: the header row is missing or not first (a {FileKind} starts with the header {expected})")
                    { Code = "HeaderLooksLikeData" };
                throw new InputFormatException(path, headerLine, name,
                    $"the header {what} (found: {string.Join(", ", header.Select(h => Short(h)))}); a {FileKind} needs {expected}")
                { Code = "MissingColumn" };
            }
            return new CsvHeader(header, indexes);
        }

        /// <summary>
        /// A header row that is really data: a cell that is a date, a number or an NHS-number-like run of digits.
        /// Column names never are (they are words), so this cannot reject a real header.
        /// </summary>
        public static bool LooksLikeData(IEnumerable<string> cells) => cells.Any(cell =>
        {
            var t = (cell ?? "").Trim();
            if (t.Length == 0) return false;
            if (DateValue.TryParseUser(t, out _)) return true;
            var digits = t.Count(char.IsDigit);
            return digits >= 3 && digits * 2 >= t.Length;
        });

        /// <summary>
        /// The header of a file read by position (XNAT's session exports, the reference dates, a failures CSV):
        /// at least <paramref name="columns"/>.Length columns, the first naming the subject and the second a date
        /// (any case and spacing; the other headers differ per export), and not a row of data — so a missing,
        /// swapped or short header, or a wrong separator, is an error naming file, line and column.
        /// </summary>
        public static void CheckPositional(string path, long line, string[] header, string[] columns)
        {
            var expected = string.Join(", ", columns);
            if (LooksLikeData(header.Take(2)))
                throw new InputFormatException(path, line, columns[0],
                    $"line {line.ToString(CultureInfo.InvariantCulture)} holds data, not a header: the header row is missing or not first (expected {expected})") { Code = "HeaderLooksLikeData" };
            if (header.Length == 1)
                throw new InputFormatException(path, line, null,
                    $"the header has one column; expected comma-separated columns {expected} (is the file semicolon- or tab-separated?)") { Code = "WrongColumnCount" };
            if (header.Length < columns.Length)
                throw new InputFormatException(path, line, columns[header.Length],
                    $"the header has {header.Length.ToString(CultureInfo.InvariantCulture)} columns; expected at least {columns.Length.ToString(CultureInfo.InvariantCulture)}: {expected}") { Code = "WrongColumnCount" };
            if (CsvTable.Key(header[0]).IndexOf("subject", StringComparison.Ordinal) < 0)
                throw new InputFormatException(path, line, columns[0], $"column 1 is '{Short(header[0])}'; expected {columns[0]} ({expected})") { Code = "ColumnOutOfOrder" };
            if (columns.Length > 1 && CsvTable.Key(header[1]).IndexOf("date", StringComparison.Ordinal) < 0)
                throw new InputFormatException(path, line, columns[1], $"column 2 is '{Short(header[1])}'; expected {columns[1]} ({expected})") { Code = "ColumnOutOfOrder" };
        }

        private static string Number(int index) => (index + 1).ToString(CultureInfo.InvariantCulture);

        private static string Short(string text) => text.Length <= 40 ? text : text.Substring(0, 40) + "…";
    }

    /// <summary>A header matched against a <see cref="CsvSchema"/>: where each known column is.</summary>
    public sealed class CsvHeader
    {
        private readonly Dictionary<CsvColumn, int> _indexes;

        internal CsvHeader(string[] names, Dictionary<CsvColumn, int> indexes)
        {
            Names = names;
            _indexes = indexes;
        }

        public string[] Names { get; }

        /// <summary>The column's index, or -1 when the file does not have it.</summary>
        public int this[CsvColumn column] => _indexes.TryGetValue(column, out var i) ? i : -1;

        /// <summary>The column's name as the file writes it (for messages), or its schema name when absent.</summary>
        public string NameOf(CsvColumn column) => this[column] >= 0 ? Names[this[column]] : column.Name;
    }
}
