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

    /// <summary>How one C-FIND ended, as far as completeness goes.</summary>
    public enum QueryCompleteness
    {
        /// <summary>Final status success: the answer is whole (unless it hit a known cap).</summary>
        Complete,
        /// <summary>The PACS stopped early or refused for size (e.g. a final cancel nobody asked for, out of resources).</summary>
        PossiblyTruncated,
    }

    /// <summary>
    /// Runs single C-FINDs over one association. Implementations stream each result to <c>onStudy</c> as it
    /// arrives and throw for failures that are not about the answer's size (network, rejection, timeouts).
    /// </summary>
    public interface IStudyQueryExecutor : IDisposable
    {
        Task<QueryCompleteness> QueryAsync(StudyQuery query, Action<PacsStudy> onStudy, CancellationToken cancellationToken);

        /// <summary>The distinct modalities of a study's series (a SERIES-level C-FIND), for PACS that do not return ModalitiesInStudy.</summary>
        Task<IReadOnlyList<string>> QueryModalitiesAsync(string studyInstanceUid, CancellationToken cancellationToken);
    }
}
