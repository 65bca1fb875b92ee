using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Dicom;

namespace HandiImaging.Core.Pacs
{
    /// <summary>
    /// Runs a study query to completion. PACS cap C-FIND answers, often silently, so an answer that ended
    /// early after matches or reached the known cap is completed by splitting its date range (halving down to
    /// single days) and merging, de-duplicated by StudyInstanceUID. Transient faults (an abort, a transient
    /// rejection, "out of resources" with no matches) are retried on a new association with backoff; every
    /// study-level C-FIND counts against <see cref="StudyQueryLimits.MaxQueriesPerPatient"/>. Studies the PACS
    /// returns for another patient, accession number or UID are dropped with a warning. Results stream out as
    /// they arrive.
    /// </summary>
    public sealed class StudyFinder
    {
        /// <summary>Longest UID list one C-FIND carries: a UI element's value must fit a 16-bit length (PS3.5 §7.1.2).</summary>
        internal const int MaxUidListLength = 0xFFFE;

        private readonly IStudyQueryExecutor _executor;
        private readonly int _maxResultsPerQuery;
        private readonly DateTime _earliest;
        private readonly DateTime _latest;
        private readonly bool _resolveModality;
        private readonly StudyQueryLimits _limits;
        private readonly Action<Exception>? _onTransientFault;

        /// <param name="executor">One association's worth of C-FIND.</param>
        /// <param name="maxResultsPerQuery">The PACS's cap; an answer this long may be truncated (0 = none known).</param>
        /// <param name="earliest">Where an open lower date bound is closed for splitting.</param>
        /// <param name="latest">Where an open upper date bound is closed for splitting (normally today).</param>
        /// <param name="resolveModality">Fill in missing ModalitiesInStudy from a SERIES-level query.</param>
        /// <param name="limits">Query budget and retries; <see cref="StudyQueryLimits.Default"/> when null.</param>
        /// <param name="onTransientFault">Told of each transient fault before its retry (the runner lowers its parallelism on association limits).</param>
        public StudyFinder(IStudyQueryExecutor executor, int maxResultsPerQuery, DateTime earliest, DateTime latest, bool resolveModality = false,
            StudyQueryLimits? limits = null, Action<Exception>? onTransientFault = null)
        {
            _resolveModality = resolveModality;
            _executor = executor;
            _maxResultsPerQuery = maxResultsPerQuery;
            _earliest = earliest.Date;
            _latest = latest.Date;
            _limits = limits ?? StudyQueryLimits.Default;
            _onTransientFault = onTransientFault;
        }

