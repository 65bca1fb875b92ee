using System.Collections.Generic;

namespace HandiImaging.Dicom.Pdu;

/// <summary>Upper Layer PDU types (PS3.8 §9.3).</summary>
internal enum PduType : byte
{
    AssociateRequest = 1,
    AssociateAccept = 2,
    AssociateReject = 3,
    DataTransfer = 4,
    ReleaseRequest = 5,
    ReleaseResponse = 6,
    Abort = 7,
}

internal abstract record DicomPdu
{
    public abstract PduType Type { get; }
}

internal sealed record PresentationContextProposal(byte Id, string AbstractSyntax, IReadOnlyList<string> TransferSyntaxes);

/// <summary>Result/reason of a presentation context in A-ASSOCIATE-AC.</summary>
internal enum PresentationContextResult : byte
{
    Accepted = 0,
    UserRejection = 1,
    NoReason = 2,
    AbstractSyntaxNotSupported = 3,
    TransferSyntaxesNotSupported = 4,
}

internal sealed record PresentationContextAnswer(byte Id, PresentationContextResult Result, string TransferSyntax);

/// <summary>User information sub-items we send and read; MaxPduLength 0 means unlimited.</summary>
internal sealed record UserInformation(uint MaxPduLength, string ImplementationClassUid, string? ImplementationVersionName);

internal sealed record AssociateRequestPdu(
    string CalledAeTitle,
    string CallingAeTitle,
    string ApplicationContext,
    IReadOnlyList<PresentationContextProposal> PresentationContexts,
    UserInformation UserInformation) : DicomPdu
{
    public override PduType Type => PduType.AssociateRequest;
}

internal sealed record AssociateAcceptPdu(
    string CalledAeTitle,
    string CallingAeTitle,
    string ApplicationContext,
    IReadOnlyList<PresentationContextAnswer> PresentationContexts,
    UserInformation UserInformation) : DicomPdu
{
    public override PduType Type => PduType.AssociateAccept;
}

internal sealed record AssociateRejectPdu(byte Result, byte Source, byte Reason) : DicomPdu
{
    public override PduType Type => PduType.AssociateReject;
}

/// <summary>One PDV: a fragment of a command (IsCommand) or of a dataset.</summary>
internal sealed record PresentationDataValue(byte PresentationContextId, bool IsCommand, bool IsLastFragment, byte[] Data);

internal sealed record DataTransferPdu(IReadOnlyList<PresentationDataValue> Values) : DicomPdu
{
    public override PduType Type => PduType.DataTransfer;
}

internal sealed record ReleaseRequestPdu : DicomPdu
{
    public override PduType Type => PduType.ReleaseRequest;
}

internal sealed record ReleaseResponsePdu : DicomPdu
{
    public override PduType Type => PduType.ReleaseResponse;
}

/// <summary>A-ABORT sources and reasons (PS3.8 Table 9-26); a reason is given only with source 2.</summary>
internal static class AbortReasons
{
    public const byte ServiceUser = 0;
    public const byte ServiceProvider = 2;

    public const byte NotSpecified = 0;
    public const byte UnrecognizedPdu = 1;
    public const byte UnexpectedPdu = 2;
    public const byte UnexpectedParameter = 5;
    public const byte InvalidParameterValue = 6;
}

/// <summary>Source 0 = service user, 2 = service provider.</summary>
internal sealed record AbortPdu(byte Source, byte Reason) : DicomPdu
{
    public override PduType Type => PduType.Abort;
}
