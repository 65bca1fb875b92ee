using System;

namespace HandiImaging.Core.Xnat
{
    /// <summary>
    /// One image session as XNAT's project listing reports it. Property names bind by name to the cmdlets that
    /// take studies (StudyInstanceUid, AccessionNumber, Subject).
    /// </summary>
    public sealed record XnatSession
    {
        public string Project { get; init; } = "";
        /// <summary>The subject label in the project (NHS number or NN_&lt;HospitalId&gt;).</summary>
        public string Subject { get; init; } = "";
        public DateTime? Date { get; init; }
        /// <summary>XNAT's experiment ID (e.g. XNAT_E00012), unique on the site.</summary>
        public string Id { get; init; } = "";
        /// <summary>The session label in the project: the accession number, for sessions this procedure imported.</summary>
        public string Label { get; init; } = "";
        public string StudyInstanceUid { get; init; } = "";
        /// <summary>The DICOM accession number XNAT kept (dcmAccessionNumber).</summary>
        public string AccessionNumber { get; init; } = "";
        public string Scanner { get; init; } = "";
        public string Modality { get; init; } = "";
        /// <summary>Scans in the session; null unless asked for.</summary>
        public int? ScanCount { get; init; }
        /// <summary>MR, CT, PET, … (PET covers PET/MR sessions too).</summary>
        public string Type { get; init; } = "";
        public string XsiType { get; init; } = "";
        /// <summary>The XNAT user who created the session (insert_user).</summary>
        public string Creator { get; init; } = "";
        public DateTime? InsertDate { get; init; }
    }
}
