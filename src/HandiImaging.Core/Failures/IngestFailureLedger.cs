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

namespace HandiImaging.Core.Failures
{
    /// <summary>Whether a ledger row's study is still missing from XNAT.</summary>
    public enum IngestFailureStatus
    {
        Open,
        Resolved,
    }

    /// <summary>One row of the failure ledger.</summary>
    public sealed class IngestFailureLedgerEntry
    {
        public string Subject { get; set; } = "";
        public string StudyDate { get; set; } = "";
        public string AccessionNumber { get; set; } = "";
        public string StudyDescription { get; set; } = "";
        public string StudyInstanceUid { get; set; } = "";
        public string HospitalId { get; set; } = "";
        /// <summary>Date of the first run that reported the failure.</summary>
        public DateTime FirstSeen { get; set; }
        /// <summary>Date of the latest run that reported the failure.</summary>
        public DateTime LastSeen { get; set; }
        /// <summary>Number of runs (Add-IngestFailure calls) that reported it.</summary>
        public int TimesSeen { get; set; }
        /// <summary>"file:line" of the latest report.</summary>
        public string Source { get; set; } = "";
        public IngestFailureStatus Status { get; set; }
        /// <summary>Date the study was found in XNAT's session exports; null while open.</summary>
        public DateTime? ResolvedOn { get; set; }

        internal IngestFailureLedgerEntry Clone() => (IngestFailureLedgerEntry)MemberwiseClone();
    }

    /// <summary>What one ledger run did (or, under -WhatIf, would do).</summary>
    public sealed class IngestFailureLedgerChange
    {
        public string LedgerPath { get; internal set; } = "";
        /// <summary>New rows.</summary>
        public int Added { get; internal set; }
        /// <summary>Existing rows reported again (LastSeen/TimesSeen updated).</summary>
        public int Updated { get; internal set; }
        /// <summary>Rows marked Resolved by this run.</summary>
        public int Resolved { get; internal set; }
        /// <summary>Input records not added: placeholders (2099-01-01) or records with neither UID nor accession number.</summary>
        public int Skipped { get; internal set; }
        /// <summary>Rows Open after the run.</summary>
        public int Open { get; internal set; }
        /// <summary>Rows in the ledger after the run.</summary>
        public int Total { get; internal set; }
        /// <summary>True when nothing was written (a plan for -WhatIf).</summary>
        public bool Planned { get; internal set; }
        /// <summary>The rows added, updated or resolved, as they are after the run.</summary>
        public IReadOnlyList<IngestFailureLedgerEntry> Changed { get; internal set; } = new IngestFailureLedgerEntry[0];
    }

    /// <summary>
    /// The failure ledger: every ingestion failure ever reported, so failures accumulate across quarters and are
    /// never lost. A CSV whose first five columns feed the master summary's failure section directly.
    /// </summary>
    /// <remarks>
    /// <para>Rows are keyed by StudyInstanceUID; a row without one is matched by accession number + hospital ID
    /// (and gains the UID when a later report carries it). A repeat updates LastSeen, Source and — once per run
    /// — TimesSeen, and fills fields that were blank (an NN_ subject becomes the NHS number once the ID map has
    /// it); it never blanks or overwrites a value.</para>
    /// <para>A Resolved row reported again stays Resolved (LastSeen/TimesSeen still updated): it was resolved
    /// on positive evidence that XNAT holds the study, and the SOP has admins re-send accumulated failure
    /// lists, which would otherwise reopen every resolved row each quarter.</para>
    /// <para>Rows are never deleted. Every change is one read-modify-write under <see cref="FileLock"/>, written
    /// through <see cref="AtomicFile"/> (temp file, flush, rename; the previous ledger kept as .bak). A ledger
    /// that cannot be read exactly is an <see cref="InputFormatException"/> and is never overwritten.</para>
    /// </remarks>
    public sealed class IngestFailureLedger
    {
        /// <summary>The ledger's columns, in order.</summary>
        public static readonly IReadOnlyList<string> Columns = new[]
        {
            "Subject", "StudyDate", "AccessionNumber", "StudyDescription", "StudyInstanceUid",
            "HospitalId", "FirstSeen", "LastSeen", "TimesSeen", "Source", "Status", "ResolvedOn",
        };

