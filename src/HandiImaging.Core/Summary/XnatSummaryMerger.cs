using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using CsvHelper;
using CsvHelper.Configuration;
using HandiImaging.Core.IO;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Core.Summary
{
    /// <summary>
    /// Builds the master summary for the data warehouse from XNAT's eight session exports, the reference dates
    /// and the open failures (domain.md, "The master summary").
    /// </summary>
    /// <remarks>
    /// <para>Rules beyond the spec's wording, decided here:</para>
    /// <list type="bullet">
    /// <item>Reference Date cell: the date (yyyy-MM-dd); <c>not applicable</c> when the subject has no row in the
    /// reference-date file or a blank one; <c>null</c> (with a warning) when the value cannot be read in any of
    /// the accepted formats. On a repeated subject the first row wins; a conflicting repeat is warned about.</item>
    /// <item>Difference: for a slot holding a session, whole days session date − reference date; <c>not
    /// applicable</c> when the subject has no reference date (whatever the session's date); <c>null</c> when the
    /// session's date or the reference date is missing or unreadable. An empty slot is <c>null</c> in all five
    /// cells — there is no session for the difference to be "not applicable" to.</item>
    /// <item>Subject labels are trimmed; ID/UID/Scans are copied verbatim, an empty or all-blank value is
    /// <c>null</c>. A session date that is missing or not yyyy-MM-dd (yyyy-MM-dd or yyyyMMdd for failures) is
    /// <c>null</c>, warned about, and its slot sorts last.</item>
    /// <item>Duplicates: within one section and subject, a session ID seen again is ignored (the first row in file
    /// order is kept) with a warning; rows without an ID are never treated as duplicates.</item>
    /// <item>Slots sort by date, then ID (ordinal, missing = empty), then file order.</item>
    /// <item>Rows dated 2099-01-01 and ledger rows that are not <c>Open</c> are left out, but their subjects still
    /// get a row: every subject named in any input appears.</item>
    /// <item>The failure section is always written (N ≥ 5), with or without a failure file.</item>
    /// </list>
    /// <para>Memory: sessions are held as 24-byte entries plus their UTF-8 values in an arena, then bucketed by
    /// subject with a counting sort, so 1.75 million sessions fit in a few hundred MB.</para>
    /// </remarks>
    public static class XnatSummaryMerger
    {
        public const string NotApplicable = "not applicable";
        public const string Null = "null";

        /// <summary>Warnings beyond this many are counted, not listed.</summary>
        public const int MaxListedWarnings = 1000;

        private static readonly int PlaceholderDay = ToDay(DateValue.Placeholder);

        /// <summary>Writes the summary; <paramref name="onWarning"/> and <paramref name="onProgress"/> are called on this thread.</summary>
        /// <exception cref="SessionFileMissingException">A session export is missing.</exception>
        /// <exception cref="InputFormatException">An input file is not comma-separated.</exception>
        public static XnatSummaryResult Merge(XnatSummaryRequest request, Action<SummaryWarning>? onWarning = null,
            Action<SummaryProgress>? onProgress = null, CancellationToken cancellationToken = default)
        {
            if (request is null) throw new ArgumentNullException(nameof(request));
            var run = new Run(request, onWarning, onProgress, cancellationToken);
            return run.Execute();
        }

        /// <summary>Finds the eight session exports (see <see cref="XnatSessionExports.Locate"/>); all must be there.</summary>
        public static IReadOnlyList<string> FindSessionFiles(string folder)
        {
            var exports = XnatSessionExports.Locate(folder);
            var missing = exports.Where(e => e.Path is null).Select(e => e.FileName).ToList();
            if (missing.Count > 0) throw new SessionFileMissingException(folder, missing);
            return exports.Select(e => e.Path!).ToList();
        }

        internal static int ToDay(DateTime date) => (int)(date.Date.Ticks / TimeSpan.TicksPerDay);

        /// <summary>A session or failure date by the one date rule (<see cref="DateValue.TryParseUser"/>, which reads yyyy-MM-dd digit by digit first).</summary>
        internal static bool TryParseDay(string text, out int day)
        {
            if (DateValue.TryParseUser(text, out var date))
            {
                day = ToDay(date);
                return true;
            }
            day = SessionEntry.NoDate;
            return false;
        }

        private static DateTime FromDay(int day) => new DateTime(day * TimeSpan.TicksPerDay);

        private sealed class Run
        {
            private const int RefAbsent = int.MinValue;
            private const int RefUnreadable = int.MinValue + 1;
            private const int SectionCount = 9;

            private readonly XnatSummaryRequest _request;
            private readonly Action<SummaryWarning>? _onWarning;
            private readonly Action<SummaryProgress>? _onProgress;
            private readonly CancellationToken _cancel;
            private readonly string[] _referenceFormats;
            private readonly bool _defaultReferenceFormats;
            private readonly List<(string File, string Encoding)> _encodings = new List<(string, string)>();

            private readonly Dictionary<string, int> _subjectIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            private readonly List<string> _subjects = new List<string>();
            private readonly List<int> _referenceDay = new List<int>();
            private readonly List<int> _referenceLine = new List<int>();
            private readonly ValueArena _arena = new ValueArena();
            private readonly SessionList _sessions = new SessionList();
            private readonly List<SummaryWarning> _warnings = new List<SummaryWarning>();
            private IReadOnlyList<string> _sessionFiles = Array.Empty<string>();
            private int _warningCount;
            private int _placeholders;
            private int _duplicates;
            private int _blankSubjects;
            private long _totalInputBytes;
            private long _doneInputBytes;

            public Run(XnatSummaryRequest request, Action<SummaryWarning>? onWarning, Action<SummaryProgress>? onProgress, CancellationToken cancel)
            {
                _request = request;
                _onWarning = onWarning;
                _onProgress = onProgress;
                _cancel = cancel;
                _referenceFormats = (request.ReferenceDateFormats ?? XnatSummaryRequest.DefaultReferenceDateFormats).ToArray();
                // The defaults are the one date rule; formats the caller names explicitly are used as given.
                _defaultReferenceFormats = request.ReferenceDateFormats is null || ReferenceEquals(request.ReferenceDateFormats, XnatSummaryRequest.DefaultReferenceDateFormats)
                    || request.ReferenceDateFormats.SequenceEqual(XnatSummaryRequest.DefaultReferenceDateFormats);
                if (_referenceFormats.Length == 0) throw new ArgumentException("At least one reference-date format is needed.", nameof(request));
            }

            public XnatSummaryResult Execute()
            {
                var sessionFiles = _sessionFiles = FindSessionFiles(_request.SessionFolder);
                if (!File.Exists(_request.ReferenceDatePath)) throw new FileNotFoundException($"The reference-date file {_request.ReferenceDatePath} does not exist.", _request.ReferenceDatePath);
                if (_request.FailurePath != null && !File.Exists(_request.FailurePath)) throw new FileNotFoundException($"The failure file {_request.FailurePath} does not exist.", _request.FailurePath);

                var inputs = sessionFiles.Concat(new[] { _request.ReferenceDatePath }).Concat(_request.FailurePath is null ? new string[0] : new[] { _request.FailurePath });
                _totalInputBytes = Math.Max(1, inputs.Sum(p => new FileInfo(p).Length));

                ReadReferenceDates(_request.ReferenceDatePath);
                foreach (var subject in _request.CohortSubjects ?? Array.Empty<string>())
                    if (!string.IsNullOrWhiteSpace(subject)) SubjectNumber(subject.Trim());
                for (var s = 0; s < sessionFiles.Count; s++) ReadSessions(sessionFiles[s], SummarySection.SessionTypes[s]);
                if (_request.FailurePath != null) ReadSessions(_request.FailurePath, SummarySection.Failures);

                var layout = Arrange();
                var columns = 2 + layout.Slots.Sum() * SummarySection.ColumnsPerSlot;
                Write(layout);

                var counts = SummarySection.All.Select(s => new SummarySectionCount(s.Name, s.ColumnPrefix, layout.Sessions[s.Index], layout.Slots[s.Index])).ToList();
                if (_warningCount > _warnings.Count)
                {
                    var more = new SummaryWarning(_request.OutputPath, null, $"{_warningCount - _warnings.Count} further warnings were counted but not listed.");
                    _onWarning?.Invoke(more);
                }
                return new XnatSummaryResult(_request.OutputPath, _subjects.Count, columns, counts, _placeholders, _duplicates, _blankSubjects, _warnings, _warningCount)
                {
                    InputEncodings = _encodings.Select(e => $"{Path.GetFileName(e.File)}: {e.Encoding}").ToList(),
                };
            }

            // ---- reading ----


            private void Warn(string file, long? line, string problem)
            {
                _warningCount++;
                if (_warnings.Count >= MaxListedWarnings) return;
                var warning = new SummaryWarning(file, line, problem);
                _warnings.Add(warning);
                _onWarning?.Invoke(warning);
            }

            /// <summary>The line a record starts on (RawRow is the line it ends on; a quoted value may span lines).</summary>
            private static long StartLine(IParser parser) => CsvStrict.StartLine(parser.RawRecord, parser.RawRow);

            /// <summary>
            /// Opens an input in its own encoding (<see cref="TextFileEncoding"/>) with the strict CSV settings: a
            /// stray quote is an error naming the line, never a row "read as well as it could be".
            /// </summary>
            private CsvParser OpenParser(string path, out string encoding)
            {
                var reader = TextFileEncoding.OpenReader(path, out var decoded);
                encoding = decoded.Name;
                return new CsvParser(reader, CsvStrict.Configuration(path));
            }

            /// <summary>Reads and checks the header (<see cref="CsvSchema.CheckPositional"/>); false for an empty file.</summary>
            private static bool ReadHeader(CsvParser parser, string path, string[] columns)
            {
                if (!parser.Read()) return false;
                var line = StartLine(parser);
                CsvStrict.CheckQuotes(parser.RawRecord, line, path, 0);
                CsvSchema.CheckPositional(path, line, parser.Record ?? new string[0], columns);
                return true;
            }

            private static bool ReadRecord(CsvParser parser, string path, long previousEnd, int columns) => CsvStrict.Read(parser, path, previousEnd, columns);

            private static void CheckWidth(CsvParser parser, string path, long line, int columns) => CsvStrict.CheckWidth(parser, path, line, columns);

            private string? _lastSubject;
            private int _lastSubjectNumber;

            private int SubjectNumber(string subject)
            {
                // Exports list a subject's sessions together: most rows repeat the previous row's subject.
                if (string.Equals(subject, _lastSubject, StringComparison.Ordinal)) return _lastSubjectNumber;
                _lastSubject = subject;
                if (_subjectIndex.TryGetValue(subject, out var index)) return _lastSubjectNumber = index;
                index = _subjects.Count;
                _subjectIndex.Add(subject, index);
                _subjects.Add(subject);
                _referenceDay.Add(RefAbsent);
                _referenceLine.Add(0);
                return _lastSubjectNumber = index;
            }

            private static string? Field(CsvParser parser, int index) => index < parser.Count ? parser[index] : null;

            private static string? Value(CsvParser parser, int index)
            {
                var value = Field(parser, index);
                return string.IsNullOrWhiteSpace(value) ? null : value;
            }

            private void ReadReferenceDates(string path)
            {
                using var parser = OpenParser(path, out var encoding);
                _encodings.Add((path, encoding));
                if (!ReadHeader(parser, path, new[] { "Subject", "Reference Date" }))
                {
                    _doneInputBytes += new FileInfo(path).Length;
                    return;
                }
                var previousEnd = parser.RawRow;
                var columns = parser.Count;
                while (ReadRecord(parser, path, previousEnd, columns))
                {
                    previousEnd = parser.RawRow;
                    if (parser.Count > columns) CheckWidth(parser, path, StartLine(parser), columns);
                    var subject = Field(parser, 0)?.Trim();
                    if (string.IsNullOrEmpty(subject))
                    {
                        _blankSubjects++;
                        Warn(path, StartLine(parser), "blank subject; row skipped");
                        continue;
                    }
                    var index = SubjectNumber(subject!);
                    var text = Field(parser, 1);
                    int day;
                    if (string.IsNullOrWhiteSpace(text)) day = RefAbsent;
                    else if (_defaultReferenceFormats ? DateValue.TryParseUser(text, out var date) : DateValue.TryParseAny(text, _referenceFormats, out date)) day = ToDay(date);
                    else
                    {
                        day = RefUnreadable;
                        Warn(path, StartLine(parser), $"reference date is not in any accepted format ({(_defaultReferenceFormats ? DateValue.AcceptedForms : string.Join(", ", _referenceFormats))}); written as null");
                    }
                    if (_referenceLine[index] != 0)
                    {
                        if (_referenceDay[index] != day)
                            Warn(path, StartLine(parser), $"subject already has a different reference date on line {_referenceLine[index]}; the first is kept");
                        continue;
                    }
                    _referenceDay[index] = day;
                    _referenceLine[index] = (int)StartLine(parser);
                }
                _doneInputBytes += new FileInfo(path).Length;
            }

            private void ReadSessions(string path, SummarySection section)
            {
                var length = new FileInfo(path).Length;
                using var parser = OpenParser(path, out var encoding);
                _encodings.Add((path, encoding));
                if (!ReadHeader(parser, path, section.IsFailures
                        ? new[] { "Subject", "StudyDate", "AccessionNumber", "StudyDescription", "StudyInstanceUid" }
                        : new[] { "Subject", "Date", "ID", "UID", "Scans" }))
                {
                    _doneInputBytes += length;
                    return;
                }
                var statusColumn = -1;
                if (section.IsFailures)
                {
                    for (var i = 0; i < parser.Count; i++)
                        if (string.Equals(parser[i].Trim(), "Status", StringComparison.OrdinalIgnoreCase)) statusColumn = i;
                }
                var rows = 0;
                var columns = parser.Count;
                var previousEnd = parser.RawRow;
                var activity = "Reading " + Path.GetFileName(path);
                while (ReadRecord(parser, path, previousEnd, columns))
                {
                    // Most rows are one line right after the previous one; only the others need the raw text.
                    var line = parser.RawRow == previousEnd + 1 ? parser.RawRow : StartLine(parser);
                    previousEnd = parser.RawRow;
                    if ((++rows & 0xFFFF) == 0)
                    {
                        _cancel.ThrowIfCancellationRequested();
                        _onProgress?.Invoke(new SummaryProgress(activity, 0.8 * Math.Min(length, _doneInputBytes + parser.CharCount) / _totalInputBytes));
                    }
                    CheckWidth(parser, path, line, columns);
                    var subject = Field(parser, 0)?.Trim();
                    if (string.IsNullOrEmpty(subject))
                    {
                        _blankSubjects++;
                        Warn(path, line, "blank subject; row skipped");
                        continue;
                    }
                    var subjectNumber = SubjectNumber(subject!);
                    if (statusColumn >= 0)
                    {
                        var status = Field(parser, statusColumn)?.Trim();
                        if (string.Equals(status, "Resolved", StringComparison.OrdinalIgnoreCase)) continue;
                        if (!string.Equals(status, "Open", StringComparison.OrdinalIgnoreCase))
                        {
                            Warn(path, line, "status is neither Open nor Resolved; row skipped");
                            continue;
                        }
                    }
                    var dateText = Field(parser, 1);
                    var day = SessionEntry.NoDate;
                    if (string.IsNullOrWhiteSpace(dateText)) Warn(path, line, "no date; written as null and sorted last");
                    else if (!TryParseDay(dateText!, out day)) Warn(path, line, $"date is not {DateValue.AcceptedForms}; written as null and sorted last");
                    if (day == PlaceholderDay)
                    {
                        _placeholders++;
                        continue;
                    }
                    _sessions.Add(new SessionEntry
                    {
                        Record = _arena.Append(Value(parser, 2), Value(parser, 3), Value(parser, 4)),
                        Subject = subjectNumber,
                        Day = day,
                        Line = (int)line,
                        Section = (byte)section.Index,
                    });
                }
                _doneInputBytes += length;
            }

            // ---- arranging ----

            private sealed class Layout
            {
                public SessionEntry[] Entries = Array.Empty<SessionEntry>();
                /// <summary>Start of bucket (subject rank × 9 + section) in Entries; one extra at the end.</summary>
                public int[] BucketStart = Array.Empty<int>();
                /// <summary>Sessions kept per bucket (the first ones of the bucket, in slot order).</summary>
                public int[] BucketKept = Array.Empty<int>();
                public int[] SubjectByRank = Array.Empty<int>();
                public int[] Slots = new int[SectionCount];
                public int[] Sessions = new int[SectionCount];
            }

            private Layout Arrange()
            {
                _onProgress?.Invoke(new SummaryProgress("Sorting sessions", 0.8));
                var layout = new Layout();
                var order = Enumerable.Range(0, _subjects.Count).ToArray();
                Array.Sort(order, (x, y) => string.CompareOrdinal(_subjects[x], _subjects[y]));
                layout.SubjectByRank = order;
                var rank = new int[order.Length];
                for (var r = 0; r < order.Length; r++) rank[order[r]] = r;

                // Counting sort into buckets by (subject rank, section): O(n), and each bucket is a small array slice.
                var buckets = _subjects.Count * SectionCount;
                var start = new int[buckets + 1];
                var items = _sessions.Items;
                var count = _sessions.Count;
                for (var i = 0; i < count; i++) start[rank[items[i].Subject] * SectionCount + items[i].Section + 1]++;
                for (var b = 0; b < buckets; b++) start[b + 1] += start[b];
                var next = (int[])start.Clone();
                var entries = new SessionEntry[count];
                for (var i = 0; i < count; i++) entries[next[rank[items[i].Subject] * SectionCount + items[i].Section]++] = items[i];
                _sessions.Release();

                var byId = new IdThenLine(_arena);
                var bySlot = new SlotOrder(_arena);
                var kept = new int[buckets];
                var duplicates = new List<SessionEntry>();
                for (var b = 0; b < buckets; b++)
                {
                    var from = start[b];
                    var length = start[b + 1] - from;
                    if (length == 0) continue;
                    var keep = length;
                    if (length > 1)
                    {
                        Array.Sort(entries, from, length, byId);
                        var first = from;
                        for (var i = from + 1; i < from + length; i++)
                        {
                            if (!byId.SameId(entries[first], entries[i])) first = i;
                            else
                            {
                                entries[i].Ignored = true;
                                duplicates.Add(entries[i]);
                                keep--;
                            }
                        }
                        Array.Sort(entries, from, length, bySlot);
                    }
                    kept[b] = keep;
                    var section = b % SectionCount;
                    layout.Sessions[section] += keep;
                    if (keep > layout.Slots[section]) layout.Slots[section] = keep;
                }
                for (var s = 0; s < SectionCount; s++) layout.Slots[s] = Math.Max(SummarySection.MinimumSlots, layout.Slots[s]);

                _duplicates = duplicates.Count;
                foreach (var d in duplicates.OrderBy(d => d.Section).ThenBy(d => d.Line))
                    Warn(FileOf(d.Section), d.Line, "session ID listed twice for this subject; only its first row is used");

                layout.Entries = entries;
                layout.BucketStart = start;
                layout.BucketKept = kept;
                return layout;
            }

            private string FileOf(int section)
            {
                if (section == SummarySection.Failures.Index) return _request.FailurePath!;
                return _sessionFiles[section];
            }

            /// <summary>Duplicate detection order: ID, then file order (so the first row of an ID comes first).</summary>
            private sealed class IdThenLine : IComparer<SessionEntry>
            {
                private readonly ValueArena _arena;
                public IdThenLine(ValueArena arena) => _arena = arena;

                public int Compare(SessionEntry x, SessionEntry y)
                {
                    var c = _arena.CompareOrdinal(x.Record, y.Record, 0);
                    return c != 0 ? c : x.Line.CompareTo(y.Line);
                }

                public bool SameId(SessionEntry x, SessionEntry y) =>
                    !_arena.IsMissing(x.Record, 0) && _arena.CompareOrdinal(x.Record, y.Record, 0) == 0;
            }

            /// <summary>Slot order: ignored rows last, then date (no date last), ID ordinal, file order.</summary>
            private sealed class SlotOrder : IComparer<SessionEntry>
            {
                private readonly ValueArena _arena;
                public SlotOrder(ValueArena arena) => _arena = arena;

                public int Compare(SessionEntry x, SessionEntry y)
                {
                    if (x.Ignored != y.Ignored) return x.Ignored ? 1 : -1;
                    if (x.Day != y.Day) return x.Day.CompareTo(y.Day);
                    var c = _arena.CompareOrdinal(x.Record, y.Record, 0);
                    return c != 0 ? c : x.Line.CompareTo(y.Line);
                }
            }

            // ---- writing ----

            private void Write(Layout layout)
            {
                var config = new CsvConfiguration(CultureInfo.InvariantCulture) { NewLine = "\r\n" };
                var dates = new Dictionary<int, string>();
                string Iso(int day)
                {
                    if (!dates.TryGetValue(day, out var text)) dates[day] = text = DateValue.ToIso(FromDay(day));
                    return text;
                }

                AtomicFile.Write(_request.OutputPath, stream =>
                {
                    using var text = new StreamWriter(stream, AtomicFile.Utf8NoBom, 1 << 16, leaveOpen: true);
                    using var csv = new CsvWriter(text, config, leaveOpen: true);
                    csv.WriteField("Subject");
                    csv.WriteField("Reference Date");
                    foreach (var section in SummarySection.All)
                        for (var slot = 1; slot <= layout.Slots[section.Index]; slot++)
                            foreach (var column in section.SlotColumns(slot)) csv.WriteField(column);
                    csv.NextRecord();

                    var subjects = layout.SubjectByRank.Length;
                    for (var r = 0; r < subjects; r++)
                    {
                        if ((r & 0x3FF) == 0)
                        {
                            _cancel.ThrowIfCancellationRequested();
                            _onProgress?.Invoke(new SummaryProgress("Writing the summary", 0.8 + 0.2 * r / subjects));
                        }
                        var subject = layout.SubjectByRank[r];
                        var reference = _referenceDay[subject];
                        csv.WriteField(_subjects[subject]);
                        if (reference == RefAbsent) csv.WriteField(NotApplicable, false);
                        else if (reference == RefUnreadable) csv.WriteField(Null, false);
                        else csv.WriteField(Iso(reference), false);

                        for (var s = 0; s < SectionCount; s++)
                        {
                            var bucket = r * SectionCount + s;
                            var from = layout.BucketStart[bucket];
                            var kept = layout.BucketKept[bucket];
                            for (var i = 0; i < kept; i++)
                            {
                                var e = layout.Entries[from + i];
                                if (e.Day == SessionEntry.NoDate) csv.WriteField(Null, false);
                                else csv.WriteField(Iso(e.Day), false);
                                if (reference == RefAbsent) csv.WriteField(NotApplicable, false);
                                else if (reference == RefUnreadable || e.Day == SessionEntry.NoDate) csv.WriteField(Null, false);
                                else csv.WriteField((e.Day - reference).ToString(CultureInfo.InvariantCulture), false);
                                for (var v = 0; v < 3; v++) csv.WriteField(_arena.Get(e.Record, v) ?? Null);
                            }
                            var empty = (layout.Slots[s] - kept) * SummarySection.ColumnsPerSlot;
                            for (var i = 0; i < empty; i++) csv.WriteField(Null, false);
                        }
                        csv.NextRecord();
                    }
                    csv.Flush();
                    text.Flush();
                });
                _onProgress?.Invoke(new SummaryProgress("Done", 1.0));
            }
        }
    }
}
