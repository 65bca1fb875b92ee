using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;
using HandiImaging.Core.Summary;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Commands
{
    /// <summary>Writes the master summary for the data warehouse from XNAT's session exports, the reference dates and the open failures.</summary>
    /// <remarks>
    /// <para>Merge-XnatSummary reads the eight session exports (CT.csv, MR.csv, PET.csv, CR.csv, DX.csv, RF.csv,
    /// SR.csv, XA.csv) from the session folder, the reference dates (Subject, Reference Date) and, optionally, the
    /// failures, and writes one row per subject: Subject, Reference Date, then for each of CT, MR, PET, CR, DX,
    /// RF, SR, XA and the failures (prefix PACs-not-ingested) N slots of five columns — Date, Difference from
    /// Reference Date, ID, UID, Scans — where N is at least 5 and at least the most sessions any subject has in
    /// that section. ID, UID and Scans are columns 3, 4 and 5 of the export by position; for failures they are
    /// the accession number, study description and StudyInstanceUID.</para>
    /// <para>Dates are written yyyy-MM-dd. The difference is whole days from the reference date (negative before
    /// radiotherapy). A subject without a reference date has "not applicable" in Reference Date and in the
    /// Difference of every filled slot. Empty slots and missing or unreadable values are "null". Text and numbers
    /// are copied exactly as exported. Slots are in date order (ties by ID, unreadable dates last). Rows dated
    /// 2099-01-01 (scheduled, never done) are left out. Every subject in any input gets a row, in ordinal order.</para>
    /// <para>Blank subjects, repeated session IDs, unreadable dates and malformed quotes are warnings naming the
    /// file and line; the merge carries on. A missing session export stops the run with the error
    /// SessionFileMissing. Given a failure ledger (it has a Status column), only its Open failures are listed; a
    /// plain failures CSV (Subject, StudyDate, AccessionNumber, StudyDescription, StudyInstanceUid) is used whole.</para>
    /// <para>The output replaces any previous file in one step (the previous one is kept as .bak). The result
    /// reports the output path, the subject count, sessions per section and the warnings.</para>
    /// </remarks>
    /// <example>
    /// <code>Merge-XnatSummary -SessionPath ./2024-09-30 -ReferenceDatePath ./2024-09-30/reference_dates.csv -FailurePath ./failure-ledger.csv -OutputPath ./XNAT-summary-2024-09-30.csv</code>
    /// <para>Writes this quarter's master summary, listing the ledger's open failures.</para>
    /// </example>
    /// <example>
    /// <code>Merge-XnatSummary ./export ./export/reference_dates.csv -OutputPath ./summary.csv -DateFormat 'yyyy-MM-dd', 'dd.MM.yyyy' -WhatIf</code>
    /// <para>Checks the inputs are all there and shows what would be written, without writing; the reference
    /// dates are read as ISO or dd.MM.yyyy.</para>
    /// </example>
    /// <example>
    /// <code>$r = Merge-XnatSummary -SessionPath ./export -ReferenceDatePath ./export/reference_dates.csv -OutputPath ./summary.csv; $r.Sections | Format-Table</code>
    /// <para>Shows how many sessions and slots each section got.</para>
    /// </example>
    [Cmdlet(VerbsData.Merge, "XnatSummary", SupportsShouldProcess = true)]
    [OutputType(typeof(XnatSummaryResult))]
    public sealed class MergeXnatSummaryCommand : HandiCmdlet
    {
        /// <summary>The folder holding the eight session exports from XNAT (CT.csv … XA.csv), taken literally (no wildcards). An export may be empty or header-only, but must exist.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string SessionPath { get; set; } = "";

        /// <summary>CSV of Subject and Reference Date (the radiotherapy start date), header row first, taken literally (no wildcards). Dates are read with -DateFormat.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string ReferenceDatePath { get; set; } = "";

        /// <summary>The failure ledger (only Open rows are used) or a failures CSV whose first five columns are Subject, StudyDate, AccessionNumber, StudyDescription, StudyInstanceUid. Without it the failure section is all null. Taken literally (no wildcards).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? FailurePath { get; set; }

        /// <summary>The cohort file (cohort.csv): every cohort patient gets a row, with all slots null when XNAT has nothing for them yet. Bad cohort rows are warnings. Taken literally (no wildcards).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CohortPath { get; set; }

        /// <summary>Where to write the master summary (CSV, UTF-8). Taken literally (no wildcards). An existing file is replaced in one step and kept as .bak. It may not be one of the inputs, a cohort, the failure ledger or a rules file.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string OutputPath { get; set; } = "";

        /// <summary>Date formats accepted in the reference-date file, tried in order (.NET custom format strings). Default: yyyy-MM-dd, dd/MM/yyyy, d/M/yyyy and dd/MM/yyyy with a time. Dates are never read month-first unless you list such a format.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] DateFormat { get; set; } = XnatSummaryRequest.DefaultReferenceDateFormats.ToArray();

        private IReadOnlyCollection<string> CohortSubjects(string path)
        {
            try
            {
                // Deceased patients are not filtered: what XNAT holds for them still belongs in the summary.
                var cohort = CohortFile.Read(path);
                foreach (var error in cohort.Errors) WriteWarning(error.Message);
                return cohort.Patients.Select(p => p.Subject).ToList();
            }
            catch (InputFormatException ex)
            {
                Fail(ex, "InvalidSummaryInput", ErrorCategory.InvalidData, path);
                return Array.Empty<string>();
            }
        }

        protected override void ProcessRecord()
        {
            var sessionFolder = ResolveExistingFolder(SessionPath, nameof(SessionPath), "SessionPathNotFolder", "the session exports (CT.csv … XA.csv)");
            var referencePath = ResolveExistingFile(ReferenceDatePath, literal: true, nameof(ReferenceDatePath));
            var failurePath = FailurePath is null ? null : ResolveExistingFile(FailurePath, literal: true, nameof(FailurePath));
            var cohortPath = CohortPath is null ? null : ResolveExistingFile(CohortPath, literal: true, nameof(CohortPath));
            var outputPath = ResolveOutputFile(OutputPath, nameof(OutputPath));
            // The summary must never replace what it is made from, nor a cohort, ledger or rules file.
            var inputs = new List<(string?, string)> { (referencePath, nameof(ReferenceDatePath)), (failurePath, nameof(FailurePath)), (cohortPath, nameof(CohortPath)) };
            inputs.AddRange(XnatSessionExports.Locate(sessionFolder).Where(e => e.Path != null).Select(e => (e.Path, $"{nameof(SessionPath)}'s {e.FileName}")));
            EnsureOutputIsNotInput(outputPath, nameof(OutputPath), inputs);
            var request = new XnatSummaryRequest(sessionFolder, referencePath, outputPath) { FailurePath = failurePath, ReferenceDateFormats = DateFormat };
            if (cohortPath != null) request.CohortSubjects = CohortSubjects(cohortPath);

            try
            {
                // Checked before ShouldProcess so that -WhatIf also reports a missing export.
                XnatSummaryMerger.FindSessionFiles(sessionFolder);
                if (!ShouldProcess(outputPath, "Write the master summary")) return;

                var progress = new ProgressRecord(1, "Merge-XnatSummary", "Starting");
                var result = XnatSummaryMerger.Merge(request, w => WriteWarning(w.ToString()), p =>
                {
                    progress.StatusDescription = p.Activity;
                    progress.PercentComplete = (int)(p.Fraction * 100);
                    WriteProgress(progress);
                }, StopToken);
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
                foreach (var encoding in result.InputEncodings) WriteVerbose($"Read {encoding}.");
                WriteVerbose($"Wrote {result.SubjectCount} subjects, {result.SessionCount} sessions and {result.FailureCount} failures in {result.ColumnCount} columns to {result.OutputPath}; " +
                             $"{result.PlaceholdersExcluded} placeholders left out, {result.DuplicatesIgnored} duplicates ignored, {result.BlankSubjectsSkipped} blank subjects skipped.");
                WriteObject(result);
            }
            catch (SessionFileMissingException ex)
            {
                Fail(ex, "SessionFileMissing", ErrorCategory.ObjectNotFound, ex.FileName);
            }
            catch (InputFormatException ex)
            {
                Fail(ex, "InvalidSummaryInput", ErrorCategory.InvalidData, ex.File);
            }
            catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Fail(ex, "SummaryFileError", CategoryOf(ex), outputPath);
            }
        }
    }
}