        private static readonly CsvConfiguration WriteConfig = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            NewLine = "\r\n",
            HasHeaderRecord = false,
            // With NewLine set, CsvHelper only quotes fields containing "\r\n"; a lone \n in a description
            // would then split the row when read back.
            ShouldQuote = args => NeedsQuotes(args.Field),
        };

        private static bool NeedsQuotes(string? field)
        {
            if (string.IsNullOrEmpty(field)) return false;
            if (field![0] == ' ' || field[field.Length - 1] == ' ' || field[0] == '\t' || field[field.Length - 1] == '\t') return true;
            foreach (var c in field) if (c == '"' || c == ',' || c == '\r' || c == '\n') return true;
            return false;
        }

        public IngestFailureLedger(string path)
        {
            if (string.IsNullOrEmpty(path)) throw new ArgumentException("A ledger path is required.", nameof(path));
            Path = System.IO.Path.GetFullPath(path);
        }

        public string Path { get; }

        /// <summary>How long a run waits for another run holding the ledger.</summary>
        public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>Test hook: called after each data row is written (to simulate a crash mid-write).</summary>
        internal Action<int>? RowWritten { get; set; }

        /// <summary>Reads every row. A missing ledger is <see cref="FileNotFoundException"/>.</summary>
        public List<IngestFailureLedgerEntry> Read()
        {
            if (!File.Exists(Path)) throw new FileNotFoundException($"The failure ledger {Path} does not exist.", Path);
            return ReadFile(Path, out _);
        }

        /// <summary>The encoding of the ledger as last read, so a rewrite keeps it (null: a new ledger, UTF-8).</summary>
        private DecodedText? _encoding;

        /// <summary>Checks <paramref name="failure"/> can be a ledger row; null when it can, else the reason.</summary>
        public static string? Problem(IngestFailure failure)
        {
            if (failure.StudyInstanceUid.Trim().Length == 0 && failure.AccessionNumber.Trim().Length == 0)
                return "the failure has neither a StudyInstanceUid nor an AccessionNumber, so it cannot be keyed or resolved.";
            return null;
        }

        /// <summary>
        /// Adds or updates a row for every failure, in one locked, atomic write. <paramref name="confirm"/> (e.g.
        /// ShouldProcess) sees the change before anything is written and can cancel it; it is not asked when
        /// nothing would change.
        /// </summary>
        public IngestFailureLedgerChange Add(IEnumerable<IngestFailure> failures, DateTime today, CancellationToken cancellationToken = default,
            Func<IngestFailureLedgerChange, bool>? confirm = null)
        {
            var list = failures as IReadOnlyCollection<IngestFailure> ?? new List<IngestFailure>(failures);
            return Change(rows => Merge(rows, list, today.Date), write: true, cancellationToken, mustExist: false, confirm);
        }

        /// <summary>What <see cref="Add"/> would do, without writing (and without the lock).</summary>
        public IngestFailureLedgerChange PlanAdd(IEnumerable<IngestFailure> failures, DateTime today) =>
            Change(rows => Merge(rows, failures, today.Date), write: false, default, mustExist: false, null);

        /// <summary>Marks Open rows Resolved when their study is in <paramref name="sessions"/>; one locked, atomic write.</summary>
        public IngestFailureLedgerChange Resolve(XnatSessionIndex sessions, DateTime today, CancellationToken cancellationToken = default,
            Func<IngestFailureLedgerChange, bool>? confirm = null) =>
            Change(rows => ResolveRows(rows, sessions, today.Date), write: true, cancellationToken, mustExist: true, confirm);

        /// <summary>What <see cref="Resolve"/> would do, without writing.</summary>
        public IngestFailureLedgerChange PlanResolve(XnatSessionIndex sessions, DateTime today) =>
            Change(rows => ResolveRows(rows, sessions, today.Date), write: false, default, mustExist: true, null);

        private IngestFailureLedgerChange Change(Func<List<IngestFailureLedgerEntry>, IngestFailureLedgerChange> apply, bool write,
            CancellationToken cancellationToken, bool mustExist, Func<IngestFailureLedgerChange, bool>? confirm)
        {
            FileLock? held = null;
            try
            {
                // Planned without the lock first: the lock file and a missing folder are only created once the
                // change is confirmed, so a declined (-WhatIf) run leaves no trace. Planned again under the lock.
                var (rows, change, exists) = Compute(apply, mustExist);
                var needsWrite = write && (change.Added + change.Updated + change.Resolved > 0 || !exists);
                if (!needsWrite)
                {
                    change.Planned = !write;
                    return change;
                }
                if (confirm != null && !confirm(change))
                {
                    change.Planned = true;
                    return change;
                }
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
                held = Lock(cancellationToken);
                (rows, change, _) = Compute(apply, mustExist); // another run may have changed the ledger meanwhile
                cancellationToken.ThrowIfCancellationRequested();
                WriteLedger(rows);
                return change;
            }
            finally
            {
                held?.Dispose();
            }
        }

