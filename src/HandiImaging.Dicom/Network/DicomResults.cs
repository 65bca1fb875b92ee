using System;
using System.Collections.Generic;

namespace HandiImaging.Dicom;

/// <summary>What a C-ECHO told us about the peer.</summary>
public sealed record DicomEchoResult
{
    public DicomStatus Status { get; init; }
    public bool IsSuccess => Status.IsSuccess;
    /// <summary>C-ECHO request to response, on an open association.</summary>
    public TimeSpan RoundTrip { get; init; }
    public DicomTransferSyntax AcceptedTransferSyntax { get; init; } = DicomTransferSyntax.ImplicitVRLittleEndian;
    /// <summary>The peer's maximum PDU length; 0 = unlimited.</summary>
    public uint PeerMaxPduLength { get; init; }
    public string PeerImplementationClassUid { get; init; } = "";
    public string? PeerImplementationVersionName { get; init; }
    /// <summary>Set when the echo succeeded but the PACS did not confirm the release (see <see cref="DicomAssociation.ReleaseProblem"/>).</summary>
    public string? ReleaseWarning { get; init; }
}

/// <summary>How a C-FIND ended (available once the matches have been enumerated to the end).</summary>
public sealed record DicomFindOutcome
{
    public DicomStatus Status { get; init; }
    public int MatchCount { get; init; }
    public string? ErrorComment { get; init; }
    public bool IsSuccess => Status.IsSuccess;

    /// <summary>
    /// A non-success final status after matches: the peer probably stopped early (a result cap, e.g. Orthanc's
    /// LimitFindResults ends with 0xFE00). Callers should narrow the query (split the date range) and merge.
    /// </summary>
    public bool IsPossiblyTruncated => !Status.IsSuccess && MatchCount > 0;
}

/// <summary>Sub-operation counts from a C-MOVE response; null where the peer sent none.</summary>
public sealed record DicomMoveProgress(int? Remaining, int? Completed, int? Failed, int? Warning);

/// <summary>How a C-MOVE ended, with its status explained for an administrator.</summary>
public sealed record DicomMoveResult
{
    public DicomStatus Status { get; init; }
    public string Destination { get; init; } = "";
    /// <summary>The counts of the final response; null where it left one out (unknown — not a pending response's figure).</summary>
    public int? Remaining { get; init; }
    public int? Completed { get; init; }
    public int? Failed { get; init; }
    public int? Warning { get; init; }
    /// <summary>Failed SOP Instance UID List (0008,0058) of the final response.</summary>
    public IReadOnlyList<string> FailedSopInstanceUids { get; init; } = Array.Empty<string>();
    public string? ErrorComment { get; init; }
    /// <summary>Final status success (0x0000) and no failed sub-operation; 0xB000 (some failed) never is.</summary>
    public bool IsSuccess => Status.IsSuccess && (Failed ?? 0) == 0 && FailedSopInstanceUids.Count == 0;
    /// <summary>A sentence that says what happened and, on failure, what to check.</summary>
    public string Message { get; init; } = "";
}
