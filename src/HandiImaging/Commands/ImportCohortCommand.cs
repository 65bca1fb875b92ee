using System;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;

namespace HandiImaging.Commands
{
    /// <summary>Reads the cohort file and returns each patient to query, with the patient's query window.</summary>
    /// <remarks>
    /// <para>Import-Cohort reads cohort.csv (columns HospitalId, NhsNumber, Status, LastQueried, ReferenceDate, and
    /// any others such as Note; dates yyyy-MM-dd, or dd/MM/yyyy as Excel re-saves them) and returns one CohortPatient
    /// per patient. PatientId is the hospital ID PACS knows; Subject is the NHS number, or NN_HospitalId when there is
    /// none; NhsNumberValid flags a number that fails the modulus-11 check (it is never corrected).</para>
    /// <para>Existing patients are queried since their last query less an overlap (-OverlapDays, 14 by default), so
    /// studies filed late are not missed: Since = LastQueried - OverlapDays. New patients have no Since: PACS is
    /// queried with no date limit.</para>
    /// <para>With -DeceasedPath, patients in the data warehouse's deceased extract (matched by hospital ID or NHS
    /// number) are left out; the verbose stream gives their count. The extract is a CSV with a hospital ID column
    /// (HospitalId, Hospital Number, MRN or PatientId) and/or an NHS number column, and optionally DateOfDeath
    /// (dd/MM/yyyy); a patient who died after -AsOf is still queried.</para>
    /// <para>A bad row (an Existing patient without LastQueried, an unknown Status, an unreadable date, a repeated
    /// hospital ID) is a non-terminating error naming the file, line and column; the other rows are still returned.</para>
    /// <para>The output binds by property name to Find-PacsStudy (PatientId, Since) and to Update-Cohort (PatientId).</para>
    /// </remarks>
    /// <example>
    /// <code>Import-Cohort -Path ./cohort.csv -DeceasedPath ./edw-deceased.csv -Verbose</code>
    /// <para>Lists the living cohort with each patient's query window; the verbose stream says how many deceased patients were left out.</para>
    /// </example>
    /// <example>
    /// <code>Import-Cohort ./cohort.csv | Find-PacsStudy -Connection $pacs | Select-RelevantStudy -RuleSet $rules</code>
    /// <para>Queries PACS for each patient over the patient's own window and keeps the studies the clinicians' list includes.</para>
    /// </example>
    /// <example>
    /// <code>Import-Cohort ./cohort.csv | Where-Object { -not $_.NhsNumberValid -and $_.NhsNumber } | Format-Table PatientId, NhsNumber, Line</code>
    /// <para>Finds the cohort rows whose NHS number fails the check digit.</para>
    /// </example>
    [Cmdlet(VerbsData.Import, "Cohort", DefaultParameterSetName = "Path")]
    [OutputType(typeof(CohortPatient))]
    public sealed class ImportCohortCommand : HandiCmdlet
    {
        private const int MaxListedWarnings = 20;

        /// <summary>The cohort file (CSV). Wildcards are allowed but must match exactly one file; a name that exists exactly is taken as it is, so cohort[2024].csv works.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
        public string Path { get; set; } = "";

        /// <summary>The cohort file, taken literally (no wildcards).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath")]
        public string LiteralPath { get; set; } = "";

        /// <summary>The data warehouse's extract of deceased patients (CSV); patients in it are left out. Wildcards are allowed (one file); a name that exists exactly is taken as it is.</summary>
        [Parameter]
        public string? DeceasedPath { get; set; }

        /// <summary>Days to query before each Existing patient's LastQueried date, so late-filed studies are caught. Default 14.</summary>
        [Parameter]
        [ValidateRange(0, 3650)]
        public int OverlapDays { get; set; } = CohortFile.DefaultOverlapDays;

        /// <summary>The date the run is for (default today): a patient whose date of death is later was alive then and is still queried.</summary>
        [Parameter]
        [UserDateTransformation]
        public DateTime AsOf { get; set; } = DateTime.Today;

        protected override void ProcessRecord()
        {
            RequirePastDate(AsOf, nameof(AsOf));
            var path = ParameterSetName == "LiteralPath" ? ResolveExistingFile(LiteralPath, true, "LiteralPath") : ResolveExistingFile(Path, false, "Path");
            DeceasedList? deceased = null;
            if (!string.IsNullOrEmpty(DeceasedPath))
            {
                var deceasedPath = ResolveExistingFile(DeceasedPath!, false, "DeceasedPath");
                try { deceased = DeceasedList.Read(deceasedPath, AsOf); }
                catch (InputFormatException ex) { Fail(ex, "DeceasedFileUnreadable", ErrorCategory.InvalidData, deceasedPath); return; }
                foreach (var error in deceased.Errors) WriteItemError(error, "InvalidDeceasedRow", ErrorCategory.InvalidData, error.File);
                WriteVerbose($"{deceasedPath}: read as {deceased.Encoding}; {deceased.Count.ToString(CultureInfo.InvariantCulture)} deceased patients listed.");
            }

            CohortReadResult result;
            try { result = CohortFile.Read(path, OverlapDays, deceased); }
            catch (InputFormatException ex) { Fail(ex, "CohortFileUnreadable", ErrorCategory.InvalidData, path); return; }

            WriteVerbose($"{path}: read as {result.Encoding}.");
            foreach (var error in result.Errors) WriteItemError(error, "InvalidCohortRow", ErrorCategory.InvalidData, error.File);
            // One warning per row (naming it, and the other row of a shared NHS number), up to a screenful.
            foreach (var warning in result.Warnings.Take(MaxListedWarnings)) WriteWarning(warning.Message);
            if (result.Warnings.Count > MaxListedWarnings)
                WriteWarning($"{path}: {(result.Warnings.Count - MaxListedWarnings).ToString(CultureInfo.InvariantCulture)} further NHS-number warnings not listed; check the file with Test-NhsNumber -LiteralPath.");
            if (deceased != null)
                WriteVerbose($"{path}: {result.DeceasedCount.ToString(CultureInfo.InvariantCulture)} deceased patients left out.");
            var newCount = 0;
            foreach (var patient in result.Patients)
            {
                if (patient.Status == CohortStatus.New) newCount++;
                WriteObject(patient);
            }
            WriteVerbose($"{path}: {result.Patients.Count.ToString(CultureInfo.InvariantCulture)} patients to query ({newCount.ToString(CultureInfo.InvariantCulture)} new, with no date limit; overlap {OverlapDays.ToString(CultureInfo.InvariantCulture)} days); {result.Errors.Count.ToString(CultureInfo.InvariantCulture)} rows could not be read.");
        }
    }
}
