using System;

namespace HandiImaging.Dicom;

/// <summary>Base of every error this library raises about a DICOM peer or DICOM data.</summary>
public class DicomException : Exception
{
    public DicomException(string message) : base(message) { }
    public DicomException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>Bytes that break the DICOM encoding rules (malformed PDU, element, command or dataset).</summary>
public sealed class DicomProtocolException : DicomException
{
    public DicomProtocolException(string message) : base(message) { }
    public DicomProtocolException(string message, Exception? inner) : base(message, inner) { }

    internal DicomProtocolException(string message, byte abortReason) : base(message)
    {
        AbortReason = abortReason;
    }

    /// <summary>The A-ABORT reason (PS3.8 Table 9-26) we send for it: 6 (invalid PDU parameter value) unless said otherwise.</summary>
    internal byte AbortReason { get; } = Pdu.AbortReasons.InvalidParameterValue;
}

/// <summary>No TCP connection could be made, or the peer closed it unexpectedly.</summary>
public sealed class DicomConnectionException : DicomException
{
    public DicomConnectionException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The peer answered A-ASSOCIATE-RJ. <see cref="Exception.Message"/> says what to fix.</summary>
public sealed class DicomAssociationRejectedException : DicomException
{
    public DicomAssociationRejectedException(string message, byte result, byte source, byte reason)
        : base(message)
    {
        Result = result;
        RejectSource = source;
        Reason = reason;
    }

    /// <summary>1 = permanent, 2 = transient.</summary>
    public byte Result { get; }
    /// <summary>1 = service user, 2 = service provider (ACSE), 3 = service provider (presentation).</summary>
    public byte RejectSource { get; }
    public byte Reason { get; }
    public bool IsTransient => Result == 2;
}

/// <summary>The association ended abnormally: the peer sent A-ABORT or dropped it mid-operation.</summary>
public sealed class DicomAssociationAbortedException : DicomException
{
    public DicomAssociationAbortedException(string message, bool onFirstRequest, Exception? inner = null)
        : base(message, inner)
    {
        OnFirstRequest = onFirstRequest;
    }

    /// <summary>
    /// True when the peer accepted the association and then dropped it on our first request: the usual sign
    /// that our calling AE title is not registered on the PACS (Orthanc behaves so).
    /// </summary>
    public bool OnFirstRequest { get; }
}

/// <summary>The peer accepted the association but not the presentation context a service needs.</summary>
public sealed class DicomServiceNotAcceptedException : DicomException
{
    public DicomServiceNotAcceptedException(string message) : base(message) { }
}

/// <summary>Which deadline expired.</summary>
public enum DicomTimeoutPhase
{
    Connect,
    Association,
    Response,
    Move,
    Release,
}

/// <summary>A deadline expired; the association (if any) has been aborted and closed.</summary>
public sealed class DicomTimeoutException : DicomException
{
    public DicomTimeoutException(string message, DicomTimeoutPhase phase, TimeSpan timeout) : base(message)
    {
        Phase = phase;
        Timeout = timeout;
    }

    public DicomTimeoutPhase Phase { get; }
    public TimeSpan Timeout { get; }
}
