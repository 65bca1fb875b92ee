using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Commands
{
    /// <summary>Finds studies on PACS (DICOM C-FIND at study level).</summary>
    /// <remarks>
    /// <para>Find-PacsStudy asks the PACS for the studies of each patient (or matching an accession number or
    /// study UIDs) in a date window, and writes a PacsStudy for each one as it arrives. Piped patients — for
    /// example from Import-Cohort — are queried over up to the connection's ThrottleLimit associations at
    /// once, each reused from patient to patient; each patient is queried over its own window (its Since).</para>
    /// <para>PACS cap the number of results they return, often silently. When an answer ends early, or reaches
    /// the connection's MaxResultsPerQuery, the query is repeated over halves of its date range (down to
    /// single days) and the results are merged without duplicates. A warning says when a single day still
    /// overflows.</para>
    /// <para>A patient whose query fails is a non-terminating error whose TargetObject is the patient ID, so
    /// later steps can leave that patient's window unchanged; the other patients go on. Transient faults — an
    /// aborted association, a transient rejection, "out of resources" with no matches — are retried on a new
    /// association with backoff, and when the PACS says its limit of simultaneous associations is reached the
    /// command goes on with fewer. When the PACS cannot be reached, permanently rejects our AE titles or accepts
    /// none of the services before any query succeeded, the command stops with that error (also when the first
    /// five patients all end with the PACS aborting our first request, the mark of an unregistered calling AE).
    /// Ctrl+C cancels the queries in flight (C-CANCEL, then abort).</para>
    /// <para>Every study the PACS returns is checked against the patient ID, accession number and UIDs asked
    /// for; studies of anyone else are left out with a warning. A patient ID or accession number holding '*',
    /// '?' or '\' cannot be matched literally in DICOM and is refused (error PacsQueryKeyNotMatchable) rather
    /// than queried. No patient costs more than -MaxQueriesPerPatient study-level C-FINDs.</para>
    /// <para>Some PACS (dcmqrscp among them) do not return ModalitiesInStudy; -ResolveModality then asks for the
    /// modalities of each such study's series. A -Modality filter always does so.</para>
    /// </remarks>
    /// <example>
    /// <code>Find-PacsStudy -Connection $pacs -PatientId H1234567 -Since 2023-10-04</code>
    /// <para>Lists one patient's studies since the last ingestion.</para>
    /// </example>
    /// <example>
    /// <code>Import-Cohort ./cohort.csv | Find-PacsStudy -Connection $pacs -ErrorVariable failed | Export-Csv ./studies.csv</code>
    /// <para>Queries every cohort patient over their own window; $failed.TargetObject lists the patients that could not be queried.</para>
    /// </example>
    /// <example>
    /// <code>Find-PacsStudy -Connection $pacs -StudyDate 20240101-20240331 -Modality CT -ResolveModality</code>
    /// <para>Lists the first quarter's CT studies, with modalities filled in from the series where the PACS leaves them out.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Find, "PacsStudy")]
    [OutputType(typeof(PacsStudy))]
    public sealed class FindPacsStudyCommand : HandiCmdlet
    {
        private PipelinePump? _pump;
        private BlockingCollection<StudyQuery>? _queue;
        private Task? _run;
        private int _queued;
        private int _done;
        private int _failed;
        private int _studies;
        private readonly SettingsProblemDetector _settings = new SettingsProblemDetector();
        private Exception? _settingsProblem;

        /// <summary>The PACS to ask: a PacsConnection from New-PacsConnection, or a hashtable with the same keys.</summary>
        [Parameter(Mandatory = true)]
        [PacsConnectionTransformation]
        public PacsConnection Connection { get; set; } = null!;

        /// <summary>Hospital IDs (DICOM PatientID) to query; one query per ID. Binds from the PatientId or HospitalId property of piped objects.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("HospitalId")]
        public string[]? PatientId { get; set; }

        /// <summary>A DICOM date range: yyyyMMdd, yyyyMMdd-yyyyMMdd, -yyyyMMdd (up to) or yyyyMMdd- (from). Not with -Since, -From or -To.</summary>
        [Parameter]
        public string? StudyDate { get; set; }

        /// <summary>Only studies on or after this date. Binds from the Since property of Import-Cohort's patients (empty for new patients: all time).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [UserDateTransformation]
        public DateTime? Since { get; set; }

        /// <summary>Only studies on or after this date.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [UserDateTransformation]
        public DateTime? From { get; set; }

        /// <summary>Only studies on or before this date.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [UserDateTransformation]
        public DateTime? To { get; set; }

        /// <summary>Only studies with a series of this modality (e.g. CT, MR, PT).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? Modality { get; set; }

        /// <summary>Only the study with this accession number.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? AccessionNumber { get; set; }

        /// <summary>Only these studies (StudyInstanceUIDs), asked for in one query.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string[]? StudyInstanceUid { get; set; }

        /// <summary>Fill in ModalitiesInStudy from a series-level query when the PACS does not return it.</summary>
        [Parameter]
        public SwitchParameter ResolveModality { get; set; }

        /// <summary>The date that closes an open-ended range when an answer has to be split. Default: today.</summary>
        [Parameter]
        [UserDateTransformation]
        public DateTime? AsOf { get; set; }

        /// <summary>At most this many study-level C-FINDs per patient (date-range splits and retries included); a patient that needs more is an error. Default: 256.</summary>
        [Parameter]
        [ValidateRange(1, 100000)]
        public int MaxQueriesPerPatient { get; set; } = StudyQueryLimits.Default.MaxQueriesPerPatient;

        protected override void BeginProcessing()
        {
            _pump = new PipelinePump();
            _queue = new BlockingCollection<StudyQuery>();
            var connection = Connection;
            var runner = new StudyQueryRunner(() => new DicomStudyQueryExecutor(connection), connection.ThrottleLimit,
                connection.MaxResultsPerQuery, (AsOf ?? DateTime.Today).Date, ResolveModality.IsPresent,
                StudyQueryLimits.Default with { MaxQueriesPerPatient = MaxQueriesPerPatient });
            var pump = _pump;
            _run = runner.RunAsync(_queue, new Sink(this), StopToken).ContinueWith(t => pump.Complete(), TaskScheduler.Default);
            WriteVerbose($"Querying {connection} over up to {connection.ThrottleLimit} associations");
        }

        protected override void ProcessRecord()
        {
            StudyDateRange range;
            try
            {
                range = Window();
            }
            catch (Exception ex) when (ex is ArgumentException || ex is FormatException)
            {
                WriteItemError(ex, "InvalidStudyDateRange", ErrorCategory.InvalidArgument, StudyDate);
                return;
            }
            var template = new StudyQuery
            {
                DateRange = range,
                Modality = string.IsNullOrWhiteSpace(Modality) ? null : Modality!.Trim(),
                AccessionNumber = string.IsNullOrWhiteSpace(AccessionNumber) ? null : AccessionNumber!.Trim(),
                StudyInstanceUids = StudyInstanceUid ?? Array.Empty<string>(),
            };
            if (PatientId is null || PatientId.Length == 0) Enqueue(template);
            else foreach (var id in PatientId) Enqueue(template with { PatientId = id.Trim() });
            _pump!.Drain();
            if (_settingsProblem != null) StopForSettings();
        }

        protected override void EndProcessing()
        {
            _queue!.CompleteAdding();
            try
            {
                _pump!.DrainUntilComplete(StopToken);
                _run!.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            WriteProgress(new ProgressRecord(1, "Querying PACS", "Done") { RecordType = ProgressRecordType.Completed });
            WriteVerbose($"{_done} queries: {_studies} studies, {_failed} failed");
            if (_settingsProblem != null) StopForSettings();
        }

        private void StopForSettings()
        {
            var record = PacsErrors.Record(_settingsProblem!, Connection, $"No query can work with {Connection}");
            ThrowTerminatingError(record);
        }

        private void Enqueue(StudyQuery query)
        {
            // The queue is closed early only when the settings cannot work; the run stops right after.
            try
            {
                _queue!.Add(query);
                _queued++;
            }
            catch (InvalidOperationException) when (_queue!.IsAddingCompleted)
            {
            }
        }

        private StudyDateRange Window()
        {
            var hasDates = Since.HasValue || From.HasValue || To.HasValue;
            if (!string.IsNullOrWhiteSpace(StudyDate))
            {
                if (hasDates) throw new ArgumentException("Give either -StudyDate or -Since/-From/-To, not both.");
                return StudyDateRange.Parse(StudyDate!);
            }
            if (Since.HasValue && From.HasValue) throw new ArgumentException("Give either -Since or -From, not both.");
            foreach (var (name, value) in new[] { ("Since", Since), ("From", From), ("To", To) })
                if (value is { } date && DateValue.RangeProblem(date) is { } problem) throw new ArgumentException($"-{name} {problem}.");
            return new StudyDateRange(Since ?? From, To);
        }

        private void Report(StudyQuery query)
        {
            var status = $"{_done} of {_queued} queries done, {_studies} studies found";
            WriteProgress(new ProgressRecord(1, "Querying PACS", status)
            {
                PercentComplete = _queue!.IsAddingCompleted && _queued > 0 ? Math.Min(100, _done * 100 / _queued) : -1,
                CurrentOperation = query.ToString(),
            });
        }

        /// <summary>Runs on worker threads; everything it does goes through the pump to the pipeline thread.</summary>
        private sealed class Sink : IStudyQuerySink
        {
            private readonly FindPacsStudyCommand _cmdlet;

            public Sink(FindPacsStudyCommand cmdlet) => _cmdlet = cmdlet;

            public void OnStudy(StudyQuery query, PacsStudy study) => _cmdlet._pump!.Post(() =>
            {
                _cmdlet._studies++;
                _cmdlet.WriteObject(study);
            });

            public void OnWarning(StudyQuery query, string message) => _cmdlet._pump!.Post(() => _cmdlet.WriteWarning(message));

            public void OnNotice(StudyQuery query, string message) => _cmdlet._pump!.Post(() => _cmdlet.WriteVerbose(message));

            public void OnCompleted(StudyQuery query, int studyCount)
            {
                _cmdlet._settings.OnSucceeded();
                _cmdlet._pump!.Post(() =>
                {
                    _cmdlet._done++;
                    _cmdlet.Report(query);
                });
            }

            public void OnFailed(StudyQuery query, Exception exception)
            {
                // Wrong host, port or AE titles before anything worked: no query can work, so stop them all.
                if (_cmdlet._settings.IsSettingsProblem(exception))
                {
                    Interlocked.CompareExchange(ref _cmdlet._settingsProblem, exception, null);
                    _cmdlet._queue!.CompleteAdding();
                    while (_cmdlet._queue.TryTake(out _)) { }
                }
                _cmdlet._pump!.Post(() =>
                {
                    _cmdlet._done++;
                    _cmdlet._failed++;
                    if (_cmdlet._settingsProblem == null)
                        _cmdlet.WriteError(PacsErrors.Record(exception, (object?)query.PatientId ?? query, $"Query for {query} failed"));
                    _cmdlet.Report(query);
                });
            }
        }
    }
}
