using System;
using System.IO;
using System.Management.Automation;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;

namespace HandiImaging.Commands
{
    /// <summary>Gets the rows of the failure ledger, optionally only the Open or the Resolved ones.</summary>
    /// <remarks>
    /// <para>Get-IngestFailure reads the failure ledger that Add-IngestFailure keeps and returns one object per
    /// row, in ledger order: Subject, StudyDate, AccessionNumber, StudyDescription, StudyInstanceUid,
    /// HospitalId, FirstSeen, LastSeen, TimesSeen, Source, Status and ResolvedOn.</para>
    /// <para>Open rows are studies still missing from XNAT (the summary's failure section lists them);
    /// Resolved rows were found in XNAT's session exports by Update-IngestFailure. A ledger that cannot be read
    /// exactly is a terminating error (LedgerCorrupt) naming the line and field.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-IngestFailure -LedgerPath ./failure-ledger.csv -Status Open</code>
    /// <para>Lists the failures still to investigate or re-ingest.</para>
    /// </example>
    /// <example>
    /// <code>Get-IngestFailure ./failure-ledger.csv | Group-Object Status -NoElement</code>
    /// <para>Counts open and resolved failures.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "IngestFailure")]
    [OutputType(typeof(IngestFailureLedgerEntry))]
    public sealed class GetIngestFailureCommand : HandiCmdlet
    {
        /// <summary>The failure ledger CSV to read, taken literally (no wildcards).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string LedgerPath { get; set; } = "";

        /// <summary>Only rows with this status: Open (still missing from XNAT) or Resolved.</summary>
        [Parameter]
        public IngestFailureStatus? Status { get; set; }

        protected override void EndProcessing()
        {
            var path = ResolveExistingFile(LedgerPath, literal: true, nameof(LedgerPath));
            try
            {
                foreach (var row in new IngestFailureLedger(path).Read())
                {
                    if (Status.HasValue && row.Status != Status.Value) continue;
                    WriteObject(row);
                }
            }
            catch (InputFormatException ex)
            {
                Fail(ex, "LedgerCorrupt", ErrorCategory.InvalidData, path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Fail(ex, "LedgerUnreadable", CategoryOf(ex), path);
            }
        }
    }
}
