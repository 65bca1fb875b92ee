using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;

namespace HandiImaging.Commands
{
    /// <summary>Adds ingestion failures to the failure ledger, so failures accumulate across quarters and are never lost.</summary>
    /// <remarks>
    /// <para>Add-IngestFailure records every failure it receives in the ledger, a CSV whose first five columns
    /// (Subject, StudyDate, AccessionNumber, StudyDescription, StudyInstanceUid) feed the master summary's
    /// failure section, followed by HospitalId, FirstSeen, LastSeen, TimesSeen, Source, Status and
    /// ResolvedOn. The ledger is created when it does not exist.</para>
    /// <para>Rows are keyed by StudyInstanceUID, or by accession number and hospital ID when the UID is
    /// missing. A failure already in the ledger updates LastSeen and Source, and TimesSeen once per run; blank
    /// fields are filled in (an NN_ subject becomes the NHS number once the ID map has it) but no value is
    /// overwritten. A Resolved row reported again stays Resolved. Rows are never deleted. Studies dated
    /// 2099-01-01 are skipped, and a record with neither UID nor accession number is an error
    /// (InvalidFailureRecord).</para>
    /// <para>Input binds by property name, so ConvertFrom-IngestFailure output, Get-IngestFailure rows and
    /// Import-Csv rows of an earlier failure CSV all work. The whole run is one write: the ledger is locked,
    /// read, updated and replaced atomically (temp file and rename, previous version kept as .bak). A ledger
    /// that cannot be read exactly stops the run (LedgerCorrupt) and is left untouched.</para>
    /// </remarks>
    /// <example>
    /// <code>ConvertFrom-IngestFailure ./PACs-failures.txt -IdMapPath ./HospitalID-NHSNumber.csv | Add-IngestFailure -LedgerPath ./failure-ledger.csv</code>
    /// <para>Adds this quarter's failures to the ledger and returns a summary of what changed.</para>
    /// </example>
    /// <example>
    /// <code>Import-Csv ./2023-Q4/PACS-failures-summary.csv | Add-IngestFailure -LedgerPath ./failure-ledger.csv -AsOf 2023-12-31 -WhatIf</code>
    /// <para>Shows what loading an earlier quarter's failure CSV (columns Subject, StudyDate, AccessionNumber,
    /// StudyDescription, StudyInstanceUid) would add, dated to that quarter, without writing anything.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Add, "IngestFailure", SupportsShouldProcess = true)]
    [OutputType(typeof(IngestFailureLedgerChange))]
    [OutputType(typeof(IngestFailureLedgerEntry))]
    public sealed class AddIngestFailureCommand : HandiCmdlet
    {
        private readonly List<IngestFailure> _failures = new List<IngestFailure>();
        private string _ledgerPath = "";
        private int _placeholders;

        /// <summary>The failure ledger CSV, taken literally (no wildcards). Created (with its header) when it does not exist; a cohort or rules file there is refused.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string LedgerPath { get; set; } = "";

        /// <summary>XNAT subject label: the NHS number, or NN_&lt;HospitalID&gt;.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString, AllowNull]
        public string? Subject { get; set; }

        /// <summary>Study date: yyyy-MM-dd or yyyyMMdd (stored as yyyy-MM-dd); any other text is kept as written.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString, AllowNull]
        public object? StudyDate { get; set; }

        /// <summary>The study's accession number (the XNAT session label), kept verbatim.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Accession")]
        [AllowEmptyString, AllowNull]
        public string? AccessionNumber { get; set; }

        /// <summary>The study description, kept verbatim.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString, AllowNull]
        public string? StudyDescription { get; set; }

        /// <summary>The study's StudyInstanceUID: the ledger's key.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("UID")]
        [AllowEmptyString, AllowNull]
        public string? StudyInstanceUid { get; set; }

        /// <summary>The patient's hospital ID; with the accession number, the key of a failure without a UID.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("PatientId")]
        [AllowEmptyString, AllowNull]
        public string? HospitalId { get; set; }

