using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using HandiImaging.Core.Xnat;

namespace HandiImaging
{
    /// <summary>
    /// What the XNAT cmdlets share: the connection's call log as Verbose output (lines are queued, because
    /// keep-alives log from another thread, and written on the pipeline thread), and XNAT errors as ErrorRecords
    /// whose ErrorId is the stable XNAT error id.
    /// </summary>
    public abstract class XnatCmdlet : HandiCmdlet
    {
        private readonly ConcurrentQueue<string> _log = new ConcurrentQueue<string>();
        private XnatConnection? _attached;
        private Action<string>? _previousLog;

        /// <summary>Routes the connection's call lines to this cmdlet's Verbose stream until the cmdlet ends.</summary>
        protected void Attach(XnatConnection connection)
        {
            if (_attached != null) return;
            _attached = connection;
            _previousLog = connection.Log;
            connection.Log = line => _log.Enqueue(line);
        }

        /// <summary>Writes the queued call lines as Verbose messages (pipeline thread only).</summary>
        protected void FlushLog()
        {
            while (_log.TryDequeue(out var line)) WriteVerbose(line);
        }

        protected override void EndProcessing()
        {
            try
            {
                EndXnat();
            }
            finally
            {
                FlushLog();
                Detach();
            }
        }

        /// <summary>The cmdlet's EndProcessing work.</summary>
        protected virtual void EndXnat()
        {
        }

        private void Detach()
        {
            if (_attached != null) _attached.Log = _previousLog;
            _attached = null;
        }

        internal static ErrorRecord Record(XnatException exception, object? target)
        {
            var category = exception.ErrorId switch
            {
                XnatErrorId.AuthenticationFailed => ErrorCategory.AuthenticationError,
                XnatErrorId.Forbidden => ErrorCategory.PermissionDenied,
                XnatErrorId.NotFound => ErrorCategory.ObjectNotFound,
                XnatErrorId.BadRequest => ErrorCategory.InvalidArgument,
                XnatErrorId.Conflict => ErrorCategory.ResourceExists,
                XnatErrorId.Timeout => ErrorCategory.OperationTimeout,
                XnatErrorId.ConnectionFailed => ErrorCategory.ConnectionError,
                XnatErrorId.CertificateRejected => ErrorCategory.SecurityError,
                XnatErrorId.NotConnected => ErrorCategory.ConnectionError,
                XnatErrorId.ColumnMissing => ErrorCategory.InvalidResult,
                XnatErrorId.UnexpectedResponse => ErrorCategory.InvalidResult,
                _ => ErrorCategory.NotSpecified,
            };
            return new ErrorRecord(exception, exception.ErrorId, category, target);
        }

        /// <summary>Terminating error for an XNAT failure that stops the whole cmdlet.</summary>
        protected void FailXnat(XnatException exception, object? target)
        {
            FlushLog();
            ThrowTerminatingError(Record(exception, target));
        }
    }
}
