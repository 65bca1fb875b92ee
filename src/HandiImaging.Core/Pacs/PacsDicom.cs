using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Dicom;

namespace HandiImaging.Core.Pacs
{
    /// <summary>The result of a C-ECHO to a PACS.</summary>
    public sealed record PacsEchoResult
    {
        public string HostName { get; init; } = "";
        public int Port { get; init; }
        public string CalledAeTitle { get; init; } = "";
        public bool Success { get; init; }
        public double RoundTripMilliseconds { get; init; }
        public string TransferSyntax { get; init; } = "";
        public long PeerMaxPduLength { get; init; }
        public string PeerImplementation { get; init; } = "";
        /// <summary>Set when the echo worked but the PACS did not confirm the release afterwards (not a failure of the echo).</summary>
        public string? Warning { get; init; }
    }

    /// <summary>The result of moving one study (C-MOVE) to a destination AE.</summary>
    public sealed record PacsMoveResult
    {
        public string StudyInstanceUid { get; init; } = "";
        public string Destination { get; init; } = "";
        public bool Success { get; init; }
        /// <summary>Sub-operation counts of the PACS's final response; empty (null) where it did not report one.</summary>
        public int? Completed { get; init; }
        public int? Failed { get; init; }
        public int? Warning { get; init; }
        /// <summary>The instances the PACS says it could not send (Failed SOP Instance UID List).</summary>
        public IReadOnlyList<string> FailedSopInstanceUids { get; init; } = Array.Empty<string>();
        /// <summary>The final DIMSE status, as four hex digits.</summary>
        public string Status { get; init; } = "";
        /// <summary>The final status explained.</summary>
        public string Message { get; init; } = "";
    }

    /// <summary>Reports a move's progress synchronously, tagged with its study (Progress&lt;T&gt; would post it out of order).</summary>
    internal sealed class StudyProgress : IProgress<DicomMoveProgress>
    {
        private readonly string _uid;
        private readonly IProgress<(string Uid, DicomMoveProgress Progress)> _target;

        public StudyProgress(string uid, IProgress<(string Uid, DicomMoveProgress Progress)> target)
        {
            _uid = uid;
            _target = target;
        }

        public void Report(DicomMoveProgress value) => _target.Report((_uid, value));
    }

    /// <summary>Echo and move over our DICOM client, with settings taken from a <see cref="PacsConnection"/>.</summary>
    public static class PacsDicom
    {
        public static DicomClientOptions Options(PacsConnection connection)
        {
            var timeout = TimeSpan.FromSeconds(connection.TimeoutSeconds);
            return new DicomClientOptions
            {
                Host = connection.HostName,
                Port = connection.Port,
                CalledAeTitle = connection.CalledAeTitle,
                CallingAeTitle = connection.CallingAeTitle,
                ConnectTimeout = timeout,
                AssociationTimeout = timeout,
                ResponseTimeout = timeout,
            };
        }

        public static async Task<PacsEchoResult> EchoAsync(PacsConnection connection, CancellationToken cancellationToken)
        {
            var echo = await DicomClient.EchoAsync(Options(connection), cancellationToken).ConfigureAwait(false);
            return new PacsEchoResult
            {
                HostName = connection.HostName,
                Port = connection.Port,
                CalledAeTitle = connection.CalledAeTitle,
                Success = echo.IsSuccess,
                RoundTripMilliseconds = Math.Round(echo.RoundTrip.TotalMilliseconds, 1),
                TransferSyntax = echo.AcceptedTransferSyntax.ToString(),
                PeerMaxPduLength = echo.PeerMaxPduLength,
                PeerImplementation = string.IsNullOrEmpty(echo.PeerImplementationVersionName)
                    ? echo.PeerImplementationClassUid
                    : $"{echo.PeerImplementationVersionName} ({echo.PeerImplementationClassUid})",
                Warning = echo.ReleaseWarning,
            };
        }

        /// <summary>
        /// Moves studies one after another over one association. Each result (or the exception that ended that
        /// study's move) goes to <paramref name="onResult"/>; an association that failed is replaced for the next study.
        /// </summary>
        public static async Task MoveAsync(PacsConnection connection, string destination, IEnumerable<string> studyInstanceUids,
            Action<string, PacsMoveResult?, Exception?> onResult, IProgress<(string Uid, DicomMoveProgress Progress)>? progress, CancellationToken cancellationToken)
        {
            var options = Options(connection);
            DicomAssociation? association = null;
            try
            {
                foreach (var uid in studyInstanceUids)
                {
                    try
                    {
                        if (association is not { IsUsable: true })
                        {
                            association?.Dispose();
                            association = await DicomAssociation.OpenAsync(options, DicomServices.StudyRootMove, cancellationToken).ConfigureAwait(false);
                        }
                        var identifier = new DicomDataset().Set(DicomTags.QueryRetrieveLevel, "STUDY").Set(DicomTags.StudyInstanceUid, uid);
                        var reporter = progress is null ? null : new StudyProgress(uid, progress);
                        var move = await association.MoveAsync(QueryRetrieveModel.StudyRoot, destination, identifier, reporter, cancellationToken).ConfigureAwait(false);
                        onResult(uid, new PacsMoveResult
                        {
                            StudyInstanceUid = uid,
                            Destination = destination,
                            Success = move.IsSuccess,
                            Completed = move.Completed,
                            Failed = move.Failed,
                            Warning = move.Warning,
                            FailedSopInstanceUids = move.FailedSopInstanceUids,
                            Status = move.Status.Code.ToString("X4", System.Globalization.CultureInfo.InvariantCulture),
                            Message = move.Message,
                        }, null);
                    }
                    catch (Exception ex) when (ex is DicomException || ex is System.IO.IOException)
                    {
                        onResult(uid, null, ex);
                    }
                }
                // Every move has been answered; a release the PACS does not confirm changes none of them.
                if (association is { IsUsable: true }) await association.ReleaseAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                association?.Dispose();
            }
        }
    }
}