        /// <summary>Where the failure was reported (file:line); kept for the latest report.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString, AllowNull]
        public string? Source { get; set; }

        /// <summary>The date recorded as FirstSeen/LastSeen; today by default. Use it to load earlier quarters in order.</summary>
        [Parameter]
        [UserDateTransformation]
        public DateTime AsOf { get; set; } = DateTime.Today;

        /// <summary>Return the ledger rows added or updated instead of the summary.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void BeginProcessing()
        {
            RequirePastDate(AsOf, nameof(AsOf));
            _ledgerPath = ResolveOutputPath(LedgerPath);
            if (Directory.Exists(_ledgerPath))
                Fail(new IOException($"{_ledgerPath} is a folder; give the ledger's file name."), "LedgerPathIsFolder", ErrorCategory.InvalidArgument, LedgerPath);
            EnsureOutputIsNotInput(_ledgerPath, nameof(LedgerPath), Array.Empty<(string?, string)>(), ProtectedFileKind.FailureLedger);
        }

        protected override void ProcessRecord()
        {
            // Nothing bound at all (e.g. a bare -LedgerPath call) is not a record.
            if (Subject == null && StudyDate == null && AccessionNumber == null && StudyDescription == null && StudyInstanceUid == null && HospitalId == null)
                return;
            var failure = new IngestFailure
            {
                Subject = Subject ?? "",
                StudyDate = DateText(StudyDate),
                AccessionNumber = AccessionNumber ?? "",
                StudyDescription = StudyDescription ?? "",
                StudyInstanceUid = StudyInstanceUid ?? "",
                HospitalId = HospitalId ?? "",
                Source = Source ?? "",
            };
            var problem = IngestFailureLedger.Problem(failure);
            if (problem != null)
            {
                var where = failure.Source.Length > 0 ? failure.Source : "input record " + (_failures.Count + 1).ToString(CultureInfo.InvariantCulture);
                WriteItemError(new ArgumentException($"{where}: {problem}"), "InvalidFailureRecord", ErrorCategory.InvalidData, failure);
                return;
            }
            if (FailureDate.IsPlaceholder(FailureDate.Normalize(failure.StudyDate, out _)))
            {
                _placeholders++;
                return;
            }
            _failures.Add(failure);
        }

        protected override void EndProcessing()
        {
            if (_placeholders > 0) WriteWarning($"{_placeholders} failure(s) dated 2099-01-01 (scheduled, never done) were not added.");
            var ledger = new IngestFailureLedger(_ledgerPath);
            IngestFailureLedgerChange change;
            try
            {
                change = ledger.Add(_failures, AsOf, StopToken, plan => ShouldProcess(_ledgerPath,
                    plan.Total == plan.Added && !File.Exists(_ledgerPath)
                        ? $"Create the failure ledger with {plan.Added} failure row(s)"
                        : $"Add {plan.Added} new and update {plan.Updated} existing failure row(s)"));
            }
            catch (Exception ex) when (ex is InputFormatException)
            {
                Fail(ex, "LedgerCorrupt", ErrorCategory.InvalidData, _ledgerPath);
                return;
            }
            catch (TimeoutException ex)
            {
                Fail(ex, "LedgerLocked", ErrorCategory.ResourceBusy, _ledgerPath);
                return;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Fail(ex, "LedgerWriteFailed", CategoryOf(ex), _ledgerPath);
                return;
            }
            if (change.Planned) return;
            WriteVerbose($"{_ledgerPath}: {change.Added} added, {change.Updated} updated, {change.Open} open of {change.Total}.");
            if (PassThru) WriteObject(change.Changed, enumerateCollection: true);
            else WriteObject(change);
        }

        private static string DateText(object? value)
        {
            if (value is PSObject wrapped) value = wrapped.BaseObject;
            return value switch
            {
                null => "",
                DateTime date => DateValue.ToIso(date),
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            };
        }
    }
}