        private static bool MatchesModality(PacsStudy study, string modality)
        {
            foreach (var m in study.ModalitiesInStudy)
                if (string.Equals(m, modality, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }

        /// <summary>Earliest date real studies can have, for closing open ranges.</summary>
        public static readonly DateTime DefaultEarliest = new DateTime(1900, 1, 1);

        /// <summary>Finds every study matching <paramref name="query"/>; returns how many distinct studies came out.</summary>
        /// <exception cref="StudyQueryKeyException">A key DICOM cannot match literally; nothing was sent.</exception>
        /// <exception cref="QueryBudgetExceededException">The query reached its C-FIND budget; the answer may be incomplete.</exception>
        public async Task<int> FindAsync(StudyQuery query, Action<PacsStudy> onStudy, Action<string> onWarning, CancellationToken cancellationToken) =>
            await FindAsync(query, onStudy, onWarning, null, cancellationToken).ConfigureAwait(false);

        /// <param name="onRetry">Told (for Verbose output) of each retry and why.</param>
        public async Task<int> FindAsync(StudyQuery query, Action<PacsStudy> onStudy, Action<string> onWarning, Action<string>? onRetry,
            CancellationToken cancellationToken)
        {
            query.Validate();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var warned = new HashSet<string>(StringComparer.Ordinal);
            var emitted = 0;
            var foreign = 0;
            var queries = 0;
            foreach (var part in SplitUidList(query))
                await RunAsync(part).ConfigureAwait(false);
            if (foreign > 0)
                onWarning($"The PACS answered the query for {query} with {foreign} stud{(foreign == 1 ? "y" : "ies")} that did not match it " +
                          "(another patient, accession number or UID); left out.");
            return emitted;

            void Warn(string message)
            {
                if (warned.Add(message)) onWarning(message);
            }

            void Emit(StudyQuery q, PacsStudy study)
            {
                if (q.Modality != null && !MatchesModality(study, q.Modality)) return;
                emitted++;
                onStudy(study);
            }

            async Task RunAsync(StudyQuery q)
            {
                var received = 0;
                // One association runs one C-FIND at a time, so modalities are resolved once the answer is in.
                var unresolved = new List<PacsStudy>();
                var completeness = await WithRetriesAsync(q.ToString(), () =>
                {
                    if (++queries > _limits.MaxQueriesPerPatient)
                        throw new QueryBudgetExceededException(
                            $"The query for {query} needed more than {_limits.MaxQueriesPerPatient} C-FINDs (-MaxQueriesPerPatient) and was stopped; " +
                            $"{emitted} studies were found and more may exist. Raise the limit or narrow the date window.");
                    received = 0;
                    return _executor.QueryAsync(q, study =>
                    {
                        received++;
                        if (!query.Matches(study))
                        {
                            foreign++;
                            return;
                        }
                        // A study without a UID cannot be de-duplicated; pass it on rather than lose it.
                        if (study.StudyInstanceUid.Length != 0 && !seen.Add(study.StudyInstanceUid)) return;
                        // A modality filter needs the modalities too: some PACS ignore the ModalitiesInStudy key.
                        if ((_resolveModality || q.Modality != null) && study.ModalitiesInStudy.Count == 0 && study.StudyInstanceUid.Length != 0)
                        {
                            unresolved.Add(study);
                            return;
                        }
                        Emit(q, study);
                    }, Warn, cancellationToken);
                }).ConfigureAwait(false);

                foreach (var study in unresolved)
                {
                    var modalities = await WithRetriesAsync($"the series of study {study.StudyInstanceUid}",
                        () => _executor.QueryModalitiesAsync(study.StudyInstanceUid, cancellationToken)).ConfigureAwait(false);
                    Emit(q, study with { ModalitiesInStudy = modalities });
                }

                // Only an answer that returned matches says anything about size; a refusal with none is not a cap.
                var truncated = received > 0
                    && (completeness == QueryCompleteness.PossiblyTruncated || (_maxResultsPerQuery > 0 && received >= _maxResultsPerQuery));
                if (!truncated) return;
                if (!q.DateRange.CanSplit(_earliest, _latest))
                {
                    onWarning($"The PACS answer for {q} may still be truncated ({received} studies) and cannot be split further; some studies may be missing.");
                    return;
                }
                foreach (var part in q.DateRange.Split(_earliest, _latest))
                    await RunAsync(q with { DateRange = part }).ConfigureAwait(false);
            }

            async Task<T> WithRetriesAsync<T>(string what, Func<Task<T>> attempt)
            {
                for (var tries = 1; ; tries++)
                {
                    try
                    {
                        return await attempt().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (tries < _limits.MaxAttempts && PacsFaults.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
                    {
                        _onTransientFault?.Invoke(ex);
                        var delay = TimeSpan.FromTicks(_limits.RetryDelay.Ticks << (tries - 1));
                        onRetry?.Invoke($"Retrying {what} in {delay.TotalSeconds:0.#} s (attempt {tries + 1} of {_limits.MaxAttempts}) after a transient fault: {ex.Message}");
                        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }

        /// <summary>A UID list too long for one element becomes several queries, each within <see cref="MaxUidListLength"/>.</summary>
        internal static IEnumerable<StudyQuery> SplitUidList(StudyQuery query)
        {
            var uids = query.StudyInstanceUids;
            var total = uids.Count == 0 ? 0 : uids.Count - 1;
            foreach (var uid in uids) total += uid.Length;
            if (total <= MaxUidListLength)
            {
                yield return query;
                yield break;
            }
            var chunk = new List<string>();
            var length = 0;
            foreach (var uid in uids)
            {
                var added = chunk.Count == 0 ? uid.Length : uid.Length + 1;
                if (length + added > MaxUidListLength)
                {
                    yield return query with { StudyInstanceUids = chunk.ToArray() };
                    chunk.Clear();
                    added = uid.Length;
                    length = 0;
                }
                chunk.Add(uid);
                length += added;
            }
            if (chunk.Count > 0) yield return query with { StudyInstanceUids = chunk.ToArray() };
        }
    }

    /// <summary>Which PACS faults are worth a retry, and which mean the PACS is at its association limit.</summary>
    public static class PacsFaults
    {
        /// <summary>
        /// An A-ABORT or dropped association, a transient rejection (result 2, or the presentation layer's
        /// congestion and association-limit reasons, PS3.8 §9.3.4), or "out of resources" with no matches.
        /// </summary>
        public static bool IsTransient(Exception exception) => exception switch
        {
            DicomAssociationAbortedException _ => true,
            DicomAssociationRejectedException r => r.IsTransient || r.RejectSource == 3,
            PacsQueryFailedException q => q.IsTransient,
            _ => false,
        };

        /// <summary>A rejection saying the PACS's limit of simultaneous associations is reached (source 3, reason 2).</summary>
        public static bool IsAssociationLimit(Exception exception) =>
            exception is DicomAssociationRejectedException { RejectSource: 3, Reason: 2 };
    }

    /// <summary>
    /// Decides when one query's failure means no query can work with these settings, so a run should stop:
    /// only before any query succeeded, for nothing listening, a permanent rejection (wrong called or calling
    /// AE title), no accepted presentation context — or the PACS aborting our first request for
    /// <see cref="FirstRequestAbortsMeaningUnregistered"/> queries, each after its retries (Orthanc's answer to
    /// an unregistered calling AE). Aborts and transient rejections short of that cost only their query.
    /// Thread-safe: workers report from their own threads.
    /// </summary>
    public sealed class SettingsProblemDetector
    {
        public const int FirstRequestAbortsMeaningUnregistered = 5;

        private int _succeeded;
        private int _firstRequestAborts;

        public void OnSucceeded() => Interlocked.Increment(ref _succeeded);

        public bool AnySucceeded => Volatile.Read(ref _succeeded) > 0;

        /// <summary>Call once per failed query; true when the run should stop with this error.</summary>
        public bool IsSettingsProblem(Exception exception)
        {
            if (AnySucceeded) return false;
            if (exception is DicomAssociationAbortedException { OnFirstRequest: true })
                return Interlocked.Increment(ref _firstRequestAborts) >= FirstRequestAbortsMeaningUnregistered;
            return (exception is DicomAssociationRejectedException && !PacsFaults.IsTransient(exception))
                || exception is DicomConnectionException
                || exception is DicomServiceNotAcceptedException;
        }
    }
}
