using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading.Tasks;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Commands
{
    /// <summary>Asks PACS to send studies to a DICOM destination (C-MOVE).</summary>
    /// <remarks>
    /// <para>Send-PacsStudy asks the PACS to send each study, by StudyInstanceUID, to the destination AE title —
    /// for example XNAT's DICOM receiver (AE XNAT, port 8104, by default), for sites without XNAT's
    /// query-retrieve plugin. Studies are moved one after another over one association.</para>
    /// <para>Each study gives a PacsMoveResult with the completed, failed and warning sub-operation counts and
    /// the final status explained. A move that failed is a non-terminating error carrying its result. The
    /// destination must be known to the PACS (registered with its host and port there); an unknown destination
    /// is reported as such.</para>
    /// </remarks>
    /// <example>
    /// <code>Find-PacsStudy -Connection $pacs -PatientId H1234567 | Select-RelevantStudy -RuleSet $rules | Send-PacsStudy -Connection $pacs -Destination XNAT</code>
    /// <para>Sends one patient's relevant studies to XNAT's DICOM receiver.</para>
    /// </example>
    /// <example>
    /// <code>Send-PacsStudy -Connection $pacs -Destination XNAT -StudyInstanceUid 1.2.826.0.1.3680043.2.1125.1 -WhatIf</code>
    /// <para>Shows what would be moved without asking the PACS to move anything.</para>
    /// </example>
    [Cmdlet(VerbsCommunications.Send, "PacsStudy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(PacsMoveResult))]
    public sealed class SendPacsStudyCommand : HandiCmdlet
    {
        private readonly List<string> _studies = new List<string>();

        /// <summary>The PACS that holds the studies: a PacsConnection from New-PacsConnection, or a hashtable with the same keys.</summary>
        [Parameter(Mandatory = true)]
        [PacsConnectionTransformation]
        public PacsConnection Connection { get; set; } = null!;

        /// <summary>The AE title the PACS should send the studies to (registered on the PACS), e.g. XNAT.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [Alias("MoveDestination")]
        public string Destination { get; set; } = "";

        /// <summary>The studies to send. Binds from the StudyInstanceUid property of piped studies.</summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        public string[] StudyInstanceUid { get; set; } = Array.Empty<string>();

        protected override void BeginProcessing()
        {
            try
            {
                Destination = PacsConnection.CheckAeTitle(Destination, "destination");
            }
            catch (ArgumentException ex)
            {
                Fail(ex, "InvalidMoveDestination", ErrorCategory.InvalidArgument, Destination);
            }
        }

        protected override void ProcessRecord()
        {
            foreach (var uid in StudyInstanceUid)
            {
                if (string.IsNullOrWhiteSpace(uid)) continue;
                if (ShouldProcess($"study {uid.Trim()} on {Connection}", $"Send to {Destination}")) _studies.Add(uid.Trim());
            }
        }

        protected override void EndProcessing()
        {
            if (_studies.Count == 0) return;
            using var pump = new PipelinePump();
            var done = 0;
            var progress = new Progress(this, pump);
            var run = PacsDicom.MoveAsync(Connection, Destination, _studies, (uid, result, error) => pump.Post(() =>
            {
                done++;
                WriteProgress(new ProgressRecord(1, $"Sending studies to {Destination}", $"{done} of {_studies.Count} studies") { PercentComplete = done * 100 / _studies.Count });
                if (error != null) WriteError(PacsErrors.Record(error, uid, $"Moving study {uid} failed"));
                else if (!result!.Success) WriteError(new ErrorRecord(new PacsQueryFailedException(result.Message), "PacsMoveFailed", ErrorCategory.InvalidResult, result));
                else WriteObject(result);
            }), progress, StopToken).ContinueWith(_ => pump.Complete(), TaskScheduler.Default);
            try
            {
                pump.DrainUntilComplete(StopToken);
                run.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            WriteProgress(new ProgressRecord(1, $"Sending studies to {Destination}", "Done") { RecordType = ProgressRecordType.Completed });
        }

        /// <summary>Shows sub-operation counts of the study being moved.</summary>
        private sealed class Progress : IProgress<(string Uid, Dicom.DicomMoveProgress Progress)>
        {
            private readonly SendPacsStudyCommand _cmdlet;
            private readonly PipelinePump _pump;

            public Progress(SendPacsStudyCommand cmdlet, PipelinePump pump)
            {
                _cmdlet = cmdlet;
                _pump = pump;
            }

            public void Report((string Uid, Dicom.DicomMoveProgress Progress) value) => _pump.Post(() =>
                _cmdlet.WriteProgress(new ProgressRecord(2, $"Study {value.Uid}", $"{value.Progress.Completed ?? 0} sent, {value.Progress.Remaining ?? 0} remaining, {value.Progress.Failed ?? 0} failed") { ParentActivityId = 1 }));
        }
    }
}
