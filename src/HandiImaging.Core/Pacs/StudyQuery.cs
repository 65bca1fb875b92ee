using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace HandiImaging.Core.Pacs
{
    /// <summary>What to ask PACS for at STUDY level. Empty criteria match everything.</summary>
    public sealed record StudyQuery
    {
        public string? PatientId { get; init; }
        public StudyDateRange DateRange { get; init; }
        public string? Modality { get; init; }
        public string? AccessionNumber { get; init; }
        public IReadOnlyList<string> StudyInstanceUids { get; init; } = Array.Empty<string>();

        /// <summary>
        /// Refuses keys DICOM cannot match exactly (PS3.4 C.2.2.2.4): '*' and '?' in a patient ID or accession
        /// number are wildcards and '\' separates values, so such a key would match other patients' studies;
        /// a UID holds only digits and dots.
        /// </summary>
        /// <exception cref="StudyQueryKeyException">A key that cannot be matched literally.</exception>
        public void Validate()
        {
            CheckLiteral(PatientId, "patient ID");
            CheckLiteral(AccessionNumber, "accession number");
            CheckLiteral(Modality, "modality");
            foreach (var uid in StudyInstanceUids)
            {
                if (uid.Length == 0 || uid.Length > 64 || !IsUid(uid))
                    throw new StudyQueryKeyException($"'{uid}' is not a StudyInstanceUID (1 to 64 digits and dots); it cannot be queried.");
            }
        }

        private static void CheckLiteral(string? value, string what)
        {
            if (string.IsNullOrEmpty(value)) return;
            var bad = value!.IndexOfAny(Wildcards);
            if (bad >= 0)
                throw new StudyQueryKeyException(
                    $"The {what} '{value}' contains '{value[bad]}', which DICOM cannot match literally ('*' and '?' are wildcards, '\\' separates values); " +
                    $"querying it would return other patients' studies, so it was not queried. Check the {what}.");
        }

        private static readonly char[] Wildcards = { '*', '?', '\\' };

        private static bool IsUid(string uid)
        {
            foreach (var c in uid)
                if (!(c == '.' || (c >= '0' && c <= '9'))) return false;
            return true;
        }

        /// <summary>
        /// Whether a study the PACS returned is one this query asked for: same patient ID, same accession number
        /// and one of the UIDs, where those were asked for (compared exactly, as DICOM single-value matching is).
        /// </summary>
        public bool Matches(PacsStudy study)
        {
            if (!string.IsNullOrEmpty(PatientId) && !string.Equals(study.PatientId, PatientId, StringComparison.Ordinal)) return false;
            if (!string.IsNullOrEmpty(AccessionNumber) && !string.Equals(study.AccessionNumber, AccessionNumber, StringComparison.Ordinal)) return false;
            if (StudyInstanceUids.Count > 0)
            {
                foreach (var uid in StudyInstanceUids)
                    if (string.Equals(uid, study.StudyInstanceUid, StringComparison.Ordinal)) return true;
                return false;
            }
            return true;
        }

        public override string ToString()
        {
            var parts = new List<string>();
            if (!string.IsNullOrEmpty(PatientId)) parts.Add($"patient {PatientId}");
            if (!DateRange.IsAll) parts.Add($"dates {DateRange}");
            if (!string.IsNullOrEmpty(Modality)) parts.Add($"modality {Modality}");
            if (!string.IsNullOrEmpty(AccessionNumber)) parts.Add($"accession {AccessionNumber}");
            if (StudyInstanceUids.Count > 0) parts.Add($"{StudyInstanceUids.Count} UID(s)");
            return parts.Count == 0 ? "all studies" : string.Join(", ", parts);
        }
    }

    /// <summary>A query key DICOM cannot match exactly (a wildcard or value separator in an ID, a malformed UID).</summary>
    public sealed class StudyQueryKeyException : ArgumentException
    {
        public StudyQueryKeyException(string message) : base(message) { }
    }

    /// <summary>One patient's query reached <see cref="StudyQueryLimits.MaxQueriesPerPatient"/>; its answer may be incomplete.</summary>
    public sealed class QueryBudgetExceededException : Exception
    {
        public QueryBudgetExceededException(string message) : base(message) { }
    }

    /// <summary>Bounds on what one query (one patient, typically) may cost, and how transient faults are retried.</summary>
    public sealed record StudyQueryLimits
    {
        public static readonly StudyQueryLimits Default = new StudyQueryLimits();

        /// <summary>
        /// Study-level C-FINDs one query may cost, splits and retries included, so no PACS behaviour can make
        /// one patient cost thousands. Series-level modality lookups are not counted (one per study found).
        /// </summary>
        public int MaxQueriesPerPatient { get; init; } = 256;

        /// <summary>Tries of one C-FIND that met a transient fault (abort, transient rejection, out of resources).</summary>
        public int MaxAttempts { get; init; } = 3;

        /// <summary>Wait before the first retry; doubled before each further one.</summary>
        public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    }

    /// <summary>How one C-FIND ended, as far as completeness goes.</summary>
    public enum QueryCompleteness
    {
        /// <summary>Final status success: the answer is whole (unless it hit a known cap).</summary>
        Complete,
        /// <summary>The PACS stopped early after sending matches (e.g. a final cancel nobody asked for, out of resources).</summary>
        PossiblyTruncated,
    }

    /// <summary>
    /// Runs single C-FINDs over one association. Implementations stream each result to <c>onStudy</c> as it
    /// arrives, report decoding problems (unknown character sets) to <c>onWarning</c>, and throw for failures
    /// that are not about the answer's size (network, rejection, refusal, timeouts).
    /// </summary>
    public interface IStudyQueryExecutor : IDisposable
    {
        Task<QueryCompleteness> QueryAsync(StudyQuery query, Action<PacsStudy> onStudy, Action<string> onWarning, CancellationToken cancellationToken);

        /// <summary>The distinct modalities of a study's series (a SERIES-level C-FIND), for PACS that do not return ModalitiesInStudy.</summary>
        Task<IReadOnlyList<string>> QueryModalitiesAsync(string studyInstanceUid, CancellationToken cancellationToken);
    }
}
