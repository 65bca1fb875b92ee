using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace HandiImaging.Core.Xnat
{
    /// <summary>Where and how studies are imported.</summary>
    public sealed class XnatImportOptions
    {
        public XnatImportOptions(string project, long pacsId)
        {
            if (string.IsNullOrWhiteSpace(project)) throw new ArgumentException("The project ID is empty.", nameof(project));
            Project = project.Trim();
            PacsId = pacsId;
        }

        public string Project { get; }
        /// <summary>DQR's id of the PACS (GET /xapi/pacs); 0 = the default query-retrieve PACS.</summary>
        public long PacsId { get; }
        /// <summary>XNAT's DICOM receiver the PACS sends to (it must have custom processing for relabelling).</summary>
        public string ReceiverAeTitle { get; set; } = "XNAT";
        public int ReceiverPort { get; set; } = 8104;
        /// <summary>Request studies even when the project already holds or is already importing them.</summary>
        public bool Force { get; set; }
        /// <summary>Studies per import request.</summary>
        public int BatchSize { get; set; } = 50;
    }

    /// <summary>
    /// Asks XNAT's query-retrieve plugin to pull studies from PACS into a project, relabelled Subject = the
    /// subject label and Session = the accession number. Studies the project already holds (one listing of its
    /// UIDs) or already has in the import queue are skipped unless forced. Studies go in batches; what XNAT
    /// queued is compared with what was asked, by StudyInstanceUID, and a study left out is Dropped. An import
    /// request that gets no answer is never sent again blindly: the queue is checked first, and a study not found
    /// there is NotConfirmed.
    /// </summary>
    public sealed class XnatImportRequester
    {
        private readonly XnatConnection _connection;
        private readonly DqrClient _dqr;

        public XnatImportRequester(XnatConnection connection)
        {
            _connection = connection ?? throw new ArgumentNullException(nameof(connection));
            _dqr = new DqrClient(connection);
        }

        /// <param name="studies">The studies to request; each needs a UID, an accession number and a subject label.</param>
        /// <param name="options">Project, PACS, receiver, batch size, force.</param>
        /// <param name="confirmBatch">Asked before each import request with what it will do; false sends nothing (-WhatIf).</param>
        /// <param name="cancellationToken">Stops between and during calls.</param>
        /// <returns>One entry per study asked, streamed as each batch is answered.</returns>
        public IEnumerable<XnatImportRequest> Request(IEnumerable<XnatImportStudy> studies, XnatImportOptions options, Func<string, bool>? confirmBatch, CancellationToken cancellationToken)
        {
            var now = _connection.ServerNow;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var candidates = new List<XnatImportRequest>();
            foreach (var study in studies)
            {
                var request = new XnatImportRequest
                {
                    Project = options.Project,
                    PacsId = options.PacsId,
                    StudyInstanceUid = study.StudyInstanceUid.Trim(),
                    Subject = study.Subject.Trim(),
                    AccessionNumber = study.AccessionNumber.Trim(),
                    HospitalId = study.HospitalId.Trim(),
                    StudyDate = study.StudyDate,
                    StudyDescription = study.StudyDescription,
                    RequestedAt = now,
                };
                var problem = Problem(request);
                if (problem != null) yield return request with { Status = XnatImportStatus.Rejected, Reason = problem };
                else if (!seen.Add(request.StudyInstanceUid)) yield return request with { Status = XnatImportStatus.Duplicate, Reason = "asked for earlier in this run" };
                else candidates.Add(request);
            }
            if (candidates.Count == 0) yield break;

            var pending = new List<XnatImportRequest>();
            IReadOnlyList<DqrRequestEntry> queueBefore = Array.Empty<DqrRequestEntry>();
            if (options.Force)
            {
                pending = candidates;
            }
            else
            {
                var inProject = new XnatSessionLister(_connection).GetStudyInstanceUids(options.Project, cancellationToken);
                queueBefore = _dqr.GetQueueAsync(cancellationToken).GetAwaiter().GetResult();
                var queued = new HashSet<string>(queueBefore.Where(e => ProjectMatches(e, options.Project)).Select(e => e.StudyInstanceUid), StringComparer.Ordinal);
                foreach (var request in candidates)
                {
                    if (inProject.Contains(request.StudyInstanceUid)) yield return request with { Status = XnatImportStatus.AlreadyInXnat, Reason = $"project {options.Project} already holds this StudyInstanceUID" };
                    else if (queued.Contains(request.StudyInstanceUid)) yield return request with { Status = XnatImportStatus.AlreadyQueued, Reason = "already in XNAT's import queue" };
                    else pending.Add(request);
                }
            }

            var batchSize = Math.Max(1, options.BatchSize);
            var batches = (pending.Count + batchSize - 1) / batchSize;
            for (var b = 0; b < batches; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = pending.Skip(b * batchSize).Take(batchSize).ToList();
                var description = $"Queue {batch.Count} stud{(batch.Count == 1 ? "y" : "ies")} from PACS {options.PacsId} for import into XNAT project {options.Project}"
                    + (batches > 1 ? $" (batch {b + 1} of {batches})" : "");
                if (confirmBatch != null && !confirmBatch(description)) continue;
                foreach (var result in SendBatch(batch, options, queueBefore, cancellationToken)) yield return result;
            }
        }

        private List<XnatImportRequest> SendBatch(List<XnatImportRequest> batch, XnatImportOptions options, IReadOnlyList<DqrRequestEntry> queueBefore, CancellationToken cancellationToken)
        {
            var studies = batch.Select(r => new DqrImportStudy(r.StudyInstanceUid, r.Subject, r.AccessionNumber)).ToList();
            var sentAt = _connection.ServerNow;
            try
            {
                var queued = _dqr.ImportAsync(options.Project, options.PacsId, options.ReceiverAeTitle, options.ReceiverPort, studies, cancellationToken).GetAwaiter().GetResult();
                var answered = queued.ToLookup(e => e.StudyInstanceUid, StringComparer.Ordinal);
                return batch.Select(request => answered[request.StudyInstanceUid].FirstOrDefault() is { } entry
                    ? Queued(request, entry, "")
                    : request with { Status = XnatImportStatus.Dropped, Reason = "XNAT did not queue it: the PACS found no series for this study, the PACS is not queryable, or the entry failed" }).ToList();
            }
            catch (XnatException ex) when (ex.ErrorId == XnatErrorId.Timeout || ex.ErrorId == XnatErrorId.ConnectionFailed || ex.ErrorId == XnatErrorId.ServerError)
            {
                // The request may have been carried out: look in the queue (and the history, for a quick dequeue) before saying anything.
                var found = Confirm(batch, options.Project, queueBefore, sentAt, cancellationToken).ToLookup(e => e.StudyInstanceUid, StringComparer.Ordinal);
                var reason = $"the import request failed ({ex.Message}) and XNAT's queue does not hold the study; not re-sent, so it cannot be queued twice — request it again later";
                return batch.Select(request => found[request.StudyInstanceUid].FirstOrDefault() is { } entry
                    ? Queued(request, entry, "found in XNAT's queue after the import request failed")
                    : request with { Status = XnatImportStatus.NotConfirmed, Reason = reason }).ToList();
            }
        }

        private static XnatImportRequest Queued(XnatImportRequest request, DqrRequestEntry entry, string reason) => request with
        {
            Status = entry.Status == "ISSUED" ? XnatImportStatus.Issued : entry.Status == "RECEIVED" ? XnatImportStatus.Received : XnatImportStatus.Queued,
            RequestId = entry.Id,
            QueuedTime = XnatValues.FromEpochMilliseconds(entry.QueuedTime ?? entry.Created),
            Reason = reason,
        };

        /// <summary>Entries for <paramref name="batch"/> that appeared in the queue or history since just before the request.</summary>
        private IReadOnlyList<DqrRequestEntry> Confirm(List<XnatImportRequest> batch, string project, IReadOnlyList<DqrRequestEntry> queueBefore, DateTime sentAt, CancellationToken cancellationToken)
        {
            var uids = new HashSet<string>(batch.Select(r => r.StudyInstanceUid), StringComparer.Ordinal);
            var known = new HashSet<long>(queueBefore.Where(e => e.Id.HasValue).Select(e => e.Id!.Value));
            // Server and client clocks differ a little; a minute's margin.
            var since = (long)(sentAt.AddMinutes(-1) - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalMilliseconds;
            var found = new List<DqrRequestEntry>();
            IEnumerable<DqrRequestEntry> Fresh(IEnumerable<DqrRequestEntry> entries) => entries.Where(e =>
                uids.Contains(e.StudyInstanceUid) && ProjectMatches(e, project) && !(e.Id.HasValue && known.Contains(e.Id.Value))
                && (e.QueuedTime ?? e.Created ?? long.MaxValue) >= since);
            found.AddRange(Fresh(_dqr.GetQueueAsync(cancellationToken).GetAwaiter().GetResult()));
            var missing = uids.Except(found.Select(e => e.StudyInstanceUid)).Any();
            if (missing) found.AddRange(Fresh(_dqr.GetHistoryAsync(since, cancellationToken).GetAwaiter().GetResult()));
            return found;
        }

        private static bool ProjectMatches(DqrRequestEntry entry, string project) =>
            entry.XnatProject.Length == 0 || string.Equals(entry.XnatProject, project, StringComparison.Ordinal);

        private static string? Problem(XnatImportRequest request)
        {
            if (request.StudyInstanceUid.Length == 0) return "no StudyInstanceUID";
            if (request.AccessionNumber.Length == 0) return "no accession number: the XNAT session label would be undefined";
            if (request.Subject.Length == 0) return "no subject label (NHS number or NN_<HospitalId>)";
            return null;
        }
    }
}
