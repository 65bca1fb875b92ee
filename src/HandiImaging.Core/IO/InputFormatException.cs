using System;

namespace HandiImaging.Core.IO
{
    /// <summary>
    /// Bad input in a file the user supplied. The message always names the file, and the line (or row) and
    /// field when they are known, so an admin can open the file and fix it.
    /// </summary>
    public sealed class InputFormatException : Exception
    {
        public InputFormatException(string file, long? line, string? field, string problem, Exception? inner = null)
            : base(Compose(file, line, field, problem), inner)
        {
            File = file;
            Line = line;
            Field = field;
            Problem = problem;
        }

        private InputFormatException(string file, string sheet, string? cell, long? row, string problem, Exception? inner)
            : base(ComposeCell(file, sheet, cell, problem), inner)
        {
            File = file;
            Line = row;
            Field = cell;
            Problem = problem;
            Sheet = sheet;
        }

        /// <summary>Bad input in a workbook: names the file, the sheet and (when known) the cell, as Excel shows them.</summary>
        public static InputFormatException InWorkbook(string file, string sheet, string? cell, long? row, string problem, Exception? inner = null) =>
            new InputFormatException(file, sheet, cell, row, problem, inner);

        /// <summary>"file, sheet INCLUDE, cell A7: problem".</summary>
        public static string ComposeCell(string file, string sheet, string? cell, string problem) =>
            $"{file}, sheet {sheet}{(string.IsNullOrEmpty(cell) ? "" : ", cell " + cell)}: {problem}";

        /// <summary>The workbook sheet, for errors in a workbook (the cell reference is then in <see cref="Field"/>).</summary>
        public string? Sheet { get; }

        public string File { get; }
        public long? Line { get; }
        public string? Field { get; }
        public string Problem { get; }

        /// <summary>
        /// What kind of problem this is, as a stable PascalCase name (<c>UnterminatedQuote</c>, <c>MissingColumn</c>,
        /// <c>InvalidDate</c>, …) that tests and scripts can rely on; <c>InvalidInput</c> when no finer name applies.
        /// </summary>
        public string Code { get; init; } = "InvalidInput";

        /// <summary>"file, line 12, field 'Date': problem" — the location parts that are known.</summary>
        public static string Compose(string file, long? line, string? field, string problem)
        {
            var where = file;
            if (line.HasValue) where += $", line {line.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            if (!string.IsNullOrEmpty(field)) where += $", field '{field}'";
            return $"{where}: {problem}";
        }
    }
}
