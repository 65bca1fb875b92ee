using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Core.IO;
using HandiImaging.Dicom;

namespace HandiImaging.Core.Pacs
{
    /// <summary>A C-FIND that the PACS answered with a failure that is not about the answer's size.</summary>
    public sealed class PacsQueryFailedException : Exception
    {
        public PacsQueryFailedException(string message, bool isTransient = false) : base(message)
        {
            IsTransient = isTransient;
        }

        /// <summary>The PACS refused for now ("out of resources" with no matches): worth a retry later.</summary>
        public bool IsTransient { get; }
    }

    /// <summary>
    /// Runs Study Root C-FINDs over one association, opened on first use and reopened if the PACS dropped it.
    /// Maps our <see cref="StudyQuery"/> to identifier keys and each match to a <see cref="PacsStudy"/>.
    /// </summary>
    public sealed class DicomStudyQueryExecutor : IStudyQueryExecutor
    {
        private readonly DicomClientOptions _options;
        private DicomAssociation? _association;

        public DicomStudyQueryExecutor(PacsConnection connection) => _options = PacsDicom.Options(connection);

        public async Task<QueryCompleteness> QueryAsync(StudyQuery query, Action<PacsStudy> onStudy, Action<string> onWarning, CancellationToken cancellationToken)
        {
            var association = await OpenAsync(cancellationToken).ConfigureAwait(false);
            var find = association.Find(QueryRetrieveModel.StudyRoot, StudyIdentifier(query));
            await foreach (var match in find.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                foreach (var warning in match.DecodingWarnings) onWarning($"Query for {query}: {warning}");
                onStudy(ToStudy(match));
            }
            var outcome = find.Outcome!;
            if (outcome.IsSuccess) return QueryCompleteness.Complete;
            // After matches, a final cancel nobody asked for (Orthanc's LimitFindResults) or "out of resources" is a cap.
            if (outcome.IsPossiblyTruncated) return QueryCompleteness.PossiblyTruncated;
            // With none it is a refusal: "out of resources" may pass, anything else will not.
            var comment = string.IsNullOrEmpty(outcome.ErrorComment) ? "" : $" (PACS said: {outcome.ErrorComment})";
            var outOfResources = (outcome.Status.Code & 0xFF00) == 0xA700;
            throw new PacsQueryFailedException(
                $"The PACS refused the query for {query}: {outcome.Status}{comment}, with no matches" +
                (outOfResources ? " — it is out of resources; this is not a truncated answer." : "."),
                isTransient: outOfResources);
        }

        public async Task<IReadOnlyList<string>> QueryModalitiesAsync(string studyInstanceUid, CancellationToken cancellationToken)
        {
            var association = await OpenAsync(cancellationToken).ConfigureAwait(false);
            var identifier = new DicomDataset()
                .Set(DicomTags.QueryRetrieveLevel, "SERIES")
                .Set(DicomTags.StudyInstanceUid, studyInstanceUid)
                .Set(DicomTags.SeriesInstanceUid, "")
                .Set(DicomTags.Modality, "");
            var modalities = new List<string>();
            var find = association.Find(QueryRetrieveModel.StudyRoot, identifier);
            await foreach (var series in find.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var modality = series.GetString(DicomTags.Modality);
                if (!string.IsNullOrEmpty(modality) && !modalities.Contains(modality!)) modalities.Add(modality!);
            }
            return modalities;
        }

        private async Task<DicomAssociation> OpenAsync(CancellationToken cancellationToken)
        {
            if (_association is { IsUsable: true }) return _association;
            _association?.Dispose();
            _association = null;
            _association = await DicomAssociation.OpenAsync(_options, DicomServices.StudyRootFind, cancellationToken).ConfigureAwait(false);
            return _association;
        }

        internal static DicomDataset StudyIdentifier(StudyQuery query) => new DicomDataset()
            .Set(DicomTags.QueryRetrieveLevel, "STUDY")
            .Set(DicomTags.PatientId, query.PatientId ?? "")
            .Set(DicomTags.PatientName, "")
            .Set(DicomTags.StudyDate, query.DateRange.ToDicom())
            .Set(DicomTags.StudyTime, "")
            .Set(DicomTags.AccessionNumber, query.AccessionNumber ?? "")
            .Set(DicomTags.StudyDescription, "")
            .Set(DicomTags.StudyInstanceUid, query.StudyInstanceUids)
            .Set(DicomTags.ModalitiesInStudy, query.Modality ?? "")
            .Set(DicomTags.NumberOfStudyRelatedSeries, "")
            .Set(DicomTags.NumberOfStudyRelatedInstances, "");

        internal static PacsStudy ToStudy(DicomDataset match) => new PacsStudy
        {
            PatientId = match.GetString(DicomTags.PatientId) ?? "",
            PatientName = NullIfEmpty(match.GetString(DicomTags.PatientName)),
            StudyDate = DateValue.TryParseExact(match.GetString(DicomTags.StudyDate), DateValue.Dicom, out var date) ? date : null,
            StudyTime = NullIfEmpty(match.GetString(DicomTags.StudyTime)),
            AccessionNumber = NullIfEmpty(match.GetString(DicomTags.AccessionNumber)),
            StudyDescription = NullIfEmpty(match.GetString(DicomTags.StudyDescription)),
            StudyInstanceUid = match.GetString(DicomTags.StudyInstanceUid) ?? "",
            ModalitiesInStudy = match.GetStrings(DicomTags.ModalitiesInStudy).Where(m => m.Length > 0).ToArray(),
            NumberOfSeries = match.GetInt32(DicomTags.NumberOfStudyRelatedSeries),
            NumberOfInstances = match.GetInt32(DicomTags.NumberOfStudyRelatedInstances),
        };

        private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

        public void Dispose()
        {
            var association = _association;
            _association = null;
            if (association is null) return;
            try
            {
                // Release politely, but never wait long for a PACS that has stopped answering.
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                association.ReleaseAsync(deadline.Token).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is DicomException || ex is OperationCanceledException || ex is System.IO.IOException || ex is ObjectDisposedException)
            {
                // The association is closed either way.
            }
            finally
            {
                association.Dispose();
            }
        }
    }
}