        private FileLock Lock(CancellationToken cancellationToken) => FileLock.Acquire(Path, LockTimeout, cancellationToken);

        /// <summary>Reads the ledger (under the caller's lock, so no other run's rows are lost) and applies the change.</summary>
        private (List<IngestFailureLedgerEntry> Rows, IngestFailureLedgerChange Change, bool Exists) Compute(
            Func<List<IngestFailureLedgerEntry>, IngestFailureLedgerChange> apply, bool mustExist)
        {
            var exists = File.Exists(Path);
            if (!exists && mustExist) throw new FileNotFoundException($"The failure ledger {Path} does not exist.", Path);
            _encoding = null;
            var rows = exists ? ReadFile(Path, out _encoding) : new List<IngestFailureLedgerEntry>();
            var change = apply(rows);
            change.LedgerPath = Path;
            change.Total = rows.Count;
            var open = 0;
            foreach (var row in rows) if (row.Status == IngestFailureStatus.Open) open++;
            change.Open = open;
            return (rows, change, exists);
        }

        // ---- rules ----------------------------------------------------------------------------------------------

        private static IngestFailureLedgerChange Merge(List<IngestFailureLedgerEntry> rows, IEnumerable<IngestFailure> failures, DateTime today)
        {
            var byUid = new Dictionary<string, int>(StringComparer.Ordinal);
            var byAccession = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < rows.Count; i++) Index(rows[i], i, byUid, byAccession);

