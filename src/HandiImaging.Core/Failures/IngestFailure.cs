using System.Globalization;

namespace HandiImaging.Core.Failures
{
    /// <summary>
    /// One study the ingestion team could not ingest, as the procedure reports it: the XNAT subject, the
    /// study's date, accession number, description and UID, the hospital ID it was reported under, and where
    /// in the failure text it came from.
    /// </summary>
    public sealed class IngestFailure
    {
        /// <summary>XNAT subject label: the NHS number, or NN_&lt;HospitalId&gt; when there is none.</summary>
        public string Subject { get; set; } = "";

        /// <summary>yyyy-MM-dd when the text held a readable date (ISO or DICOM); otherwise the text as written.</summary>
        public string StudyDate { get; set; } = "";

        public string AccessionNumber { get; set; } = "";

        /// <summary>Verbatim, including any commas, quotes and spaces.</summary>
        public string StudyDescription { get; set; } = "";

        public string StudyInstanceUid { get; set; } = "";

        /// <summary>The patient's hospital ID (PACS PatientID) the failure was reported under.</summary>
        public string HospitalId { get; set; } = "";

        /// <summary>"file:line" of the record in the failure text.</summary>
        public string Source { get; set; } = "";

        public override string ToString() =>
            string.Format(CultureInfo.InvariantCulture, "{0} {1} {2} {3}", Subject, StudyDate, AccessionNumber, StudyInstanceUid);
    }

    /// <summary>A failure record exactly as read from the text, before placeholder, duplicate and ID-map rules.</summary>
    public sealed class RawFailureRecord
    {
        public RawFailureRecord(string source, long line, string accessionNumber, string hospitalId, string studyDate,
            string studyDescription, string studyInstanceUid)
        {
            SourceName = source;
            Line = line;
            AccessionNumber = accessionNumber;
            HospitalId = hospitalId;
            StudyDate = studyDate;
            StudyDescription = studyDescription;
            StudyInstanceUid = studyInstanceUid;
        }

        public string SourceName { get; }
        /// <summary>1-based line on which the record starts.</summary>
        public long Line { get; }
        public string AccessionNumber { get; }
        public string HospitalId { get; }
        /// <summary>As written (trimmed); see <see cref="FailureDate"/> for normalisation.</summary>
        public string StudyDate { get; }
        public string StudyDescription { get; }
        public string StudyInstanceUid { get; }

        public string Source => SourceName + ":" + Line.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>One item of a parse: a record, or the reason a record could not be read (never both).</summary>
    public readonly struct FailureReadItem<T> where T : class
    {
        public FailureReadItem(T record) { Record = record; Error = null; }
        public FailureReadItem(IO.InputFormatException error) { Record = null; Error = error; }

        public T? Record { get; }
        public IO.InputFormatException? Error { get; }
    }
}
