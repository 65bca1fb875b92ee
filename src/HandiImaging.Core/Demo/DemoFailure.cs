namespace HandiImaging.Core.Demo
{
    /// <summary>
    /// One synthetic ingestion failure as the ingestion team would report it. The demo quarter generates
    /// these; the failure-text writer renders them in the messy shapes real failure files arrive in.
    /// </summary>
    /// <param name="HospitalId">The patient's hospital ID (what PACS knows).</param>
    /// <param name="AccessionNumber">Accession number of the study that was not ingested.</param>
    /// <param name="StudyDate">Study date, yyyy-MM-dd (2099-01-01 for a scheduled-not-done placeholder).</param>
    /// <param name="StudyDescription">Study description as PACS has it (may contain commas and quotes).</param>
    /// <param name="StudyInstanceUid">The study's UID; may be empty in real data.</param>
    public sealed record DemoFailure(string HospitalId, string AccessionNumber, string StudyDate, string StudyDescription, string StudyInstanceUid);
}
