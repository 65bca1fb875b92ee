using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace HandiImaging.Core.Xnat
{
    /// <summary>How long and how often to wait.</summary>
    public sealed class XnatImportWaitOptions
    {
        /// <summary>Time between polls of the queue and the history.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);
        /// <summary>
        /// An ISSUED transfer not RECEIVED this long after its C-MOVE is Stale. XNAT itself stops looking for the
        /// data an hour after the C-MOVE, so a longer limit gains nothing.
        /// </summary>
        public TimeSpan StaleAfter { get; set; } = TimeSpan.FromHours(1);
        /// <summary>Stop waiting after this long; what is still on its way is returned as Pending. Null: no limit.</summary>
        public TimeSpan? Timeout { get; set; }
        /// <summary>Polls that find a request in neither the queue nor the history before it counts as Lost.</summary>
        public int MissingPollsBeforeLost { get; set; } = 3;
    }

    /// <summary>A poll's counts, for progress reports.</summary>
    public sealed record XnatImportWaitProgress(int Total, int Received, int Failed, int Queued, int Issued, TimeSpan Elapsed);

    /// <summary>
    /// Follows import requests through XNAT's DQR queue and history until each is Received, Failed (DQR gave up
    /// after its retries and removed the queue entry), Stale (ISSUED for longer than the stale limit) or Lost.
    /// History rows have ids of their own, so requests are matched by StudyInstanceUID and queued time, never
    /// by id.
    /// </summary>
    public sealed class XnatImportWaiter
    {
        private readonly DqrClient _dqr;
        private readonly XnatConnection _connection;
        private readonly Func<DateTime> _clock;

        /// <param name="connection">The logged-in connection.</param>
        /// <param name="serverClock">The server's time now (UTC); by default <see cref="XnatConnection.ServerNow"/>.</param>
        public XnatImportWaiter(XnatConnection connection, Func<DateTime>? serverClock = null)
        {
            if (connection is null) throw new ArgumentNullException(nameof(connection));
            _dqr = new DqrClient(connection);
            _connection = connection;
            _clock = serverClock ?? (() => connection.ServerNow);
        }

        /// <summary>
        /// Waits for <paramref name="requests"/> (those not already final are followed). Each request reaching a
        /// final state goes to <paramref name="onFinal"/> as soon as a poll sees it; the return value holds every
        /// request in its last state (Pending for those still on their way at the timeout). Cancellation throws
        /// <see cref="OperationCanceledException"/>; <paramref name="onFinal"/> has then seen every request that finished.
        /// </summary>
        public IReadOnlyList<XnatImportRequest> Wait(IReadOnlyList<XnatImportRequest> requests, XnatImportWaitOptions options,
            Action<XnatImportRequest>? onFinal, IProgress<XnatImportWaitProgress>? progress, CancellationToken cancellationToken)
        {
            var state = requests.ToList();
            var missing = new int[state.Count];
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < state.Count; i++)
                if (state[i].IsFinal) onFinal?.Invoke(state[i]);
            while (true)
            {
                var open = Enumerable.Range(0, state.Count).Where(i => !state[i].IsFinal).ToList();
                if (open.Count == 0) break;
                var since = open.Select(i => state[i].QueuedTimeMs ?? ToMs(state[i].RequestedAt)).Min() - 60_000;
                var queue = _dqr.GetQueueAsync(cancellationToken).GetAwaiter().GetResult();
                var history = _dqr.GetHistoryAsync(since, cancellationToken).GetAwaiter().GetResult();
                var now = _clock();
                var queueByUid = queue.ToLookup(e => e.StudyInstanceUid, StringComparer.Ordinal);
                var historyByUid = history.ToLookup(e => e.StudyInstanceUid, StringComparer.Ordinal);
                var finished = new List<int>();
                foreach (var i in open)
                {
                    state[i] = Correlate(state[i], queueByUid[state[i].StudyInstanceUid], historyByUid[state[i].StudyInstanceUid], now, options, ref missing[i]);
                    if (state[i].IsFinal) finished.Add(i);
                }
                CheckPrearchive(state, finished, cancellationToken);
                foreach (var i in finished) onFinal?.Invoke(state[i]);
                progress?.Report(Count(state, watch.Elapsed));
                if (state.All(r => r.IsFinal)) break;
                if (options.Timeout.HasValue && watch.Elapsed + options.PollInterval > options.Timeout.Value)
                {
                    for (var i = 0; i < state.Count; i++)
                        if (!state[i].IsFinal) state[i] = state[i] with { Status = XnatImportStatus.Pending, Reason = $"still {state[i].Status} when waiting stopped after {options.Timeout.Value}" };
                    break;
                }
                Task.Delay(options.PollInterval, cancellationToken).GetAwaiter().GetResult();
            }
            return state;
        }

        /// <summary>
        /// DQR says RECEIVED as soon as data arrives, even when archiving it then fails: a study the project
        /// already holds ends in the prearchive as CONFLICT. One prearchive listing per project checks the
        /// requests that have just been received.
        /// </summary>
        private void CheckPrearchive(List<XnatImportRequest> state, List<int> finished, CancellationToken cancellationToken)
        {
            var lister = new XnatSessionLister(_connection);
            foreach (var project in finished.Where(i => state[i].Status == XnatImportStatus.Received).Select(i => state[i].Project).Distinct(StringComparer.Ordinal))
            {
                var stuck = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var row in lister.ReadRows($"/data/prearchive/projects/{XnatSessionLister.Escape(project)}?format=json", new[] { "tag", "status" }, cancellationToken))
                {
                    var status = row["status"].TrimStart('_');
                    if (status == "CONFLICT" || status == "ERROR") stuck[row["tag"]] = status;
                }
                foreach (var i in finished)
                {
                    if (state[i].Status != XnatImportStatus.Received || state[i].Project != project) continue;
                    if (stuck.TryGetValue(state[i].StudyInstanceUid, out var status))
                        state[i] = state[i] with
                        {
                            Status = XnatImportStatus.Failed,
                            Reason = status == "CONFLICT"
                                ? "received, but not archived: the prearchive holds it in CONFLICT (the project already has this session)"
                                : "received, but not archived: the prearchive holds it in ERROR",
                        };
                }
            }
        }

        /// <summary>The request's next state from the queue and history entries with its StudyInstanceUID.</summary>
        internal static XnatImportRequest Correlate(XnatImportRequest request, IEnumerable<DqrRequestEntry> queueEntries, IEnumerable<DqrRequestEntry> historyEntries,
            DateTime now, XnatImportWaitOptions options, ref int missingPolls)
        {
            var requestedMs = ToMs(request.RequestedAt) - 60_000;
            bool Ours(DqrRequestEntry e) =>
                (e.XnatProject.Length == 0 || string.Equals(e.XnatProject, request.Project, StringComparison.Ordinal))
                && (request.QueuedTimeMs.HasValue && e.QueuedTime.HasValue
                    ? e.QueuedTime.Value == request.QueuedTimeMs.Value
                    : (e.ExecutedTime ?? e.QueuedTime ?? e.Created ?? long.MaxValue) >= requestedMs);
            var inQueue = queueEntries.Where(Ours).ToList();
            var rows = historyEntries.Where(Ours).OrderBy(e => e.ExecutedTime ?? e.Created ?? 0).ThenBy(e => e.Id ?? 0).ToList();
            var failures = rows.Where(r => r.Status == "FAILED").ToList();
            var lastError = failures.LastOrDefault()?.ErrorMessage ?? "";
            var attempts = failures.Count;
            var received = rows.LastOrDefault(r => r.Status == "RECEIVED");
            if (received != null)
            {
                missingPolls = 0;
                return request with { Status = XnatImportStatus.Received, ExecutedTime = XnatValues.FromEpochMilliseconds(received.ExecutedTime), Attempts = attempts, Reason = "" };
            }
            if (inQueue.Count > 0)
            {
                missingPolls = 0;
                var entry = inQueue[0];
                return request with
                {
                    Status = XnatImportStatus.Queued,
                    RequestId = request.RequestId ?? entry.Id,
                    Attempts = Math.Max(attempts, entry.Retries ?? 0),
                    Reason = attempts > 0 ? $"queued again after {attempts} failed attempt(s): {lastError}" : entry.Status == "PROCESSING" ? "processing" : "",
                };
            }
            var last = rows.LastOrDefault();
            if (last == null)
            {
                missingPolls++;
                return missingPolls >= options.MissingPollsBeforeLost
                    ? request with { Status = XnatImportStatus.Lost, Reason = "no longer in XNAT's import queue, and its history has no row for it" }
                    : request;
            }
            missingPolls = 0;
            var executed = XnatValues.FromEpochMilliseconds(last.ExecutedTime);
            switch (last.Status)
            {
                case "FAILED":
                    return request with
                    {
                        Status = XnatImportStatus.Failed,
                        ExecutedTime = executed,
                        Attempts = attempts,
                        Reason = $"XNAT gave up after {attempts} attempt(s){(lastError.Length > 0 ? ": " + lastError : "")}",
                    };
                case "ISSUED":
                    if (executed.HasValue && now - executed.Value > options.StaleAfter)
                        return request with
                        {
                            Status = XnatImportStatus.Stale,
                            ExecutedTime = executed,
                            Attempts = attempts,
                            Reason = $"ISSUED at {executed.Value:yyyy-MM-dd HH:mm} UTC and not received within {options.StaleAfter.TotalMinutes:0} minutes (no data reached XNAT's receiver)",
                        };
                    return request with { Status = XnatImportStatus.Issued, ExecutedTime = executed, Attempts = attempts, Reason = "" };
                default:
                    return request with { Status = XnatImportStatus.Queued, ExecutedTime = executed, Attempts = attempts };
            }
        }

        private static XnatImportWaitProgress Count(IReadOnlyList<XnatImportRequest> state, TimeSpan elapsed) => new XnatImportWaitProgress(
            state.Count,
            state.Count(r => r.Status == XnatImportStatus.Received),
            state.Count(r => r.IsFinal && r.Status != XnatImportStatus.Received),
            state.Count(r => r.Status == XnatImportStatus.Queued),
            state.Count(r => r.Status == XnatImportStatus.Issued),
            elapsed);

        private static long ToMs(DateTime utc) => (long)(utc - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalMilliseconds;
    }
}
