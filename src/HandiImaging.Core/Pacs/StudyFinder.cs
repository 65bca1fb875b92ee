using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace HandiImaging.Core.Pacs
{
    /// <summary>
    /// Runs a study query to completion. PACS cap C-FIND answers, often silently, so an answer that ended
    /// early or reached the known cap is completed by splitting its date range (halving down to single days)
    /// and merging, de-duplicated by StudyInstanceUID. Results stream out as they arrive.
    /// </summary>
    public sealed class StudyFinder
    {
        private readonly IStudyQueryExecutor _executor;
        private readonly int _maxResultsPerQuery;
        private readonly DateTime _earliest;
        private readonly DateTime _latest;
        private readonly bool _resolveModality;

        /// <param name="executor">One association's worth of C-FIND.</param>
        /// <param name="maxResultsPerQuery">The PACS's cap; an answer this long may be truncated (0 = none known).</param>
        /// <param name="earliest">Where an open lower date bound is closed for splitting.</param>
        /// <param name="latest">Where an open upper date bound is closed for splitting (normally today).</param>
        /// <param name="resolveModality">Fill in missing ModalitiesInStudy from a SERIES-level query.</param>
        public StudyFinder(IStudyQueryExecutor executor, int maxResultsPerQuery, DateTime earliest, DateTime latest, bool resolveModality = false)
        {
            _resolveModality = resolveModality;
            _executor = executor;
            _maxResultsPerQuery = maxResultsPerQuery;
            _earliest = earliest.Date;
            _latest = latest.Date;
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
        public async Task<int> FindAsync(StudyQuery query, Action<PacsStudy> onStudy, Action<string> onWarning, CancellationToken cancellationToken)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var emitted = 0;
            await RunAsync(query).ConfigureAwait(false);
            return emitted;

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
                var completeness = await _executor.QueryAsync(q, study =>
                {
                    received++;
                    // A study without a UID cannot be de-duplicated; pass it on rather than lose it.
                    if (study.StudyInstanceUid.Length != 0 && !seen.Add(study.StudyInstanceUid)) return;
                    // A modality filter needs the modalities too: some PACS ignore the ModalitiesInStudy key.
                    if ((_resolveModality || q.Modality != null) && study.ModalitiesInStudy.Count == 0 && study.StudyInstanceUid.Length != 0)
                    {
                        unresolved.Add(study);
                        return;
                    }
                    Emit(q, study);
                }, cancellationToken).ConfigureAwait(false);

                foreach (var study in unresolved)
                {
                    var modalities = await _executor.QueryModalitiesAsync(study.StudyInstanceUid, cancellationToken).ConfigureAwait(false);
                    Emit(q, study with { ModalitiesInStudy = modalities });
                }

                var truncated = completeness == QueryCompleteness.PossiblyTruncated
                    || (_maxResultsPerQuery > 0 && received >= _maxResultsPerQuery);
                if (!truncated) return;
                if (!q.DateRange.CanSplit(_earliest, _latest))
                {
                    onWarning($"The PACS answer for {q} may still be truncated ({received} studies) and cannot be split further; some studies may be missing.");
                    return;
                }
                foreach (var part in q.DateRange.Split(_earliest, _latest))
                    await RunAsync(q with { DateRange = part }).ConfigureAwait(false);
            }
        }
    }
}
