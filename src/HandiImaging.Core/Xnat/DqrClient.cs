using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace HandiImaging.Core.Xnat
{
    /// <summary>One study of a DQR import request.</summary>
    public sealed record DqrImportStudy(string StudyInstanceUid, string Subject, string Session);

    /// <summary>
    /// The query-retrieve plugin's import endpoints (DQR 2.x): POST /xapi/dqr/import, and the user's own queue
    /// and history, paged. Posts are never retried here.
    /// </summary>
    public sealed class DqrClient
    {
        /// <summary>Entries per page asked of the queue and the history.</summary>
        public const int PageSize = 500;

        /// <summary>A safety stop for a server that ignores paging.</summary>
        private const int MaxPages = 1000;

        private readonly XnatConnection _connection;

        public DqrClient(XnatConnection connection) => _connection = connection ?? throw new ArgumentNullException(nameof(connection));

        /// <summary>Asks DQR to import <paramref name="studies"/>; returns the entries it queued (a study it could not queue is simply absent).</summary>
        public async Task<IReadOnlyList<DqrRequestEntry>> ImportAsync(string project, long pacsId, string aeTitle, int port, IReadOnlyList<DqrImportStudy> studies, CancellationToken cancellationToken)
        {
            var body = ImportBody(project, pacsId, aeTitle, port, studies);
            using var response = await _connection.SendAsync(HttpMethod.Post, "/xapi/dqr/import", body, XnatExpect.Json, cancellationToken).ConfigureAwait(false);
            var text = await response.ReadTextAsync(cancellationToken).ConfigureAwait(false);
            return XnatJson.ReadRequests(text, "POST /xapi/dqr/import");
        }

        /// <summary>The JSON body of an import request (relabel map: Subject, Session; forceImport false so DQR checks the receiver).</summary>
        public static string ImportBody(string project, long pacsId, string aeTitle, int port, IReadOnlyList<DqrImportStudy> studies)
        {
            var root = new JObject
            {
                ["pacsId"] = pacsId,
                ["aeTitle"] = aeTitle,
                ["port"] = port,
                ["projectId"] = project,
                ["forceImport"] = false,
                ["studies"] = new JArray(studies.Select(s => new JObject
                {
                    ["studyInstanceUid"] = s.StudyInstanceUid,
                    ["seriesInstanceUids"] = new JArray(),
                    ["seriesDescriptions"] = new JArray(),
                    ["relabelMap"] = new JObject { ["Subject"] = s.Subject, ["Session"] = s.Session },
                })),
            };
            return root.ToString(Formatting.None);
        }

        /// <summary>Every entry in the user's import queue.</summary>
        public Task<IReadOnlyList<DqrRequestEntry>> GetQueueAsync(CancellationToken cancellationToken) =>
            GetPagedAsync("/xapi/dqr/import/queue", null, cancellationToken);

        /// <summary>
        /// The user's history, newest first, down to the first page whose entries are all older than
        /// <paramref name="since"/> (epoch ms; null = everything).
        /// </summary>
        public Task<IReadOnlyList<DqrRequestEntry>> GetHistoryAsync(long? since, CancellationToken cancellationToken) =>
            GetPagedAsync("/xapi/dqr/import/history", since, cancellationToken);

        private async Task<IReadOnlyList<DqrRequestEntry>> GetPagedAsync(string path, long? since, CancellationToken cancellationToken)
        {
            var all = new List<DqrRequestEntry>();
            long? previousFirst = null;
            for (var page = 1; page <= MaxPages; page++)
            {
                var query = string.Format(CultureInfo.InvariantCulture, "{0}?sort=DESC&page={1}&pageSize={2}", path, page, PageSize);
                IReadOnlyList<DqrRequestEntry> entries;
                using (var response = await _connection.SendAsync(HttpMethod.Get, query, null, XnatExpect.Json, cancellationToken).ConfigureAwait(false))
                    entries = XnatJson.ReadRequests(await response.ReadTextAsync(cancellationToken).ConfigureAwait(false), "GET " + query);
                if (entries.Count == 0) break;
                // A server that ignores page= sends page 1 again: stop rather than loop.
                if (page > 1 && entries[0].Id.HasValue && entries[0].Id == previousFirst) break;
                previousFirst = entries[0].Id;
                all.AddRange(entries);
                if (entries.Count < PageSize) break;
                if (since.HasValue && entries.All(e => (e.QueuedTime ?? e.ExecutedTime ?? e.Created ?? long.MaxValue) < since.Value)) break;
            }
            return all;
        }
    }
}
