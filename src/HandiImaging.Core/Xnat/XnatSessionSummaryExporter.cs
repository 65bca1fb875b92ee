using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using CsvHelper;
using CsvHelper.Configuration;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Xnat
{
    /// <summary>One file the session summary wrote.</summary>
    public sealed record XnatSessionSummaryFile(string Type, string Path, int Sessions);

    /// <summary>What <see cref="XnatSessionSummaryExporter.Export"/> did.</summary>
    public sealed record XnatSessionSummaryResult
    {
        public string Project { get; init; } = "";
        public string Folder { get; init; } = "";
        public IReadOnlyList<XnatSessionSummaryFile> Files { get; init; } = Array.Empty<XnatSessionSummaryFile>();
        public int Sessions => Files.Sum(f => f.Sessions);
        /// <summary>Requests sent to XNAT for the export.</summary>
        public int Requests { get; init; }
        public TimeSpan Elapsed { get; init; }
    }

    /// <summary>
    /// Writes the eight per-type session lists (CT.csv … XA.csv) the master summary reads, with exactly the
    /// headers the admins' web exports have: Subject, Date, the experiment ID, then scanner / UID / label and
    /// scan count / label / creator by type (see <see cref="XnatSessionType"/>). Dates are yyyy-MM-dd. Scan
    /// counts come from one per-scan listing of the project. Nothing is replaced until all eight files are
    /// written; then each replaces its predecessor in one step (the previous one kept as .bak).
    /// </summary>
    public sealed class XnatSessionSummaryExporter
    {
        private readonly XnatConnection _connection;

        public XnatSessionSummaryExporter(XnatConnection connection) => _connection = connection ?? throw new ArgumentNullException(nameof(connection));

        /// <param name="project">The XNAT project ID.</param>
        /// <param name="folder">The folder to write into (created when missing).</param>
        /// <param name="cancellationToken">Stops between and during calls; nothing is replaced then.</param>
        /// <param name="progress">Receives each type's name as its listing starts.</param>
        public XnatSessionSummaryResult Export(string project, string folder, CancellationToken cancellationToken, IProgress<string>? progress = null)
        {
            if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("The output folder is empty.", nameof(folder));
            var full = Path.GetFullPath(folder);
            if (File.Exists(full)) throw new IOException($"{full} is a file; the session summary needs a folder.");
            Directory.CreateDirectory(full);
            var watch = Stopwatch.StartNew();
            var requestsBefore = _connection.RequestCount;
            var lister = new XnatSessionLister(_connection);
            progress?.Report("scan counts");
            var counts = lister.GetScanCounts(project, cancellationToken);
            var written = new List<(XnatSessionType Type, string Temp, string Target, int Sessions)>();
            try
            {
                foreach (var type in XnatSessionType.Summary)
                {
                    progress?.Report(type.Name);
                    var target = Path.Combine(full, type.FileName);
                    var temp = Path.Combine(full, "." + type.FileName + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp");
                    written.Add((type, temp, target, 0));
                    var sessions = WriteOne(lister, project, type, temp, counts, cancellationToken);
                    written[written.Count - 1] = (type, temp, target, sessions);
                }
                foreach (var file in written) AtomicFile.Commit(file.Temp, file.Target, keepBackup: true);
            }
            finally
            {
                foreach (var file in written)
                {
                    try
                    {
                        if (File.Exists(file.Temp)) File.Delete(file.Temp);
                    }
                    catch (IOException)
                    {
                        // A leftover hidden temp file is harmless; the error that got us here matters more.
                    }
                }
            }
            return new XnatSessionSummaryResult
            {
                Project = project,
                Folder = full,
                Files = written.Select(f => new XnatSessionSummaryFile(f.Type.Name, f.Target, f.Sessions)).ToList(),
                Requests = _connection.RequestCount - requestsBefore,
                Elapsed = watch.Elapsed,
            };
        }

        private static int WriteOne(XnatSessionLister lister, string project, XnatSessionType type, string temp,
            IReadOnlyDictionary<string, int> counts, CancellationToken cancellationToken)
        {
            var sessions = 0;
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using (var writer = new StreamWriter(stream, AtomicFile.Utf8NoBom, 1 << 16, leaveOpen: true))
                using (var csv = new CsvWriter(writer, new CsvConfiguration(CultureInfo.InvariantCulture) { NewLine = "\r\n" }))
                {
                    foreach (var header in type.Header) csv.WriteField(header);
                    csv.NextRecord();
                    foreach (var session in lister.GetSessions(project, new[] { type }, null, includeScanCount: false, cancellationToken))
                    {
                        csv.WriteField(session.Subject);
                        csv.WriteField(XnatValues.FormatDate(session.Date));
                        csv.WriteField(session.Id);
                        csv.WriteField(Value(type.Column4, session, counts));
                        csv.WriteField(Value(type.Column5, session, counts));
                        csv.NextRecord();
                        sessions++;
                    }
                }
                stream.Flush(true);
            }
            return sessions;
        }

        private static string Value(XnatSummaryColumn column, XnatSession session, IReadOnlyDictionary<string, int> counts) => column switch
        {
            XnatSummaryColumn.Scanner => session.Scanner,
            XnatSummaryColumn.StudyInstanceUid => session.StudyInstanceUid,
            XnatSummaryColumn.Label => session.Label,
            XnatSummaryColumn.Creator => session.Creator,
            XnatSummaryColumn.ScanCount => (counts.TryGetValue(session.Id, out var n) ? n : 0).ToString(CultureInfo.InvariantCulture),
            _ => "",
        };
    }
}
