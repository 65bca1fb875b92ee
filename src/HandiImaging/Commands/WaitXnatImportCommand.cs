using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Failures;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Commands
{
    /// <summary>Waits until XNAT has received, or given up on, each requested import; returns the failures.</summary>
    /// <remarks>
    /// <para>Wait-XnatImport follows the requests from Request-XnatImport through XNAT's import queue and history
    /// (GET /xapi/dqr/import/queue and /history), polling every -PollInterval. History rows have their own ids,
    /// so requests are matched by StudyInstanceUID and queued time. A request ends Received (the data reached
    /// XNAT), Failed (XNAT gave up after its retries), Stale (ISSUED for longer than -StaleAfter; XNAT itself
    /// stops watching for the data an hour after the move) or Lost (gone from both queue and history).</para>
    /// <para>For each request that will not arrive — Failed, Stale, Lost, and those Request-XnatImport already
    /// found Dropped, NotConfirmed or Rejected — it writes an IngestFailure with the subject, date, accession
    /// number, the description from the original PACS query and the UID, so piping into Add-IngestFailure
    /// records the quarter's failures. With -PassThru it writes every request in its final state instead
    /// (XnatImportRequest). Skipped requests (AlreadyInXnat, AlreadyQueued, Duplicate) are not failures.</para>
    /// <para>Progress shows received, failed and pending counts. After -Timeout, requests still on their way are
    /// listed in a warning and are not failures (they may still arrive). Ctrl+C stops waiting and prints what is
    /// still pending.</para>
    /// </remarks>
    /// <example>
    /// <code>$studies | Request-XnatImport -Connection $xnat -Project RT-HaND -PacsId 1 -IdMapPath ./HospitalID-NHSNumber.csv | Wait-XnatImport -Connection $xnat | Add-IngestFailure -LedgerPath ./failure-ledger.csv</code>
    /// <para>Imports the studies and records the ones that fail in the ledger.</para>
    /// </example>
    /// <example>
    /// <code>$requests | Wait-XnatImport -Connection $xnat -PassThru -Timeout 04:00:00 | Group-Object Status -NoElement</code>
    /// <para>Waits up to four hours and counts the final states.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Wait, "XnatImport")]
    [OutputType(typeof(IngestFailure))]
    [OutputType(typeof(XnatImportRequest))]
    public sealed class WaitXnatImportCommand : XnatCmdlet
    {
        private readonly List<XnatImportRequest> _requests = new List<XnatImportRequest>();
        private readonly object _sync = new object();
        private readonly HashSet<string> _finishedUids = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>The connection from Connect-Xnat.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNull]
        public XnatConnection Connection { get; set; } = null!;

        /// <summary>The requests from Request-XnatImport.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        [ValidateNotNull]
        public XnatImportRequest[] InputObject { get; set; } = Array.Empty<XnatImportRequest>();

        /// <summary>An ISSUED request not received this long after XNAT issued the move is Stale (default one hour, XNAT's own limit).</summary>
        [Parameter]
        public TimeSpan StaleAfter { get; set; } = TimeSpan.FromHours(1);

        /// <summary>Stop waiting after this long (default: no limit); requests still on their way are reported, not failed.</summary>
        [Parameter]
        public TimeSpan? Timeout { get; set; }

        /// <summary>Time between polls of XNAT's queue and history (default 30 seconds).</summary>
        [Parameter]
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Write every request in its final state (XnatImportRequest) instead of failure records.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord() => _requests.AddRange(InputObject.Where(r => r != null));

        protected override void EndXnat()
        {
            if (PollInterval <= TimeSpan.Zero) Fail(new ArgumentException("-PollInterval must be positive."), "InvalidPollInterval", ErrorCategory.InvalidArgument, PollInterval);
            Attach(Connection);
            var options = new XnatImportWaitOptions { PollInterval = PollInterval, StaleAfter = StaleAfter, Timeout = Timeout };
            var progress = new ProgressRecord(1, $"Waiting for {_requests.Count} XNAT import(s)", "polling XNAT's import queue and history");
            IReadOnlyList<XnatImportRequest> final;
            try
            {
                final = new XnatImportWaiter(Connection).Wait(_requests, options, request =>
                {
                    lock (_sync) _finishedUids.Add(request.StudyInstanceUid);
                    Emit(request);
                }, new InlineProgress<XnatImportWaitProgress>(p =>
                {
                    FlushLog();
                    var done = p.Received + p.Failed;
                    progress.StatusDescription = $"{p.Received} received, {p.Failed} not arriving, {p.Queued} queued, {p.Issued} issued ({p.Elapsed:hh\\:mm\\:ss})";
                    progress.PercentComplete = p.Total == 0 ? 100 : done * 100 / p.Total;
                    WriteProgress(progress);
                }), StopToken);
            }
            catch (XnatException ex)
            {
                FailXnat(ex, Connection.Uri);
                return;
            }
            catch (OperationCanceledException)
            {
                // StopProcessing has told the user what was still pending.
                throw new PipelineStoppedException();
            }
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            var pending = final.Where(r => r.Status == XnatImportStatus.Pending).ToList();
            if (pending.Count > 0)
            {
                WriteWarning($"{pending.Count} import(s) still on their way when waiting stopped: {string.Join(", ", pending.Select(r => r.StudyInstanceUid))}");
                if (PassThru) foreach (var request in pending) WriteObject(request);
            }
        }

        private void Emit(XnatImportRequest request)
        {
            WriteVerbose($"{request.StudyInstanceUid}: {request.Status}{(request.Reason.Length > 0 ? " (" + request.Reason + ")" : "")}");
            if (PassThru)
            {
                WriteObject(request);
                return;
            }
            if (request.IsFailure) WriteObject(request.ToFailure($"XNAT {Connection.Uri.Host} import {request.Status}: {request.Reason}"));
        }

        protected override void StopProcessing()
        {
            base.StopProcessing();
            List<string> pending;
            lock (_sync) pending = _requests.Where(r => !r.IsFinal && !_finishedUids.Contains(r.StudyInstanceUid)).Select(r => r.StudyInstanceUid).ToList();
            if (pending.Count == 0) return;
            try
            {
                Host.UI.WriteWarningLine($"Stopped waiting; {pending.Count} XNAT import(s) still pending: {string.Join(", ", pending)}");
            }
            catch (Exception ex) when (ex is PSInvalidOperationException || ex is NotImplementedException || ex is System.Management.Automation.Host.HostException)
            {
                // A host without a UI: nothing to print to.
            }
        }
    }
}
