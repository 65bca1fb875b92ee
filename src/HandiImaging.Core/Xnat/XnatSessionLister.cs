using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;

namespace HandiImaging.Core.Xnat
{
    /// <summary>
    /// Lists a project's image sessions: the project-scoped listing (which also returns sessions shared into the
    /// project), one request per xsiType (XNAT ignores a comma list), checked that every asked column came back,
    /// streamed row by row. Scan counts come from one per-scan listing of the whole project, not one request per
    /// session.
    /// </summary>
    public sealed class XnatSessionLister
    {
        /// <summary>The aliases asked for; XNAT drops unknown ones silently, so each must come back.</summary>
        public static readonly IReadOnlyList<string> SessionColumns = new[]
        {
            "ID", "label", "subject_label", "date", "UID", "scanner", "modality", "dcmAccessionNumber", "insert_date", "insert_user", "xsiType",
        };

        public const string ScanIdColumn = "xnat:imagescandata/id";

        /// <summary>At most this many UIDs go into one UID= filter (URLs stay short).</summary>
        private const int UidsPerRequest = 100;

        private readonly XnatConnection _connection;

        public XnatSessionLister(XnatConnection connection) => _connection = connection ?? throw new ArgumentNullException(nameof(connection));

        /// <summary>
        /// The project's sessions of <paramref name="types"/> (all types when null), optionally only those with
        /// one of <paramref name="studyInstanceUids"/>, with scan counts when <paramref name="includeScanCount"/>.
        /// </summary>
        public IEnumerable<XnatSession> GetSessions(string project, IEnumerable<XnatSessionType>? types, IReadOnlyCollection<string>? studyInstanceUids,
            bool includeScanCount, CancellationToken cancellationToken)
        {
            CheckProject(project);
            var typeList = (types ?? XnatSessionType.All).Distinct().ToList();
            var counts = includeScanCount ? GetScanCounts(project, cancellationToken) : null;
            var uidChunks = studyInstanceUids == null
                ? new List<string?> { null }
                : studyInstanceUids.Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => u.Trim()).Distinct(StringComparer.Ordinal)
                    .Select((uid, i) => (uid, i)).GroupBy(x => x.i / UidsPerRequest).Select(g => (string?)string.Join(",", g.Select(x => x.uid))).ToList();
            if (uidChunks.Count == 0) yield break;
            foreach (var type in typeList)
            {
                foreach (var xsiType in type.XsiTypes)
                {
                    foreach (var uids in uidChunks)
                    {
                        var query = $"/data/projects/{Escape(project)}/experiments?xsiType={Escape(xsiType)}&columns={string.Join(",", SessionColumns)}&format=json";
                        if (uids != null) query += "&UID=" + Escape(uids);
                        foreach (var row in ReadRows(query, SessionColumns, cancellationToken))
                        {
                            var id = row["ID"];
                            yield return new XnatSession
                            {
                                Project = project,
                                Subject = row["subject_label"],
                                Date = XnatValues.ParseDate(row["date"]),
                                Id = id,
                                Label = row["label"],
                                StudyInstanceUid = row["UID"],
                                AccessionNumber = row["dcmAccessionNumber"],
                                Scanner = row["scanner"],
                                Modality = row["modality"],
                                ScanCount = counts == null ? (int?)null : counts.TryGetValue(id, out var n) ? n : 0,
                                Type = type.Name,
                                XsiType = row["xsiType"].Length > 0 ? row["xsiType"] : xsiType,
                                Creator = row["insert_user"],
                                InsertDate = XnatValues.ParseTimestamp(row["insert_date"]),
                            };
                        }
                    }
                }
            }
        }

        /// <summary>
        /// Scans per session ID for the whole project in one request (one row per scan, grouped by ID). A
        /// session absent from this listing has no scans.
        /// </summary>
        public IReadOnlyDictionary<string, int> GetScanCounts(string project, CancellationToken cancellationToken)
        {
            CheckProject(project);
            var query = $"/data/experiments?project={Escape(project)}&xsiType=xnat:imageSessionData&columns=ID,{ScanIdColumn}&format=json";
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var row in ReadRows(query, new[] { "ID", ScanIdColumn }, cancellationToken))
            {
                var id = row["ID"];
                if (id.Length == 0) continue;
                counts.TryGetValue(id, out var n);
                // A scan-less session may come back as one row with an empty scan ID.
                counts[id] = row[ScanIdColumn].Length > 0 ? n + 1 : n;
            }
            return counts;
        }

        /// <summary>Every StudyInstanceUID in the project's image sessions (any type), in one request.</summary>
        public HashSet<string> GetStudyInstanceUids(string project, CancellationToken cancellationToken)
        {
            CheckProject(project);
            var query = $"/data/projects/{Escape(project)}/experiments?xsiType=xnat:imageSessionData&columns=ID,UID&format=json";
            var uids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var row in ReadRows(query, new[] { "ID", "UID" }, cancellationToken))
            {
                var uid = row["UID"].Trim();
                if (uid.Length > 0) uids.Add(uid);
            }
            return uids;
        }

        /// <summary>Streams a listing's rows; the first row must carry every column in <paramref name="required"/>.</summary>
        public IEnumerable<XnatRow> ReadRows(string pathAndQuery, IReadOnlyCollection<string> required, CancellationToken cancellationToken)
        {
            var what = "GET " + pathAndQuery;
            using var response = _connection.SendAsync(HttpMethod.Get, pathAndQuery, null, XnatExpect.Json, cancellationToken).GetAwaiter().GetResult();
            using var body = response.OpenBody();
            var first = true;
            foreach (var row in XnatJson.ReadResultSet(body, what))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (first)
                {
                    first = false;
                    var missing = required.Where(c => !row.Has(c)).ToList();
                    if (missing.Count > 0)
                        throw new XnatException(XnatErrorId.ColumnMissing,
                            $"{what}: XNAT left out the column(s) {string.Join(", ", missing)} (it drops columns it does not know for this type without saying so).");
                }
                yield return row;
            }
        }

        internal static string Escape(string value) => Uri.EscapeDataString(value);

        private static void CheckProject(string project)
        {
            if (string.IsNullOrWhiteSpace(project)) throw new ArgumentException("The project ID is empty.", nameof(project));
        }
    }
}
