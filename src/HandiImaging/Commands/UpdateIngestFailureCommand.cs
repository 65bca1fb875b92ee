using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Failures;
using HandiImaging.Core.Xnat;
using HandiImaging.Core.IO;

namespace HandiImaging.Commands
{
    /// <summary>Marks ledger failures Resolved when their study now appears in XNAT's session exports.</summary>
    /// <remarks>
    /// <para>Update-IngestFailure reads the session exports in -SessionPath (MR.csv, CT.csv, PET.csv, CR.csv,
    /// DX.csv, RF.csv, SR.csv, XA.csv, as downloaded from XNAT) and marks each Open ledger row Resolved, with
    /// ResolvedOn set, when XNAT holds its study: its StudyInstanceUID is in a column headed UID (CT, PET,
    /// DX), or its accession number is a session label (column 3 of every export, which XNAT sets to the
    /// accession number). Column 4 headed ID (CR, RF, SR, XA) is not used, since it is not the accession
    /// number.</para>
    /// <para>Nothing is deleted and Resolved rows are never reopened. The ledger is locked, read, updated and
    /// replaced atomically, keeping the previous version as .bak. An export missing from the folder is a
    /// warning (its studies stay Open); a folder with none of them is an error (SessionFileMissing).</para>
    /// </remarks>
    /// <example>
    /// <code>Update-IngestFailure -LedgerPath ./failure-ledger.csv -SessionPath ./2024-Q2</code>
    /// <para>Resolves the failures that have since been ingested and returns a summary.</para>
    /// </example>
    /// <example>
    /// <code>Update-IngestFailure ./failure-ledger.csv ./2024-Q2 -PassThru | Format-Table AccessionNumber, StudyInstanceUid, ResolvedOn</code>
    /// <para>Lists the rows this run resolved.</para>
    /// </example>
    [Cmdlet(VerbsData.Update, "IngestFailure", SupportsShouldProcess = true)]
    [OutputType(typeof(IngestFailureLedgerChange))]
    [OutputType(typeof(IngestFailureLedgerEntry))]
    public sealed class UpdateIngestFailureCommand : HandiCmdlet
    {
        /// <summary>The failure ledger CSV to update, taken literally (no wildcards); it must exist.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string LedgerPath { get; set; } = "";

        /// <summary>The folder holding XNAT's session exports (MR.csv … XA.csv), taken literally (no wildcards).</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string SessionPath { get; set; } = "";

        /// <summary>The date recorded as ResolvedOn; today by default.</summary>
        [Parameter]
        [UserDateTransformation]
        public DateTime AsOf { get; set; } = DateTime.Today;

        /// <summary>Return the rows this run resolved instead of the summary.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void EndProcessing()
        {
            RequirePastDate(AsOf, nameof(AsOf));
            var ledgerPath = ResolveExistingFile(LedgerPath, literal: true, nameof(LedgerPath));
            var folder = ResolveExistingFolder(SessionPath, nameof(SessionPath), "SessionFolderNotFound", "the session exports (CT.csv … XA.csv)");
            EnsureOutputIsNotInput(ledgerPath, nameof(LedgerPath),
                XnatSessionExports.Locate(folder).Where(e => e.Path != null).Select(e => ((string?)e.Path, $"{nameof(SessionPath)}'s {e.FileName}")), ProtectedFileKind.FailureLedger);

            XnatSessionIndex sessions;
            try
            {
                sessions = XnatSessionIndex.Load(folder);
            }
            catch (InputFormatException ex)
            {
                // A misread export could resolve the wrong failure, so nothing is resolved from a bad one.
                Fail(ex, "SessionFileUnreadable", ErrorCategory.InvalidData, ex.File);
                return;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Fail(ex, "SessionFileUnreadable", CategoryOf(ex), folder);
                return;
            }
            if (sessions.FilesRead.Count == 0)
                Fail(new FileNotFoundException($"None of the session exports ({string.Join(", ", XnatSessionExports.Types.Select(t => t + ".csv"))}) is in {folder}."), "SessionFileMissing", ErrorCategory.ObjectNotFound, folder);
            if (sessions.MissingFiles.Count > 0)
                WriteWarning($"{string.Join(", ", sessions.MissingFiles)} not found in {folder}; failures only those exports would resolve stay Open.");
            WriteVerbose($"{sessions.Sessions} sessions ({sessions.Uids} UIDs) read from {sessions.FilesRead.Count} export(s) in {folder}.");

            IngestFailureLedgerChange change;
            try
            {
                change = new IngestFailureLedger(ledgerPath).Resolve(sessions, AsOf, StopToken,
                    plan => ShouldProcess(ledgerPath, $"Mark {plan.Resolved} failure row(s) Resolved"));
            }
            catch (InputFormatException ex)
            {
                Fail(ex, "LedgerCorrupt", ErrorCategory.InvalidData, ledgerPath);
                return;
            }
            catch (TimeoutException ex)
            {
                Fail(ex, "LedgerLocked", ErrorCategory.ResourceBusy, ledgerPath);
                return;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Fail(ex, "LedgerWriteFailed", CategoryOf(ex), ledgerPath);
                return;
            }
            if (change.Planned) return;
            WriteVerbose($"{ledgerPath}: {change.Resolved} resolved; {change.Open} open of {change.Total}.");
            if (PassThru) WriteObject(change.Changed, enumerateCollection: true);
            else WriteObject(change);
        }
    }
}
