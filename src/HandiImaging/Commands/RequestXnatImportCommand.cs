using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Commands
{
    /// <summary>Asks XNAT to pull studies from PACS into a project (XNAT's query-retrieve plugin).</summary>
    /// <remarks>
    /// <para>Request-XnatImport sends the studies it receives to XNAT's DQR plugin (POST /xapi/dqr/import), which
    /// moves them from the PACS to XNAT's DICOM receiver. Each study is relabelled: Subject = the patient's
    /// subject label (the NHS number, or NN_&lt;HospitalID&gt; without one) and Session = the accession number.
    /// The subject comes from the input's Subject property (failure-ledger rows have one), else from -IdMapPath
    /// or -CohortPath by the hospital ID (PatientId or HospitalId). A study with no UID, accession number or
    /// subject is not requested (Status Rejected, and an error).</para>
    /// <para>Before asking, it reads the StudyInstanceUIDs the project already holds (one listing request) and
    /// XNAT's import queue: studies already there are skipped (AlreadyInXnat, AlreadyQueued) unless -Force is
    /// given, because XNAT queues duplicates and they fail later. Studies go in batches (-BatchSize). What XNAT
    /// queued is compared with what was asked, by StudyInstanceUID: a study it left out (no series on PACS, PACS
    /// not queryable) is Dropped. An import request that times out is never sent again blindly: the queue is
    /// checked, and a study not found there is NotConfirmed.</para>
    /// <para>Input binds by property name (PacsStudy from Find-PacsStudy or Select-RelevantStudy, failure-ledger
    /// rows from Get-IngestFailure, Import-Csv rows). The output is one XnatImportRequest per study, for
    /// Wait-XnatImport. -WhatIf sends no import request (the read-only checks still run, so it says how many
    /// studies each request would queue).</para>
    /// </remarks>
    /// <example>
    /// <code>$studies | Select-RelevantStudy -Rules $rules -Decision Include | Request-XnatImport -Connection $xnat -Project RT-HaND -PacsId 1 -IdMapPath ./HospitalID-NHSNumber.csv</code>
    /// <para>Requests this quarter's relevant studies.</para>
    /// </example>
    /// <example>
    /// <code>Get-IngestFailure ./failure-ledger.csv -Status Open | Request-XnatImport -Connection $xnat -Project RT-HaND -PacsId 1 | Wait-XnatImport -Connection $xnat | Add-IngestFailure -LedgerPath ./failure-ledger.csv</code>
    /// <para>Retries the open failures and records those that fail again.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Request, "XnatImport", SupportsShouldProcess = true, DefaultParameterSetName = "Pipeline")]
    [OutputType(typeof(XnatImportRequest))]
    public sealed class RequestXnatImportCommand : XnatCmdlet
    {
        private readonly List<(XnatImportStudy Study, bool SubjectGiven)> _studies = new List<(XnatImportStudy, bool)>();

        /// <summary>The connection from Connect-Xnat.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNull]
        public XnatConnection Connection { get; set; } = null!;

        /// <summary>The XNAT project to import into.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Project { get; set; } = "";

        /// <summary>DQR's id of the PACS to pull from (GET /xapi/pacs lists them; 0 = XNAT's default query-retrieve PACS).</summary>
        [Parameter(Mandatory = true)]
        [ValidateRange(0, long.MaxValue)]
        public long PacsId { get; set; }

        /// <summary>Studies (PacsStudy, ledger rows, any objects with StudyInstanceUid, AccessionNumber and PatientId or Subject), as an array rather than from the pipeline.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "InputObject")]
        [ValidateNotNull]
        public PSObject[] InputObject { get; set; } = Array.Empty<PSObject>();

        /// <summary>The study's StudyInstanceUID.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "Pipeline")]
        [Alias("UID")]
        [AllowEmptyString, AllowNull]
        public string? StudyInstanceUid { get; set; }

        /// <summary>The study's accession number: the XNAT session label.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "Pipeline")]
        [Alias("Accession")]
        [AllowEmptyString, AllowNull]
        public string? AccessionNumber { get; set; }

        /// <summary>The patient's hospital ID (PACS PatientID), used to find the subject label in -IdMapPath or -CohortPath.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "Pipeline")]
        [Alias("HospitalId")]
        [AllowEmptyString, AllowNull]
        public string? PatientId { get; set; }

        /// <summary>The XNAT subject label (NHS number or NN_&lt;HospitalID&gt;), when the input already has it.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "Pipeline")]
        [AllowEmptyString, AllowNull]
        public string? Subject { get; set; }

        /// <summary>The study date (a date, or text as yyyy-MM-dd or yyyyMMdd); kept for the failure record.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "Pipeline")]
        [AllowEmptyString, AllowNull]
        public object? StudyDate { get; set; }

        /// <summary>The study description from the PACS query; kept for the failure record.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "Pipeline")]
        [AllowEmptyString, AllowNull]
        public string? StudyDescription { get; set; }

        /// <summary>The HospitalID-NHSNumber.csv map, for inputs without a Subject.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? IdMapPath { get; set; }

        /// <summary>The cohort file (cohort.csv), for inputs without a Subject: its NHS numbers give the subject labels.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CohortPath { get; set; }

        /// <summary>AE title of XNAT's DICOM receiver the PACS sends to (default XNAT). It needs custom processing on for relabelling.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ReceiverAeTitle { get; set; } = "XNAT";

        /// <summary>Port of XNAT's DICOM receiver (default 8104).</summary>
        [Parameter]
        [ValidateRange(1, 65535)]
        public int ReceiverPort { get; set; } = 8104;

        /// <summary>Studies per import request (default 50).</summary>
        [Parameter]
        [ValidateRange(1, 1000)]
        public int BatchSize { get; set; } = 50;

        /// <summary>Request studies even when the project already holds them or XNAT is already importing them.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == "InputObject")
            {
                foreach (var item in InputObject) _studies.Add(FromObject(item));
                return;
            }
            if (StudyInstanceUid == null && AccessionNumber == null && PatientId == null && Subject == null) return;
            _studies.Add((new XnatImportStudy
            {
                StudyInstanceUid = StudyInstanceUid ?? "",
                AccessionNumber = AccessionNumber ?? "",
                HospitalId = PatientId ?? "",
                Subject = Subject ?? "",
                StudyDate = XnatValues.ReadStudyDate(Unwrap(StudyDate)),
                StudyDescription = StudyDescription ?? "",
            }, !string.IsNullOrWhiteSpace(Subject)));
        }

        protected override void EndXnat()
        {
            var studies = ResolveSubjects();
            var options = new XnatImportOptions(Project, PacsId)
            {
                ReceiverAeTitle = ReceiverAeTitle,
                ReceiverPort = ReceiverPort,
                Force = Force,
                BatchSize = BatchSize,
            };
            Attach(Connection);
            var counts = new Dictionary<XnatImportStatus, int>();
            try
            {
                foreach (var request in new XnatImportRequester(Connection).Request(studies, options, description => ShouldProcess(Project, description), StopToken))
                {
                    FlushLog();
                    counts[request.Status] = counts.TryGetValue(request.Status, out var n) ? n + 1 : 1;
                    if (request.Status == XnatImportStatus.Rejected)
                        WriteItemError(new ArgumentException($"Study {Describe(request)} was not requested: {request.Reason}."), "XnatImportRejected", ErrorCategory.InvalidData, request);
                    WriteObject(request);
                }
            }
            catch (XnatException ex)
            {
                FailXnat(ex, Project);
            }
            WriteVerbose(string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Value} {c.Key}")));
            foreach (var status in new[] { XnatImportStatus.Dropped, XnatImportStatus.NotConfirmed })
                if (counts.TryGetValue(status, out var n))
                    WriteWarning($"{n} stud{(n == 1 ? "y was" : "ies were")} {status}: XNAT will not import {(n == 1 ? "it" : "them")}; Wait-XnatImport turns {(n == 1 ? "it" : "them")} into failure records.");
        }

        private List<XnatImportStudy> ResolveSubjects()
        {
            var needMap = _studies.Any(s => !s.SubjectGiven);
            HospitalIdMap? map = null;
            Dictionary<string, string>? cohort = null;
            if (needMap && IdMapPath != null)
            {
                var path = ResolveExistingFile(IdMapPath, literal: true, nameof(IdMapPath));
                try
                {
                    map = HospitalIdMap.Load(path);
                }
                catch (Exception ex) when (ex is InputFormatException || ex is IOException || ex is UnauthorizedAccessException)
                {
                    Fail(ex, "IdMapUnreadable", CategoryOf(ex), path);
                }
            }
            if (needMap && CohortPath != null)
            {
                var path = ResolveExistingFile(CohortPath, literal: true, nameof(CohortPath));
                try
                {
                    var read = CohortFile.Read(path);
                    foreach (var error in read.Errors) WriteWarning(error.Message);
                    cohort = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var patient in read.Patients) cohort[patient.PatientId] = patient.Subject;
                }
                catch (Exception ex) when (ex is InputFormatException || ex is IOException || ex is UnauthorizedAccessException)
                {
                    Fail(ex, "CohortUnreadable", CategoryOf(ex), path);
                }
            }
            var unmapped = 0;
            var result = new List<XnatImportStudy>(_studies.Count);
            foreach (var (study, given) in _studies)
            {
                if (given || study.HospitalId.Trim().Length == 0) { result.Add(study); continue; }
                string? subject = null;
                if (cohort != null && cohort.TryGetValue(study.HospitalId.Trim(), out var s)) subject = s;
                else if (map != null && map.TryGetNhsNumber(study.HospitalId, out var nhs)) subject = XnatValues.SubjectLabel(study.HospitalId, nhs);
                else if (map != null || cohort != null)
                {
                    unmapped++;
                    subject = XnatValues.SubjectLabel(study.HospitalId, null);
                }
                result.Add(subject == null ? study : study with { Subject = subject });
            }
            if (unmapped > 0)
                WriteWarning($"{unmapped} stud{(unmapped == 1 ? "y's patient is" : "ies' patients are")} in neither the ID map nor the cohort; their subject label is NN_<HospitalID>.");
            if (needMap && map == null && cohort == null && result.Any(s => s.Subject.Length == 0))
                WriteWarning("Some studies have no Subject property and no -IdMapPath or -CohortPath was given to find one; they are not requested.");
            return result;
        }

        private static (XnatImportStudy, bool) FromObject(PSObject item)
        {
            string Text(params string[] names)
            {
                foreach (var name in names)
                    if (item.Properties[name]?.Value is { } v) return (v is PSObject p ? p.BaseObject : v).ToString() ?? "";
                return "";
            }
            var subject = Text("Subject");
            return (new XnatImportStudy
            {
                StudyInstanceUid = Text("StudyInstanceUid", "UID"),
                AccessionNumber = Text("AccessionNumber", "Accession"),
                HospitalId = Text("PatientId", "HospitalId"),
                Subject = subject,
                StudyDate = XnatValues.ReadStudyDate(Unwrap(item.Properties["StudyDate"]?.Value)),
                StudyDescription = Text("StudyDescription"),
            }, subject.Trim().Length > 0);
        }

        private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

        private static string Describe(XnatImportRequest request) =>
            request.StudyInstanceUid.Length > 0 ? request.StudyInstanceUid : request.AccessionNumber.Length > 0 ? "with accession " + request.AccessionNumber : "(no UID or accession)";
    }
}
