namespace HandiImaging.XnatDouble.Dqr;

/// <summary>
/// A DQR request, as a queue entry (<c>QueuedPacsRequest</c>) or a history row (<c>ExecutedPacsRequest</c>).
/// Field names follow DQR's <c>PacsRequest</c> entity, serialised by Jackson with nulls left out.
/// </summary>
public sealed class PacsRequest
{
    public long Id { get; set; }
    public bool Enabled { get; set; } = true;
    public long Created { get; set; }
    public long Timestamp { get; set; }
    public long Disabled { get; set; }
    public string Username { get; set; } = "";
    public string? UserDefinedId { get; set; }
    public long PacsId { get; set; }
    public string XnatProject { get; set; } = "";
    public string StudyInstanceUid { get; set; } = "";
    public List<string> SeriesIds { get; set; } = new();
    public string? RemappingScript { get; set; }
    public string DestinationAeTitle { get; set; } = "";
    public string DecodedAeAndPort => Uri.UnescapeDataString(DestinationAeTitle);
    public string Status { get; set; } = QueuedStatus;
    public long Priority { get; set; }
    public long QueuedTime { get; set; }
    /// <summary>History rows only.</summary>
    public long? ExecutedTime { get; set; }
    /// <summary>As the PACS sent it (DICOM <c>yyyyMMdd</c>; inferred: DQR copies the series' string).</summary>
    public string? StudyDate { get; set; }
    public string? StudyId { get; set; }
    public string? AccessionNumber { get; set; }
    public string? PatientId { get; set; }
    public string? PatientName { get; set; }
    public string? ErrorMessage { get; set; }

    public const string QueuedStatus = "QUEUED";
    public const string ProcessingStatus = "PROCESSING";
    public const string IssuedStatus = "ISSUED";
    public const string FailedStatus = "FAILED";
    public const string ReceivedStatus = "RECEIVED";

    internal PacsRequest Clone() => (PacsRequest)MemberwiseClone();
}

/// <summary>The double's bookkeeping for one queue entry (never serialised).</summary>
internal sealed class QueueEntryState
{
    public required PacsRequest Request { get; init; }
    /// <summary>The relabel map of the import (Subject, Session, Relabel …).</summary>
    public Dictionary<string, string> RelabelMap { get; init; } = new(StringComparer.Ordinal);
    public int Attempts { get; set; }
    /// <summary>Not to be dequeued before this time (the retry wait).</summary>
    public DateTimeOffset NotBefore { get; set; }
}

/// <summary>An ISSUED history row waiting for its data to arrive.</summary>
internal sealed class IssuedState
{
    public required PacsRequest History { get; init; }
    public required QueueEntryState Entry { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
}
