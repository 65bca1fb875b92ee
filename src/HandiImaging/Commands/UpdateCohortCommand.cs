using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Commands
{
    /// <summary>Records in the cohort file that patients were queried: New becomes Existing and LastQueried advances.</summary>
    /// <remarks>
    /// <para>Update-Cohort takes the patients whose PACS query succeeded (CohortPatient objects, studies, any object
    /// with a PatientId or HospitalId property, or hospital IDs as strings) and, for those patients only, sets
    /// Status to Existing and LastQueried to -AsOf (today by default). Patients not given are untouched, so a patient
    /// whose query failed is queried over the same window next time.</para>
    /// <para>Everything else in the file is kept exactly: other rows byte for byte, other columns (such as Note),
    /// quoting, line endings. The file is replaced atomically under a lock (.handiimaging/cohort.csv.lock, a hidden folder beside it) that stops two runs
    /// writing at once; the previous version is kept as cohort.csv.bak. The whole input is collected first and written
    /// once, at the end of the pipeline.</para>
    /// <para>A hospital ID that is not in the cohort file is a non-terminating error (PatientNotInCohort).</para>
    /// </remarks>
    /// <example>
    /// <code>$queried | Update-Cohort -Path ./cohort.csv -WhatIf</code>
    /// <para>Shows how many patients would be promoted and advanced, without writing.</para>
    /// </example>
    /// <example>
    /// <code>Import-Cohort ./cohort.csv | Where-Object PatientId -in $succeeded | Update-Cohort -Path ./cohort.csv -AsOf 2025-01-06 -PassThru</code>
    /// <para>Marks the patients whose query succeeded as queried on 6 January 2025 and lists the rows changed.</para>
    /// </example>
    [Cmdlet(VerbsData.Update, "Cohort", DefaultParameterSetName = "Path", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(CohortChange))]
    public sealed class UpdateCohortCommand : HandiCmdlet
    {
        /// <summary>The cohort file (CSV) to update. Wildcards must match exactly one file; a name that exists exactly is taken as it is.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
        public string Path { get; set; } = "";

        /// <summary>The cohort file, taken literally (no wildcards).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "LiteralPath")]
        [Alias("PSPath")]
        public string LiteralPath { get; set; } = "";

        /// <summary>The patients whose query succeeded: CohortPatient objects, objects with a PatientId or HospitalId property, or hospital IDs.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        public PSObject[] InputObject { get; set; } = new PSObject[0];

        /// <summary>The date the patients were queried; written as LastQueried (yyyy-MM-dd). Default today.</summary>
        [Parameter]
        [UserDateTransformation]
        public DateTime AsOf { get; set; } = DateTime.Today;

        /// <summary>Returns one CohortChange per row changed.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private readonly List<string> _ids = new List<string>();

        protected override void ProcessRecord()
        {
            foreach (var item in InputObject)
            {
                var id = HospitalIdOf(item);
                if (string.IsNullOrWhiteSpace(id))
                    WriteItemError(new ArgumentException("The input has no PatientId or HospitalId; pass cohort patients or hospital IDs."), "NotAPatient", ErrorCategory.InvalidArgument, item);
                else _ids.Add(id!.Trim());
            }
        }

        internal static string? HospitalIdOf(PSObject? item)
        {
            switch (item?.BaseObject)
            {
                case null: return null;
                case string text: return text;
                case CohortPatient patient: return patient.PatientId;
                case PacsStudy study: return study.PatientId;
            }
            foreach (var name in new[] { "PatientId", "HospitalId" })
                if (item.Properties[name]?.Value is object value) return value.ToString();
            return null;
        }

        protected override void EndProcessing()
        {
            RequirePastDate(AsOf, nameof(AsOf));
            var path = ParameterSetName == "LiteralPath" ? ResolveExistingFile(LiteralPath, true, "LiteralPath") : ResolveExistingFile(Path, false, "Path");
            EnsureOutputIsNotInput(path, ParameterSetName, Array.Empty<(string?, string)>(), ProtectedFileKind.Cohort);
            CohortUpdatePlan plan;
            try
            {
                plan = CohortFile.Update(path, _ids, AsOf, p => ShouldProcess(path,
                    $"Mark {p.Changes.Count.ToString(CultureInfo.InvariantCulture)} patients queried on {DateValue.ToIso(p.AsOf)} ({p.PromotedCount.ToString(CultureInfo.InvariantCulture)} New to Existing, {p.AdvancedCount.ToString(CultureInfo.InvariantCulture)} LastQueried advanced)"),
                    cancellationToken: StopToken);
            }
            catch (InputFormatException ex) { Fail(ex, "CohortFileUnreadable", ErrorCategory.InvalidData, path); return; }
            catch (TimeoutException ex) { Fail(ex, "FileLocked", ErrorCategory.ResourceBusy, path); return; }
            catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException) { Fail(ex, "CohortWriteFailed", CategoryOf(ex), path); return; }

            foreach (var id in plan.NotInCohort)
                WriteItemError(new ArgumentException($"Hospital ID {id} is not in {path}; nothing recorded for it."), "PatientNotInCohort", ErrorCategory.ObjectNotFound, id);
            WriteVerbose($"{path}: read as {plan.Encoding}; written back the same way.");
            if (plan.Written)
                WriteVerbose($"{path}: {plan.PromotedCount.ToString(CultureInfo.InvariantCulture)} patients promoted to Existing, {plan.AdvancedCount.ToString(CultureInfo.InvariantCulture)} advanced; LastQueried {DateValue.ToIso(plan.AsOf)}; previous version kept as {AtomicFile.BackupPath(path)}.");
            if (PassThru && plan.Written) foreach (var change in plan.Changes) WriteObject(change);
        }
    }
}
