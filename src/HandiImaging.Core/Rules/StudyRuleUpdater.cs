using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Core.Rules
{
    /// <summary>What writing a clinician's review back into the rules file did (or would do).</summary>
    public sealed class StudyRuleUpdate
    {
        public StudyRuleUpdate(string path, string reviewPath)
        {
            Path = path;
            ReviewPath = reviewPath;
        }

        public string Path { get; }
        public string ReviewPath { get; }
        /// <summary>The new rules, in review order.</summary>
        public List<StudyRule> Added { get; } = new List<StudyRule>();
        /// <summary>Review rows left without a decision: they stay under review.</summary>
        public int UndecidedCount { get; set; }
        /// <summary>Decisions the rules file already holds (same description, same decision).</summary>
        public int AlreadyKnownCount { get; set; }
        /// <summary>Unreadable decisions in the review file (those rows stay under review).</summary>
        public List<InputFormatException> Errors { get; } = new List<InputFormatException>();
        /// <summary>Decisions that contradict a rule (or an earlier review row); never written.</summary>
        public List<InputFormatException> Contradictions { get; } = new List<InputFormatException>();
        public bool Written { get; set; }
    }

    /// <summary>
    /// Writes a completed review into the rules file: each decided row becomes a rule with who decided and when
    /// (yyyy-MM-dd). CSV rules get rows appended; the workbook gets rows appended to INCLUDE/EXCLUDE (adding
    /// <c>Decided By</c>/<c>Decided On</c>/<c>Note</c> header cells when missing), every other sheet and cell kept.
    /// A decision that contradicts an existing rule is reported, not written. Under the file's lock; replaced
    /// atomically with the previous version kept as <c>.bak</c>.
    /// </summary>
    public static class StudyRuleUpdater
    {
        public static StudyRuleUpdate Update(string rulesPath, string reviewPath, string decidedBy, DateTime decidedOn,
            Func<StudyRuleUpdate, bool>? confirm = null, TimeSpan? lockTimeout = null, CancellationToken cancellationToken = default)
        {
            if (string.IsNullOrWhiteSpace(decidedBy)) throw new ArgumentException("Say who decided.", nameof(decidedBy));
            var workbook = StudyRuleFile.IsWorkbook(rulesPath);
            if (!workbook && !StudyRuleFile.IsCsv(rulesPath))
                throw new InputFormatException(rulesPath, null, null, "is neither an .xlsx workbook nor a .csv rules file");

            // Planned first without the lock, so a declined run (-WhatIf) creates nothing, not even the lock file;
            // then planned again under the lock, in case another run changed the rules meanwhile.
            var preview = Plan(rulesPath, reviewPath, decidedBy, decidedOn, workbook);
            if (preview.Added.Count == 0 || (confirm != null && !confirm(preview))) return preview;
            cancellationToken.ThrowIfCancellationRequested();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(rulesPath))!);
            using var fileLock = FileLock.Acquire(rulesPath, lockTimeout, cancellationToken);
            var update = Plan(rulesPath, reviewPath, decidedBy, decidedOn, workbook);
            if (update.Added.Count == 0) return update;
            if (workbook) AppendToWorkbook(rulesPath, update.Added);
            else AppendToCsv(rulesPath, File.Exists(rulesPath), update.Added);
            update.Written = true;
            return update;
        }

        private static StudyRuleUpdate Plan(string rulesPath, string reviewPath, string decidedBy, DateTime decidedOn, bool workbook)
        {
            var exists = File.Exists(rulesPath);
            if (workbook && !exists) throw new FileNotFoundException($"The rules workbook {rulesPath} does not exist.", rulesPath);
            var load = exists ? StudyRuleFile.Read(rulesPath) : null;
            // A rule that cannot be read might be the very one a review row contradicts: fix the file first.
            if (load?.Errors.Count > 0) throw load.Errors[0];
            var existing = load?.RuleSet ?? new StudyRuleSet(Array.Empty<StudyRule>(), rulesPath);

            var update = new StudyRuleUpdate(rulesPath, reviewPath);
            var decisions = StudyReviewFile.Read(reviewPath, update.Errors);
            var pending = new Dictionary<string, (StudyRule Rule, ReviewDecision From)>(StudyDescription.Comparer);
            var contested = new HashSet<string>(StudyDescription.Comparer);
            var order = new List<string>();
            foreach (var row in decisions)
            {
                if (row.Decision is not StudyDecision decision)
                {
                    update.UndecidedCount++;
                    continue;
                }
                var key = StudyDescription.Normalize(row.Description);
                var rule = existing.Find(key);
                if (rule != null)
                {
                    if (rule.Decision == decision) update.AlreadyKnownCount++;
                    else update.Contradictions.Add(new InputFormatException(reviewPath, row.Line, "Decision",
                        $"'{row.Description}' is marked {decision} but the rules already {rule.Decision.ToString().ToLowerInvariant()} it ({rulesPath}, {rule.Location}); change the rule by hand if the clinicians mean it"));
                    continue;
                }
                if (pending.TryGetValue(key, out var earlier))
                {
                    if (earlier.Rule.Decision != decision && contested.Add(key))
                        update.Contradictions.Add(new InputFormatException(reviewPath, row.Line, "Decision",
                            $"'{row.Description}' is marked {decision} but {earlier.From.Location} of the review marks it {earlier.Rule.Decision}; neither is written"));
                    continue;
                }
                order.Add(key);
                pending.Add(key, (new StudyRule
                {
                    Description = StudyDescription.ToEntry(row.Description),
                    Decision = decision,
                    DecidedBy = decidedBy.Trim(),
                    DecidedOn = decidedOn.Date,
                    Note = row.Note,
                    Source = rulesPath,
                    Sheet = workbook ? (decision == StudyDecision.Include ? StudyRuleFile.IncludeSheet : StudyRuleFile.ExcludeSheet) : null,
                }, row));
            }
            // A contradiction inside the review withdraws the first decision too: neither is safe to write.
            foreach (var key in contested) pending.Remove(key);
            update.Added.AddRange(order.Where(pending.ContainsKey).Select(k => pending[k].Rule));
            return update;
        }

        private static void AppendToCsv(string path, bool exists, List<StudyRule> added)
        {
            var builder = new StringBuilder();
            string newLine;
            DecodedText? encoding = null;
            if (exists)
            {
                var table = CsvTable.Read(path);
                encoding = table.Encoding;
                newLine = table.NewLine;
                var header = table.Bind(StudyRuleFile.CsvUpdateSchema);
                var order = StudyRuleFile.CsvUpdateSchema.Columns.Select(c => header[c]).ToArray();
                // The file's own text, decoded as it was written; appended rows go after it, and the whole is
                // encoded back the same way, so the existing rows keep every byte.
                var text = encoding.Text;
                builder.Append(text);
                if (text.Length > 0 && !text.EndsWith("\n", StringComparison.Ordinal)) builder.Append(newLine);
                var width = Math.Max(table.Header.Length, order.Max() + 1);
                foreach (var rule in added)
                {
                    var fields = Enumerable.Repeat("", width).ToArray();
                    var values = Values(rule);
                    for (var i = 0; i < order.Length; i++) if (order[i] >= 0) fields[order[i]] = values[i];
                    builder.Append(CsvTable.Format(fields)).Append(newLine);
                }
            }
            else
            {
                newLine = "\r\n";
                builder.Append(CsvTable.Format(StudyRuleFile.CsvColumns)).Append(newLine);
                foreach (var rule in added) builder.Append(CsvTable.Format(Values(rule))).Append(newLine);
            }
            var bytes = encoding != null ? encoding.Encode(builder.ToString(), path) : AtomicFile.Utf8NoBom.GetBytes(builder.ToString());
            AtomicFile.Write(path, stream => stream.Write(bytes, 0, bytes.Length));
        }

        private static string[] Values(StudyRule rule) => new[]
        {
            rule.Description, rule.Decision.ToString(), rule.DecidedBy ?? "", rule.DecidedOn.HasValue ? DateValue.ToIso(rule.DecidedOn.Value) : "", rule.Note ?? "",
        };

        private static void AppendToWorkbook(string path, List<StudyRule> added)
        {
            var original = File.ReadAllBytes(path);
            using var memory = new MemoryStream();
            memory.Write(original, 0, original.Length);
            memory.Position = 0;
            using (var document = SpreadsheetDocument.Open(memory, true))
            {
                var workbookPart = document.WorkbookPart!;
                var shared = Xlsx.SharedStrings(workbookPart);
                var sheets = Xlsx.ReadSheets(path, workbookPart);
                foreach (var group in added.GroupBy(r => r.Decision))
                {
                    var sheetName = group.Key == StudyDecision.Include ? StudyRuleFile.IncludeSheet : StudyRuleFile.ExcludeSheet;
                    var (name, part) = sheets.First(s => string.Equals(s.Name.Trim(), sheetName, StringComparison.OrdinalIgnoreCase));
                    var rows = Xlsx.Rows(path, name, part, shared);
                    var layout = StudyRuleFile.FindLayout(path, sheetName, rows, out _);
                    var data = part.Worksheet.GetFirstChild<SheetData>()!;
                    var headerRow = data.Elements<Row>().First(r => (r.RowIndex?.Value ?? 0) == layout.HeaderRow);
                    var headerStyle = headerRow.Elements<Cell>().FirstOrDefault(c => c.CellReference?.Value is string reference && Xlsx.ColumnIndex(reference) == layout.Description)?.StyleIndex;
                    var next = layout.LastColumn + 1;
                    int Ensure(int column, string header)
                    {
                        if (column >= 0) return column;
                        var cell = Xlsx.TextCell(next, layout.HeaderRow, header);
                        if (headerStyle != null) cell.StyleIndex = headerStyle.Value;
                        headerRow.Append(cell);
                        return next++;
                    }
                    var byColumn = Ensure(layout.DecidedBy, StudyRuleFile.DecidedByHeader);
                    var onColumn = Ensure(layout.DecidedOn, StudyRuleFile.DecidedOnHeader);
                    var noteColumn = group.Any(r => r.Note != null) ? Ensure(layout.Note, StudyRuleFile.NoteHeader) : layout.Note;

                    var last = data.Elements<Row>().Select(r => (long)(r.RowIndex?.Value ?? 0)).DefaultIfEmpty(0).Max();
                    foreach (var rule in group)
                    {
                        var number = ++last;
                        var cells = new SortedDictionary<int, string>
                        {
                            [layout.Description] = rule.Description,
                            [byColumn] = rule.DecidedBy ?? "",
                            [onColumn] = rule.DecidedOn.HasValue ? DateValue.ToIso(rule.DecidedOn.Value) : "",
                        };
                        if (noteColumn >= 0 && rule.Note != null) cells[noteColumn] = rule.Note;
                        var row = new Row { RowIndex = (uint)number };
                        foreach (var cell in cells) row.Append(Xlsx.TextCell(cell.Key, number, cell.Value));
                        data.Append(row);
                    }
                    // The stored used-range would now be stale; Excel recomputes it when it is absent.
                    part.Worksheet.GetFirstChild<SheetDimension>()?.Remove();
                    part.Worksheet.Save();
                }
            }
            var bytes = memory.ToArray();
            AtomicFile.Write(path, stream => stream.Write(bytes, 0, bytes.Length));
        }
    }
}
