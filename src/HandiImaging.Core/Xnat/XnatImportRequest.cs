using System;
using HandiImaging.Core.Failures;

namespace HandiImaging.Core.Xnat
{
    /// <summary>Where a study is on its way into XNAT.</summary>
    public enum XnatImportStatus
    {
        /// <summary>In XNAT's import queue (QUEUED or PROCESSING).</summary>
        Queued,
        /// <summary>DQR has sent the C-MOVE (ISSUED); the data has not been seen arriving yet.</summary>
        Issued,
        /// <summary>Final: the data reached XNAT (RECEIVED).</summary>
        Received,
        /// <summary>Final: DQR gave up after its retries (FAILED, no longer queued).</summary>
        Failed,
        /// <summary>Final: ISSUED for longer than the stale limit; XNAT will not mark it received any more.</summary>
        Stale,
        /// <summary>Final: XNAT answered the import request without this study (no series on PACS, PACS not queryable, …).</summary>
        Dropped,
        /// <summary>Final: the import request got no answer and the queue does not hold the study; not re-sent.</summary>
        NotConfirmed,
        /// <summary>Final: neither in the queue nor in the history any more.</summary>
        Lost,
        /// <summary>Final: not requested, because the input cannot be imported as it is (no UID, accession or subject).</summary>
        Rejected,
        /// <summary>Not requested: the project already holds a session with this StudyInstanceUID.</summary>
        AlreadyInXnat,
        /// <summary>Not requested: XNAT's import queue already holds this study for the project.</summary>
        AlreadyQueued,
        /// <summary>Not requested: the same StudyInstanceUID came earlier in this run.</summary>
        Duplicate,
        /// <summary>Still on its way when waiting stopped (timeout).</summary>
        Pending,
    }

    /// <summary>A study to import: what the PACS query (or a ledger row) says about it.</summary>
    public sealed record XnatImportStudy
    {
        public string StudyInstanceUid { get; init; } = "";
        /// <summary>The hospital ID (PACS PatientID).</summary>
        public string HospitalId { get; init; } = "";
        /// <summary>The XNAT subject label (NHS number or NN_&lt;HospitalId&gt;).</summary>
        public string Subject { get; init; } = "";
        /// <summary>The accession number: the XNAT session label.</summary>
        public string AccessionNumber { get; init; } = "";
        public DateTime? StudyDate { get; init; }
        public string StudyDescription { get; init; } = "";
    }

    /// <summary>
    /// One study's import request and its state. Its property names bind by name to Wait-XnatImport, and its
    /// study fields are what a failure record needs (<see cref="ToFailure"/>).
    /// </summary>
    public sealed record XnatImportRequest
    {
        public string Project { get; init; } = "";
        public long PacsId { get; init; }
        public string StudyInstanceUid { get; init; } = "";
        public string Subject { get; init; } = "";
        public string AccessionNumber { get; init; } = "";
        public string HospitalId { get; init; } = "";
        public DateTime? StudyDate { get; init; }
        public string StudyDescription { get; init; } = "";
        public XnatImportStatus Status { get; init; }
        /// <summary>Why the status is what it is (XNAT's error message for a failed transfer).</summary>
        public string Reason { get; init; } = "";
        /// <summary>The queue entry's id (history rows have their own ids; correlation is by UID and queued time).</summary>
        public long? RequestId { get; init; }
        /// <summary>When XNAT queued it (UTC, from the queue entry).</summary>
        public DateTime? QueuedTime { get; init; }
        /// <summary>When DQR last issued the C-MOVE (UTC).</summary>
        public DateTime? ExecutedTime { get; init; }
        /// <summary>Failed attempts XNAT has recorded (history rows in FAILED).</summary>
        public int Attempts { get; init; }
        /// <summary>When this run asked (UTC).</summary>
        public DateTime RequestedAt { get; init; }
        /// <summary><see cref="QueuedTime"/> in epoch milliseconds, as DQR writes it (history rows copy it from the queue entry).</summary>
        internal long? QueuedTimeMs => QueuedTime.HasValue ? XnatValues.ToEpochMilliseconds(QueuedTime.Value) : (long?)null;

        /// <summary>True for the states a wait ends in.</summary>
        public bool IsFinal => Status switch
        {
            XnatImportStatus.Queued or XnatImportStatus.Issued or XnatImportStatus.Pending => false,
            _ => true,
        };

        /// <summary>True when XNAT will not get this study without someone acting: a failure for the ledger.</summary>
        public bool IsFailure => Status switch
        {
            XnatImportStatus.Failed or XnatImportStatus.Stale or XnatImportStatus.Dropped or XnatImportStatus.NotConfirmed
                or XnatImportStatus.Lost or XnatImportStatus.Rejected => true,
            _ => false,
        };

        /// <summary>The failure record for the ledger, with the study's description from the original query.</summary>
        public IngestFailure ToFailure(string source) => new IngestFailure
        {
            Subject = Subject,
            StudyDate = XnatValues.FormatDate(StudyDate),
            AccessionNumber = AccessionNumber,
            StudyDescription = StudyDescription,
            StudyInstanceUid = StudyInstanceUid,
            HospitalId = HospitalId,
            Source = source,
        };

        public override string ToString() => $"{StudyInstanceUid} {Status}";
    }
}
