using System.Net.Sockets;
using HandiImaging.Dicom.Pdu;

namespace HandiImaging.Dicom;

/// <summary>Turns protocol outcomes into sentences an administrator can act on.</summary>
internal static class DicomMessages
{
    public static string ConnectFailed(DicomClientOptions o, SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused =>
            $"Nothing is listening at {o.Endpoint} (connection refused) — check -HostName and -Port, and that the PACS is running.",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain =>
            $"Host name '{o.Host}' could not be resolved — check -HostName.",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable =>
            $"PACS at {o.Endpoint} is unreachable from this machine ({e.SocketErrorCode}) — check the network route and firewall.",
        _ => $"Could not connect to PACS at {o.Endpoint}: {e.Message}",
    };

    public static string Rejected(DicomClientOptions o, AssociateRejectPdu rj)
    {
        var why = (rj.Source, rj.Reason) switch
        {
            (1, 7) => $"called AE title '{o.CalledAeTitle}' is not recognised — check -CalledAeTitle (the PACS's own AE title)",
            (1, 3) => $"calling AE title '{o.CallingAeTitle}' is not recognised — ask the PACS administrator to register it " +
                      "(with this machine's address), or check -CallingAeTitle",
            (1, 2) => "the DICOM application context is not supported — is this really a DICOM port?",
            (1, _) => "the PACS gave no reason — check both AE titles with the PACS administrator",
            (2, 2) => "the protocol version is not supported",
            (2, _) => "the PACS gave no reason",
            (3, 1) => "it is temporarily congested — try again later or use fewer parallel associations",
            (3, 2) => "its limit of simultaneous associations is reached — use fewer parallel associations (-ThrottleLimit)",
            _ => $"result {rj.Result}, source {rj.Source}, reason {rj.Reason}",
        };
        var permanence = rj.Result == 2 ? " (transient: retrying later may succeed)" : "";
        return $"PACS at {o.Endpoint} rejected the association: {why}{permanence}.";
    }

    public static string ExplainMove(DicomClientOptions o, DicomStatus status, string destination, DicomMoveProgress counts, string? errorComment)
    {
        var tally = counts.Completed == null && counts.Failed == null && counts.Warning == null
            ? "sub-operation counts not reported"
            : $"{Count(counts.Completed)} completed, {Count(counts.Failed)} failed, {Count(counts.Warning)} warning";
        var comment = string.IsNullOrEmpty(errorComment) ? "" : $" PACS said: {errorComment}";
        return status.Code switch
        {
            0x0000 => $"Moved to '{destination}': {tally}.",
            0xA801 => $"PACS at {o.Endpoint} does not know the move destination '{destination}' (status {status}) — register that AE " +
                      $"title (with its host and port) on the PACS, or check -Destination.{comment}",
            0xFE00 => $"Move to '{destination}' was cancelled: {tally}.{comment}",
            0xB000 => $"Move to '{destination}' finished with failures: {tally} — check that '{destination}' accepts these images.{comment}",
            0xA700 or 0xA701 or 0xA702 => $"PACS at {o.Endpoint} is out of resources for this move (status {status}): {tally}.{comment}",
            0xA900 => $"PACS at {o.Endpoint} says the move identifier does not match the information model (status {status}).{comment}",
            _ when (status.Code & 0xF000) == 0xC000 =>
                $"PACS at {o.Endpoint} could not process the move (status {status}) — most often the destination AE '{destination}' " +
                $"is not known to the PACS; check -Destination and the PACS's list of DICOM nodes. {tally}.{comment}",
            _ => $"Move to '{destination}' ended with status {status}: {tally}.{comment}",
        };
    }

    private static string Count(int? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown";

    /// <summary>A presentation-context result (PS3.8 Table 9-18) in words.</summary>
    public static string ContextRefusal(PresentationContextResult result) => result switch
    {
        PresentationContextResult.UserRejection => "refused by the PACS (user rejection, 1)",
        PresentationContextResult.NoReason => "refused without a reason (2)",
        PresentationContextResult.AbstractSyntaxNotSupported => "service not supported (abstract syntax not supported, 3)",
        PresentationContextResult.TransferSyntaxesNotSupported => "none of our transfer syntaxes accepted (4)",
        _ => $"refused with result {(byte)result}",
    };

    public static string ServiceName(string sopClassUid) => sopClassUid switch
    {
        DicomUids.Verification => "Verification",
        DicomUids.StudyRootFind => "Study Root C-FIND",
        DicomUids.StudyRootMove => "Study Root C-MOVE",
        DicomUids.PatientRootFind => "Patient Root C-FIND",
        DicomUids.PatientRootMove => "Patient Root C-MOVE",
        _ => sopClassUid,
    };
}