            var change = new IngestFailureLedgerChange();
            var touched = new HashSet<int>();
            var changed = new List<int>();
            foreach (var failure in failures)
            {
                if (Problem(failure) != null || FailureDate.IsPlaceholder(FailureDate.Normalize(failure.StudyDate, out _)))
                {
                    change.Skipped++;
                    continue;
                }
                var uid = failure.StudyInstanceUid.Trim();
                var accessionKey = AccessionKey(failure.AccessionNumber, failure.HospitalId);
                var index = -1;
                if (uid.Length > 0 && byUid.TryGetValue(uid, out var u)) index = u;
                else if (accessionKey != null && byAccession.TryGetValue(accessionKey, out var a)
                         && (uid.Length == 0 || rows[a].StudyInstanceUid.Length == 0)) index = a;

                if (index < 0)
                {
                    var row = new IngestFailureLedgerEntry
                    {
                        Subject = failure.Subject.Trim(),
                        StudyDate = FailureDate.Normalize(failure.StudyDate, out _),
                        AccessionNumber = failure.AccessionNumber.Trim(),
                        StudyDescription = failure.StudyDescription,
                        StudyInstanceUid = uid,
                        HospitalId = failure.HospitalId.Trim(),
                        FirstSeen = today,
                        LastSeen = today,
                        TimesSeen = 1,
                        Source = failure.Source,
                        Status = IngestFailureStatus.Open,
                    };
                    rows.Add(row);
                    index = rows.Count - 1;
                    Index(row, index, byUid, byAccession);
                    touched.Add(index);
                    changed.Add(index);
                    change.Added++;
                    continue;
                }

                var existing = rows[index];
                if (touched.Add(index))
                {
                    // Counted once per run: a failure re-sent in two files of one run is one sighting.
                    existing.TimesSeen++;
                    if (today > existing.LastSeen) existing.LastSeen = today;
                    if (failure.Source.Length > 0) existing.Source = failure.Source;
                    changed.Add(index);
                    change.Updated++;
                }
                FillBlanks(existing, failure);
                Index(existing, index, byUid, byAccession);
            }
            var list = new List<IngestFailureLedgerEntry>(changed.Count);
            foreach (var i in changed) list.Add(rows[i].Clone());
            change.Changed = list;
            return change;
        }

        private static void FillBlanks(IngestFailureLedgerEntry row, IngestFailure failure)
        {
            var subject = failure.Subject.Trim();
            if (row.Subject.Length == 0 || (row.Subject.StartsWith("NN_", StringComparison.Ordinal) && subject.Length > 0 && !subject.StartsWith("NN_", StringComparison.Ordinal)))
                if (subject.Length > 0) row.Subject = subject;
            if (row.StudyDate.Length == 0) row.StudyDate = FailureDate.Normalize(failure.StudyDate, out _);
            if (row.AccessionNumber.Length == 0) row.AccessionNumber = failure.AccessionNumber.Trim();
            if (row.StudyDescription.Length == 0) row.StudyDescription = failure.StudyDescription;
            if (row.StudyInstanceUid.Length == 0) row.StudyInstanceUid = failure.StudyInstanceUid.Trim();
            if (row.HospitalId.Length == 0) row.HospitalId = failure.HospitalId.Trim();
        }

        private static void Index(IngestFailureLedgerEntry row, int index, Dictionary<string, int> byUid, Dictionary<string, int> byAccession)
        {
            if (row.StudyInstanceUid.Length > 0 && !byUid.ContainsKey(row.StudyInstanceUid)) byUid.Add(row.StudyInstanceUid, index);
            var key = AccessionKey(row.AccessionNumber, row.HospitalId);
            if (key != null && !byAccession.ContainsKey(key)) byAccession.Add(key, index);
        }

        private static string? AccessionKey(string accession, string hospitalId)
        {
            var a = accession.Trim();
            return a.Length == 0 ? null : a + "\u001f" + hospitalId.Trim();
        }

        private static IngestFailureLedgerChange ResolveRows(List<IngestFailureLedgerEntry> rows, XnatSessionIndex sessions, DateTime today)
        {
            var change = new IngestFailureLedgerChange();
            var changed = new List<IngestFailureLedgerEntry>();
            foreach (var row in rows)
            {
                if (row.Status != IngestFailureStatus.Open) continue;
                if (!sessions.Holds(row.StudyInstanceUid, row.AccessionNumber)) continue;
                row.Status = IngestFailureStatus.Resolved;
                row.ResolvedOn = today;
                change.Resolved++;
                changed.Add(row.Clone());
            }
            change.Changed = changed;
            return change;
        }

        // ---- file format ----------------------------------------------------------------------------------------

        private void WriteRows(TextWriter writer, List<IngestFailureLedgerEntry> rows)
        {
            using var csv = new CsvWriter(writer, WriteConfig, leaveOpen: true);
            foreach (var column in Columns) csv.WriteField(column);
            csv.NextRecord();
            var written = 0;
            foreach (var row in rows)
            {
                csv.WriteField(row.Subject);
                csv.WriteField(row.StudyDate);
                csv.WriteField(row.AccessionNumber);
                csv.WriteField(row.StudyDescription);
                csv.WriteField(row.StudyInstanceUid);
                csv.WriteField(row.HospitalId);
                csv.WriteField(DateValue.ToIso(row.FirstSeen));
                csv.WriteField(DateValue.ToIso(row.LastSeen));
                csv.WriteField(row.TimesSeen.ToString(CultureInfo.InvariantCulture));
                csv.WriteField(row.Source);
                csv.WriteField(row.Status == IngestFailureStatus.Open ? "Open" : "Resolved");
                csv.WriteField(row.ResolvedOn.HasValue ? DateValue.ToIso(row.ResolvedOn.Value) : "");
                csv.NextRecord();
                RowWritten?.Invoke(++written);
            }
            csv.Flush();
        }

        /// <summary>Writes rows in the ledger format (header first), e.g. for an export.</summary>
        public static void Write(TextWriter writer, IEnumerable<IngestFailureLedgerEntry> rows) =>
            new IngestFailureLedger("ledger.csv").WriteRows(writer, new List<IngestFailureLedgerEntry>(rows));

        /// <summary>
        /// Replaces the ledger in the encoding it was read in (a ledger re-saved from Excel as Windows-1252 stays
        /// Windows-1252); when a new value cannot be held in Windows-1252 it becomes UTF-8 with a BOM, which Excel
        /// also opens correctly, rather than losing the character.
        /// </summary>
        private void WriteLedger(List<IngestFailureLedgerEntry> rows)
        {
            var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\r\n" };
            WriteRows(text, rows);
            byte[] bytes;
            try { bytes = _encoding != null ? _encoding.Encode(text.ToString(), Path) : AtomicFile.Utf8NoBom.GetBytes(text.ToString()); }
            catch (InputFormatException)
            {
                bytes = TextFileEncoding.Decode(new byte[] { 0xEF, 0xBB, 0xBF }, Path).Encode(text.ToString(), Path);
            }
            AtomicFile.Write(Path, stream => stream.Write(bytes, 0, bytes.Length));
        }

        private static List<IngestFailureLedgerEntry> ReadFile(string path, out DecodedText encoding)
        {
            var table = CsvTable.Read(path);
            encoding = table.Encoding;
            return FromTable(table);
        }

        /// <summary>The ledger's header, checked like every CSV's before its order is.</summary>
        private static readonly CsvSchema Schema = new CsvSchema("failure ledger", Columns.Select(c => new CsvColumn(c, true)).ToArray());

        /// <summary>Reads a ledger exactly; anything unexpected is an <see cref="InputFormatException"/> naming line and field.</summary>
        public static List<IngestFailureLedgerEntry> Read(TextReader reader, string source) => FromTable(CsvTable.Read(reader, source));

        private static List<IngestFailureLedgerEntry> FromTable(CsvTable table)
        {
            var source = table.Path;
            var header = table.Header;
            if (header.Length == 1 && header[0].Trim().Length == 0 && table.Rows.Count == 0)
                throw new InputFormatException(source, 1, null, "the ledger is empty (no header row). Restore the .bak copy, or delete the file to start a new ledger.") { Code = "EmptyFile" };
            table.Bind(Schema);
            if (header.Length != Columns.Count)
                throw new InputFormatException(source, table.HeaderLine, null, $"the header has {header.Length} columns; a failure ledger has {Columns.Count}: {string.Join(",", Columns)}.") { Code = "WrongColumnCount" };
            for (var i = 0; i < Columns.Count; i++)
            {
                if (CsvTable.Key(header[i]) != CsvTable.Key(Columns[i]))
                    throw new InputFormatException(source, table.HeaderLine, Columns[i], $"column {i + 1} is '{header[i]}'; a failure ledger's columns are, in this order, {string.Join(",", Columns)}.") { Code = "ColumnOutOfOrder" };
            }
            var rows = new List<IngestFailureLedgerEntry>();
            foreach (var row in table.Rows)
            {
                var line = row.Line;
                var f = row.Fields;
                if (f.Length < Columns.Count)
                    throw new InputFormatException(source, line, Columns[f.Length], $"the row has {f.Length} fields; the ledger has {Columns.Count} columns.") { Code = "WrongColumnCount" };
                rows.Add(new IngestFailureLedgerEntry
                {
                    Subject = f[0],
                    // Kept as text (a failure's date may be unreadable), but a date Excel re-typed comes back as yyyy-MM-dd.
                    StudyDate = DateValue.TryParseUser(f[1], out var studyDate) ? DateValue.ToIso(studyDate) : f[1],
                    AccessionNumber = f[2],
                    StudyDescription = f[3],
                    StudyInstanceUid = f[4],
                    HospitalId = f[5],
                    FirstSeen = RequiredDate(f[6], source, line, Columns[6]),
                    LastSeen = RequiredDate(f[7], source, line, Columns[7]),
                    TimesSeen = Count(f[8], source, line),
                    Source = f[9],
                    Status = StatusOf(f[10], source, line),
                    ResolvedOn = f[11].Trim().Length == 0 ? (DateTime?)null : RequiredDate(f[11], source, line, Columns[11]),
                });
            }
            return rows;
        }

        private static DateTime RequiredDate(string text, string source, long line, string field)
        {
            return DateValue.ParseCell(text, source, line, field);
        }

        private static int Count(string text, string source, long line)
        {
            if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) return n;
            throw new InputFormatException(source, line, "TimesSeen", $"'{text}' is not a whole number of at least 1.") { Code = "InvalidNumber" };
        }

        private static IngestFailureStatus StatusOf(string text, string source, long line)
        {
            var t = text.Trim();
            if (string.Equals(t, "Open", StringComparison.OrdinalIgnoreCase)) return IngestFailureStatus.Open;
            if (string.Equals(t, "Resolved", StringComparison.OrdinalIgnoreCase)) return IngestFailureStatus.Resolved;
            throw new InputFormatException(source, line, "Status", $"'{text}' is not Open or Resolved.") { Code = "InvalidStatus" };
        }
    }
}
