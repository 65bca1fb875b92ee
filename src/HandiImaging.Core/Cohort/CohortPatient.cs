using System;

namespace HandiImaging.Core.Cohort
{
    /// <summary>Where a patient is in the SOP: queried once with no date limit (New), then since the last query.</summary>
    public enum CohortStatus
    {
        New,
        Existing,
    }

    /// <summary>
    /// One cohort patient ready to be queried. Property names are the binding contract with the cmdlets that
    /// consume patients by property name: <c>PatientId</c> (what PACS knows) and <c>Since</c> (the lower bound of
    /// the query window; null means no limit) feed <c>Find-PacsStudy</c>; <c>PatientId</c> feeds
    /// <c>Update-Cohort</c>; <c>Subject</c>, <c>HospitalId</c>, <c>NhsNumber</c> and <c>ReferenceDate</c> are the
    /// columns the ID map and the reference-date file use.
    /// </summary>
    public sealed record CohortPatient
    {
        /// <summary>The hospital ID (MRN): DICOM PatientID, the key PACS is queried by.</summary>
        public string PatientId { get; init; } = "";

        /// <summary>The NHS number from the cohort file with spaces and dashes removed (<see cref="Cohort.NhsNumber.Normalize"/>); empty when the patient has none.</summary>
        public string NhsNumber { get; init; } = "";

        /// <summary>The XNAT subject label: the NHS number, or <c>NN_&lt;HospitalId&gt;</c> when there is none.</summary>
        public string Subject { get; init; } = "";

        /// <summary>False when an NHS number is present but fails the modulus-11 check (flagged, never fixed).</summary>
        public bool NhsNumberValid { get; init; }

        public CohortStatus Status { get; init; }

        /// <summary>The date PACS was last queried for this patient; null for a New patient.</summary>
        public DateTime? LastQueried { get; init; }

        /// <summary>Start of the query window: LastQueried minus the overlap for Existing patients; null (no limit) for New ones.</summary>
        public DateTime? Since { get; init; }

        /// <summary>Radiotherapy start date, when the cohort file has one.</summary>
        public DateTime? ReferenceDate { get; init; }

        /// <summary>The admins' free-text note, copied from the cohort file.</summary>
        public string? Note { get; init; }

        /// <summary>The cohort file's line this patient came from (1 = header).</summary>
        public long Line { get; init; }

        /// <summary>Same as <see cref="PatientId"/>, under the name the ID map and failure records use.</summary>
        public string HospitalId => PatientId;

        /// <summary>The subject label used when a patient has no NHS number.</summary>
        public static string SubjectFor(string hospitalId, string? nhsNumber) =>
            Cohort.NhsNumber.Normalize(nhsNumber) is { Length: > 0 } number ? number : "NN_" + hospitalId.Trim();
    }
}
