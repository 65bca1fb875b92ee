using System;
using System.Management.Automation;
using HandiImaging.Core.Pacs;
using HandiImaging.Dicom;

namespace HandiImaging
{
    /// <summary>Stable ErrorIds and categories for what goes wrong talking to a PACS.</summary>
    internal static class PacsErrors
    {
        public static ErrorRecord Record(Exception exception, object? target, string? context = null)
        {
            var (id, category) = exception switch
            {
                DicomAssociationRejectedException _ => ("PacsAssociationRejected", ErrorCategory.PermissionDenied),
                DicomAssociationAbortedException _ => ("PacsAssociationAborted", ErrorCategory.ConnectionError),
                DicomConnectionException _ => ("PacsUnreachable", ErrorCategory.ConnectionError),
                DicomTimeoutException _ => ("PacsTimeout", ErrorCategory.OperationTimeout),
                DicomServiceNotAcceptedException _ => ("PacsServiceNotAccepted", ErrorCategory.NotImplemented),
                DicomProtocolException _ => ("PacsProtocolError", ErrorCategory.ProtocolError),
                PacsQueryFailedException _ => ("PacsQueryFailed", ErrorCategory.InvalidResult),
                StudyQueryKeyException _ => ("PacsQueryKeyNotMatchable", ErrorCategory.InvalidArgument),
                QueryBudgetExceededException _ => ("PacsQueryBudgetExceeded", ErrorCategory.LimitsExceeded),
                OperationCanceledException _ => ("PacsOperationStopped", ErrorCategory.OperationStopped),
                _ => ("PacsOperationFailed", ErrorCategory.NotSpecified),
            };
            var record = new ErrorRecord(exception, id, category, target);
            if (context != null) record.ErrorDetails = new ErrorDetails($"{context}: {exception.Message}");
            return record;
        }
    }
}
