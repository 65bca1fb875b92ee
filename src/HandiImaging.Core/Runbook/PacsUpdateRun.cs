using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Summary;
using HandiImaging.Core.Xnat;
using Newtonsoft.Json.Linq;

namespace HandiImaging.Core.Runbook
{
    /// <summary>What to run: the configuration, the date the run acts as of, and how (what-if, resume).</summary>
    public sealed class PacsUpdateRequest
    {
        public PacsUpdateRequest(RunbookConfig config) => Config = config ?? throw new ArgumentNullException(nameof(config));

        public RunbookConfig Config { get; }
        /// <summary>The date the run acts as of: the end of every query window and the new LastQueried.</summary>
        public DateTime AsOf { get; set; } = DateTime.Today;
        /// <summary>Run only the read-only steps (cohort, query, select, plan); change nothing.</summary>
        public bool WhatIf { get; set; }
        /// <summary>A run folder to finish (a hand-over run, or one that died). Null: resume the root's unfinished run if any, else start one.</summary>
        public string? ResumeFolder { get; set; }
        /// <summary>Hand-over mode: the failure text the ingestion team returned.</summary>
        public string? FailurePath { get; set; }
        /// <summary>A description of where the XNAT credential came from, for the config copy (never the secret).</summary>
        public string? CredentialSource { get; set; }
        /// <summary>The XNAT credential (user and password, or alias and secret); needed in Dqr mode and to export XNAT's session lists.</summary>
        public System.Net.NetworkCredential? XnatCredential { get; set; }
    }

    /// <summary>A step that cannot go on; the run ends Failed (exit 1) and a re-run resumes at this step.</summary>
    public sealed class RunStepException : Exception
    {
        public RunStepException(string message, Exception? inner = null) : base(message, inner) { }
    }

    /// <summary>
    /// The quarterly procedure (SOP "Updating from PACS") as one unattended run. Steps communicate only through
    /// files in the run folder, and each step's completion is journalled in the run log, so a run that dies
    /// resumes where it stopped. Persistent files (ledger, cohort) are written once each, atomically, ledger
    /// first and cohort last; every import request is journalled in the run root's import history first, so
    /// no study is requested twice.
    /// </summary>
    public sealed class PacsUpdateRun
    {
        public static readonly string[] Steps = { "Cohort", "Query", "Select", "Plan", "Ingest", "Sessions", "Ledger", "FailureRate", "Summary", "Publish", "CohortUpdate" };
        private static readonly HashSet<string> ReadOnlySteps = new HashSet<string>(new[] { "Cohort", "Query", "Select", "Plan" }, StringComparer.Ordinal);

        /// <summary>Test hook: the run exits the process (code 86) after this step's work, before its journal line.</summary>
        public const string CrashVariable = "HANDI_RUNBOOK_TEST_CRASH_AFTER";
        /// <summary>Test hook: after this many completed patient queries the run writes <c>query-paused</c> in the run folder and waits until it is deleted.</summary>
        public const string PauseVariable = "HANDI_RUNBOOK_TEST_PAUSE_AFTER_QUERIES";
        public const int CrashExitCode = 86;

        internal const string PatientsFile = "01-cohort-patients.csv";
        internal const string StudiesFile = "02-pacs-studies.csv";
        internal const string NotQueriedFile = "02-not-queried.csv";
        internal const string SelectedFile = "03-classified-studies.csv";
        internal const string ReviewFile = "03-review.xlsx";
        internal const string PlanFile = "04-import-plan.csv";
        internal const string HandOverFile = "05-handover-list.csv";
        internal const string ReturnedFailuresFile = "05-returned-failures.txt";
        internal const string ResultsFile = "05-import-results.csv";
        internal const string SessionsFolder = "06-sessions";
        internal const string LedgerSnapshotFile = "07-ledger-snapshot.csv";
        internal const string ReferenceDatesFile = "08-reference_dates.csv";
        internal const string FailureRateFile = "07-failure-rates.csv";
        internal const string SummaryFile = "08-master-summary.csv";
        internal const string PublicationFile = "09-edw-publication.json";
        internal const string ReportFile = "report.html";

        private static readonly string[] StudyColumns = { "PatientId", "Subject", "StudyDate", "AccessionNumber", "StudyDescription", "StudyInstanceUid", "Modalities" };

        private readonly PacsUpdateRequest _request;
        private readonly RunbookConfig _config;
        private readonly Action<string>? _onProgress;
        private RunFolder _folder = null!;
        private HandiRunResult _result = null!;
        private DateTime _asOf;

        public PacsUpdateRun(PacsUpdateRequest request, Action<string>? onProgress = null)
        {
            _request = request ?? throw new ArgumentNullException(nameof(request));
            _config = request.Config;
            _onProgress = onProgress;
        }

        /// <summary>Runs (or resumes) the procedure. Never throws for a step failure: the result says Failed with exit code 1.</summary>
        public HandiRunResult Run(CancellationToken cancellationToken = default)
        {
            var clock = Stopwatch.StartNew();
            FileLock? runLock = null;
            string? tempFolder = null;
            if (_config.Mode == IngestionMode.Dqr && !_request.WhatIf && _request.XnatCredential == null)
                return new HandiRunResult
                {
                    Status = RunStatus.Failed, ExitCode = 1, Mode = _config.Mode, AsOf = _request.AsOf.Date, Duration = clock.Elapsed,
                    Error = "Ingestion.Mode Dqr needs an XNAT credential: give -Credential or set Xnat.CredentialPath (a file written by Export-Clixml).",
                };
            try
            {
                Directory.CreateDirectory(_config.RunRoot);
                try { runLock = FileLock.Acquire(Path.Combine(_config.RunRoot, "runbook"), TimeSpan.Zero, cancellationToken); }
                catch (TimeoutException)
                {
                    return new HandiRunResult
                    {
                        Status = RunStatus.Locked,
                        ExitCode = 3,
                        Mode = _config.Mode,
                        AsOf = _request.AsOf.Date,
                        Error = $"Another run holds the lock on {_config.RunRoot}; this run did nothing.",
                        Duration = clock.Elapsed,
                    };
                }

                if (_request.WhatIf)
                {
                    tempFolder = Path.Combine(Path.GetTempPath(), "handi-whatif-" + Guid.NewGuid().ToString("N"));
                    _folder = RunFolder.Create(tempFolder, DateTime.Now);
                }
                else if (_request.ResumeFolder != null) _folder = RunFolder.Open(_request.ResumeFolder);
                else
                {
                    var unfinished = RunFolder.FindUnfinished(_config.RunRoot);
                    if (unfinished != null && unfinished.ReadResultStatus() == RunStatus.AwaitingHandOver && _request.FailurePath == null)
                        throw new RunStepException($"Run {unfinished.Id} is waiting for the ingestion team's failure text; finish it with -Resume '{unfinished.Path}' -FailurePath <file> before starting another.");
                    _folder = unfinished ?? RunFolder.Create(_config.RunRoot, DateTime.Now);
                }

                // A resumed run keeps the as-of date it started with: its query windows and watermarks belong to that date.
                _asOf = (_request.WhatIf ? null : _folder.StartedAsOf()) ?? _request.AsOf.Date;
                _result = new HandiRunResult { RunId = _folder.Id, RunFolder = _folder.Path, Mode = _config.Mode, AsOf = _asOf };
                var done = _folder.CompletedSteps();
                var doneWarnings = _folder.CompletedStepWarnings();
                _folder.Log("Run", done.Count == 0 ? "start" : "resume", new Dictionary<string, object?>
                {
                    ["mode"] = _config.Mode.ToString(), ["asOf"] = DateValue.ToIso(_asOf), ["whatIf"] = _request.WhatIf, ["stepsDone"] = done.Count,
                });
                if (!File.Exists(_folder.File(RunFolder.ConfigFile))) _folder.WriteJson(RunFolder.ConfigFile, ConfigCopy());

                foreach (var step in Steps)
                {
                    if (_request.WhatIf && !ReadOnlySteps.Contains(step)) break;
                    cancellationToken.ThrowIfCancellationRequested();
                    var summary = new RunStepSummary { Name = step };
                    _result.Steps.Add(summary);
                    if (done.TryGetValue(step, out var record))
                    {
                        summary.State = "Resumed";
                        if (doneWarnings.TryGetValue(step, out var warnings)) summary.Warnings.AddRange(warnings);
                        RestoreCounts(summary, record);
                        continue;
                    }
                    _onProgress?.Invoke(step);
                    _folder.Log(step, "start");
                    var stepClock = Stopwatch.StartNew();
                    var outcome = RunStep(step, summary, cancellationToken);
                    summary.Seconds = Math.Round(stepClock.Elapsed.TotalSeconds, 3);
                    if (outcome == StepOutcome.Waiting)
                    {
                        summary.State = "Waiting";
                        _folder.Log(step, "waiting", LogData(summary));
                        break;
                    }
                    summary.State = outcome == StepOutcome.Skipped ? "Skipped" : "Done";
                    foreach (var w in summary.Warnings) _folder.Log(step, "warning", new Dictionary<string, object?> { ["message"] = w });
                    CrashHook(step);
                    _folder.Log(step, "done", LogData(summary));
                }
                Finish(clock);
            }
            catch (Exception ex) when (_result != null && (ex is RunStepException || ex is IOException || ex is UnauthorizedAccessException
                                        || ex is InputFormatException || ex is InvalidOperationException || ex is OperationCanceledException
                                        || ex is TimeoutException || ex is StudyRuleConflictException || ex is Dicom.DicomException || ex is XnatException
                                        || ex is System.Net.Http.HttpRequestException))
            {
                var failed = _result.Steps.LastOrDefault();
                if (failed != null) failed.State = "Failed";
                _result.Status = RunStatus.Failed;
                _result.Error = ex.Message;
                _folder.Log(failed?.Name ?? "Run", "failed", new Dictionary<string, object?> { ["error"] = ex.GetType().Name, ["message"] = ex.Message });
                Finish(clock, failed: true);
            }
            catch (Exception ex) when (_result == null && (ex is RunStepException || ex is IOException || ex is InvalidOperationException || ex is UnauthorizedAccessException))
            {
                return new HandiRunResult { Status = RunStatus.Failed, ExitCode = 1, Mode = _config.Mode, AsOf = _request.AsOf.Date, Error = ex.Message, Duration = clock.Elapsed };
            }
            finally
            {
                runLock?.Dispose();
                if (tempFolder != null) TryDeleteFolder(tempFolder);
            }
            return _result;
        }

        private void Finish(Stopwatch clock, bool failed = false)
        {
            var waiting = _result.Steps.Any(s => s.State == "Waiting");
            if (!failed)
            {
                _result.Status = _request.WhatIf ? RunStatus.WhatIf
                    : waiting ? RunStatus.AwaitingHandOver
                    : _result.Problems.Count > 0 ? RunStatus.CompletedWithProblems : RunStatus.Completed;
            }
            _result.ExitCode = HandiRunResult.ExitCodeFor(_result.Status, _result.Problems.Count > 0);
            _result.Duration = clock.Elapsed;
            if (_request.WhatIf) return;
            _folder.Log("Run", "end", new Dictionary<string, object?>
            {
                ["status"] = _result.Status.ToString(), ["exitCode"] = _result.ExitCode, ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3), ["problems"] = _result.Problems.Count,
            });
            WriteReport();
            var json = JObject.FromObject(_result);
            json["Status"] = _result.Status.ToString();
            json["Mode"] = _result.Mode.ToString();
            _folder.WriteJson(RunFolder.ResultFile, json);
        }

        /// <summary>The run report (report.html): every step's numbers, failure rates against baseline, the review list, warnings, links.</summary>
        private void WriteReport()
        {
            var model = new RunReportModel
            {
                RunId = _result.RunId,
                Started = new DateTimeOffset(_folder.StartedAt(), TimeSpan.Zero),
                Finished = DateTimeOffset.UtcNow,
                ExitCode = _result.ExitCode,
                Outcome = _result.Status + (_result.Error != null ? ": " + _result.Error : "") + $" ({_result.Mode}, as of {DateValue.ToIso(_asOf)})",
                Warnings = _result.Problems.ToList(),
            };
            foreach (var step in _result.Steps)
            {
                var record = new RunStepRecord
                {
                    Name = step.Name + (step.State == "Resumed" ? " (earlier attempt)" : step.State == "Waiting" ? " (waiting for the hand-over)" : ""),
                    Status = step.State == "Failed" ? RunStepStatus.Failed : step.State == "Skipped" || step.State == "Waiting" ? RunStepStatus.Skipped : RunStepStatus.Completed,
                    Duration = TimeSpan.FromSeconds(step.Seconds),
                    Warnings = step.Warnings.Take(50).ToList(),
                };
                foreach (var c in step.Counts) record.Counts[c.Key] = c.Value;
                model.Steps.Add(record);
            }
            if (File.Exists(_folder.File(FailureRateFile)))
                foreach (var r in ReadCsv(FailureRateFile))
                    model.FailureRates.Add(new IngestFailureRate
                    {
                        Group = r["Group"], Attempted = long.Parse(r["Attempted"], CultureInfo.InvariantCulture), Failed = long.Parse(r["Failed"], CultureInfo.InvariantCulture),
                        Rate = double.Parse(r["Rate"], CultureInfo.InvariantCulture), BaselineRate = double.Parse(r["BaselineRate"], CultureInfo.InvariantCulture),
                        PValue = double.Parse(r["PValue"], CultureInfo.InvariantCulture), Alpha = _config.AlarmPValue,
                        Verdict = r["Verdict"] == nameof(IngestFailureVerdict.High) ? IngestFailureVerdict.High : IngestFailureVerdict.Normal,
                    });
            if (File.Exists(_folder.File(SelectedFile)))
                foreach (var g in ReadCsv(SelectedFile).Where(r => r["Decision"] == nameof(StudyDecision.Review)).GroupBy(r => StudyDescription.Normalize(r["StudyDescription"]), StringComparer.OrdinalIgnoreCase))
                    model.Review.Add(new RunReviewItem
                    {
                        Description = g.First()["StudyDescription"], StudyCount = g.Count(), Example = g.First()["AccessionNumber"],
                        Modality = string.Join(", ", g.SelectMany(r => r["Modalities"].Split('\\')).Where(m => m.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)),
                    });
            model.Files.AddRange(Directory.GetFiles(_folder.Path, "*", SearchOption.AllDirectories)
                .Select(f => f.Substring(_folder.Path.Length + 1).Replace('\\', '/'))
                .Where(f => f != ReportFile && !f.StartsWith(".", StringComparison.Ordinal))
                .OrderBy(f => f, StringComparer.Ordinal));
            RunReportWriter.WriteFile(model, _folder.File(ReportFile));
            _result.ReportPath = _folder.File(ReportFile);
        }

        private enum StepOutcome { Done, Skipped, Waiting }

        private StepOutcome RunStep(string step, RunStepSummary summary, CancellationToken cancel) => step switch
        {
            "Cohort" => CohortStep(summary),
            "Query" => QueryStep(summary, cancel),
            "Select" => SelectStep(summary),
            "Plan" => PlanStep(summary),
            "Ingest" => IngestStep(summary, cancel),
            "Sessions" => SessionsStep(summary),
            "Ledger" => LedgerStep(summary, cancel),
            "FailureRate" => FailureRateStep(summary),
            "Summary" => SummaryStep(summary, cancel),
            "Publish" => PublishStep(summary, cancel),
            "CohortUpdate" => CohortUpdateStep(summary, cancel),
            _ => throw new InvalidOperationException("unknown step " + step),
        };

        // ---- steps ----------------------------------------------------------------------------------------------

        private StepOutcome CohortStep(RunStepSummary s)
        {
            DeceasedList? deceased = null;
            if (_config.DeceasedPath != null)
            {
                deceased = DeceasedList.Read(_config.DeceasedPath, _asOf);
                foreach (var e in deceased.Errors) s.Warnings.Add(e.Message);
            }
            var read = CohortFile.Read(_config.CohortPath, _config.OverlapDays, deceased);
            foreach (var e in read.Errors) s.Warnings.Add(e.Message);
            if (read.Errors.Count > 0) Problem($"{read.Errors.Count} cohort rows could not be read (see the log); those patients were not queried.");
            WriteCsv(PatientsFile, new[] { "PatientId", "Subject", "NhsNumber", "Status", "Since", "ReferenceDate" },
                read.Patients.Select(p => new[] { p.PatientId, p.Subject, p.NhsNumber, p.Status.ToString(), Iso(p.Since), Iso(p.ReferenceDate) }));
            s.Counts["Patients"] = read.Patients.Count;
            s.Counts["New"] = read.Patients.Count(p => p.Status == CohortStatus.New);
            s.Counts["Deceased"] = read.DeceasedCount;
            s.Counts["BadRows"] = read.Errors.Count;
            Apply(s);
            return StepOutcome.Done;
        }

        private StepOutcome QueryStep(RunStepSummary s, CancellationToken cancel)
        {
            var patients = ReadCsv(PatientsFile);
            try
            {
                var echo = PacsDicom.EchoAsync(_config.Pacs, cancel).GetAwaiter().GetResult();
                if (!echo.Success) throw new RunStepException($"PACS {_config.Pacs} did not answer C-ECHO with success; nothing was queried.");
            }
            catch (Exception ex) when (ex is Dicom.DicomException || ex is IOException || ex is System.Net.Sockets.SocketException || ex is TimeoutException)
            {
                throw new RunStepException($"PACS {_config.Pacs} cannot be reached ({ex.Message}); nothing was queried.", ex);
            }

            var sink = new QuerySink(PauseAfter(), _folder);
            using (var queue = new BlockingCollection<StudyQuery>())
            {
                foreach (var p in patients)
                {
                    var since = ParseIso(p["Since"]);
                    queue.Add(new StudyQuery { PatientId = p["PatientId"], DateRange = new StudyDateRange(since, _asOf) });
                }
                queue.CompleteAdding();
                var runner = new StudyQueryRunner(() => new DicomStudyQueryExecutor(_config.Pacs), _config.Pacs.ThrottleLimit,
                    _config.Pacs.MaxResultsPerQuery, _asOf, _config.ResolveModality);
                runner.RunAsync(queue, sink, cancel).GetAwaiter().GetResult();
            }
            var subjects = patients.ToDictionary(p => p["PatientId"], p => p["Subject"], StringComparer.OrdinalIgnoreCase);
            var studies = sink.Studies.GroupBy(x => x.StudyInstanceUid, StringComparer.Ordinal).Select(g => g.First())
                .OrderBy(x => x.PatientId, StringComparer.Ordinal).ThenBy(x => x.StudyDate).ThenBy(x => x.StudyInstanceUid, StringComparer.Ordinal).ToList();
            WriteCsv(StudiesFile, StudyColumns, studies.Select(x => StudyRow(x, subjects)));
            WriteCsv(NotQueriedFile, new[] { "PatientId", "Error" }, sink.Failed.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => new[] { f.Key, f.Value }));
            foreach (var w in sink.Warnings.Take(100)) s.Warnings.Add(w);
            if (sink.Failed.Count > 0) Problem($"{sink.Failed.Count} patients could not be queried; they keep their watermark and are queried again next run.");
            if (sink.WarnedPatients.Count > 0) QueryWarningProblem(sink.WarnedPatients.Count);
            s.Counts["Queried"] = patients.Count - sink.Failed.Count;
            s.Counts["PatientsWithWarnings"] = sink.WarnedPatients.Count;
            s.Counts["NotQueried"] = sink.Failed.Count;
            s.Counts["Studies"] = studies.Count;
            s.Counts["RetriedFaults"] = sink.Notices;
            Apply(s);
            return StepOutcome.Done;
        }

        private StepOutcome SelectStep(RunStepSummary s)
        {
            var load = StudyRuleFile.Read(_config.RulesPath);
            foreach (var e in load.Errors) s.Warnings.Add(e.Message);
            var rules = load.RuleSet;
            var review = new StudyReviewBuilder();
            var rows = new List<string[]>();
            int include = 0, exclude = 0, reviewCount = 0;
            foreach (var row in ReadCsv(StudiesFile))
            {
                var study = ToStudy(row);
                var decision = rules.Decide(study.StudyDate, study.StudyDescription, out var matched);
                if (decision == StudyDecision.Include) include++;
                else if (decision == StudyDecision.Exclude) exclude++;
                else { reviewCount++; review.Add(study); }
                rows.Add(StudyColumns.Select(c => row[c]).Concat(new[] { decision.ToString(), matched ?? "" }).ToArray());
            }
            WriteCsv(SelectedFile, StudyColumns.Concat(new[] { "Decision", "MatchedRule" }).ToArray(), rows);
            var items = review.Items();
            if (items.Count > 0)
            {
                StudyReviewBuilder.Write(_folder.File(ReviewFile), items);
                Problem($"{items.Count} study descriptions ({reviewCount} studies) are on neither list: a clinician should decide them in {ReviewFile}, then Update-StudyRule.");
            }
            s.Counts["Include"] = include;
            s.Counts["Exclude"] = exclude;
            s.Counts["Review"] = reviewCount;
            s.Counts["ReviewDescriptions"] = items.Count;
            Apply(s);
            return StepOutcome.Done;
        }

        private StepOutcome PlanStep(RunStepSummary s)
        {
            var history = ImportHistory.Load(_config.RunRoot);
            var plan = new List<string[]>();
            var already = 0;
            foreach (var row in ReadCsv(SelectedFile))
            {
                if (row["Decision"] != nameof(StudyDecision.Include)) continue;
                var record = history.Latest(row["StudyInstanceUid"]);
                // Studies an earlier run requested (imported, failed or handed over) come back through the overlap window.
                if (record != null && record.IsFinal && record.Run != _folder.Id) { already++; continue; }
                plan.Add(StudyColumns.Select(c => row[c]).ToArray());
            }
            WriteCsv(PlanFile, StudyColumns, plan);
            s.Counts["Planned"] = plan.Count;
            s.Counts["AlreadyImported"] = already;
            Apply(s);
            return StepOutcome.Done;
        }

        private StepOutcome IngestStep(RunStepSummary s, CancellationToken cancel)
        {
            var plan = ReadCsv(PlanFile);
            var history = ImportHistory.Load(_config.RunRoot);
            var results = new List<string[]>();
            switch (_config.Mode)
            {
                case IngestionMode.HandOver:
                    if (_request.FailurePath == null)
                    {
                        WriteCsv(HandOverFile, new[] { "SubjectLabel", "HospitalId", "AccessionNumber", "StudyInstanceUid", "StudyDescription", "StudyDate" },
                            plan.Select(p => new[] { p["Subject"], p["PatientId"], p["AccessionNumber"], p["StudyInstanceUid"], p["StudyDescription"], p["StudyDate"] }));
                        foreach (var p in plan.Where(p => !history.IsSettled(p["StudyInstanceUid"])))
                            history.Append(Record(p, ImportOutcome.HandedOver, null));
                        _result.HandOverPath = _folder.File(HandOverFile);
                        s.Counts["HandedOver"] = plan.Count;
                        return StepOutcome.Waiting;
                    }
                    File.Copy(_request.FailurePath, _folder.File(ReturnedFailuresFile), overwrite: true);
                    var failed = ReadReturnedFailures(s, out _);
                    foreach (var p in plan)
                    {
                        var fail = failed.Contains(p["StudyInstanceUid"]) || failed.Contains("acc:" + p["AccessionNumber"] + "\u001f" + p["PatientId"]);
                        var outcome = fail ? ImportOutcome.Failed : ImportOutcome.Imported;
                        var message = fail ? "reported by the ingestion team" : null;
                        if (history.Latest(p["StudyInstanceUid"])?.Outcome is ImportOutcome o && o != ImportOutcome.HandedOver && o != ImportOutcome.Sending) outcome = o;
                        else history.Append(Record(p, outcome, message));
                        results.Add(ResultRow(p, outcome, message));
                    }
                    break;
                case IngestionMode.CMove:
                    MoveAll(plan, history, results, s, cancel);
                    break;
                case IngestionMode.Dqr:
                    ImportThroughDqr(plan, history, results, cancel);
                    break;
            }
            WriteCsv(ResultsFile, StudyColumns.Concat(new[] { "Outcome", "Message" }).ToArray(), results);
            s.Counts["Imported"] = results.Count(r => r[StudyColumns.Length] == nameof(ImportOutcome.Imported));
            s.Counts["Failed"] = results.Count(r => r[StudyColumns.Length] == nameof(ImportOutcome.Failed));
            s.Counts["NotSent"] = results.Count(r => r[StudyColumns.Length] == nameof(ImportOutcome.Interrupted));
            if (s.Counts["NotSent"] > 0) Problem($"{s.Counts["NotSent"]} studies could not be sent (network); their patients keep their watermark and the studies are sent next run.");
            Apply(s);
            return StepOutcome.Done;
        }

        private void MoveAll(List<Dictionary<string, string>> plan, ImportHistory history, List<string[]> results, RunStepSummary s, CancellationToken cancel)
        {
            var byUid = plan.ToDictionary(p => p["StudyInstanceUid"], StringComparer.Ordinal);
            var outcome = new Dictionary<string, (ImportOutcome Outcome, string? Message)>(StringComparer.Ordinal);
            var pending = new List<string>();
            foreach (var p in plan)
            {
                var uid = p["StudyInstanceUid"];
                var latest = history.Latest(uid);
                // Finished by an earlier attempt of this run: keep its outcome; never request it again.
                if (latest != null && latest.IsFinal) outcome[uid] = (latest.Outcome, latest.Message);
                else pending.Add(uid);
            }

            // Each study is journalled as Sending just before its request (the enumeration is lazy). A study whose
            // earlier move was interrupted is sent again: the receiver files instances by UID into the same session.
            var consecutive = new List<string>();
            using var outage = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            IEnumerable<string> Journalled(List<string> uids)
            {
                foreach (var uid in uids)
                {
                    if (outage.IsCancellationRequested) yield break;
                    history.Append(Record(byUid[uid], ImportOutcome.Sending, null));
                    yield return uid;
                }
            }

            void OnResult(string uid, PacsMoveResult? move, Exception? error, List<string> retry)
            {
                if (move == null)
                {
                    history.Append(Record(byUid[uid], ImportOutcome.Interrupted, error?.Message));
                    outcome[uid] = (ImportOutcome.Interrupted, error?.Message);
                    retry.Add(uid);
                    return;
                }
                var ok = move.Success && move.Completed > 0;
                var message = ok ? null : move.Completed == 0 && move.Success ? "PACS sent no images" : $"C-MOVE status {move.Status}, {move.Failed} failed: {move.Message}";
                history.Append(Record(byUid[uid], ok ? ImportOutcome.Imported : ImportOutcome.Failed, message));
                outcome[uid] = (ok ? ImportOutcome.Imported : ImportOutcome.Failed, message);
                if (move.Completed > 0) consecutive.Clear();
                else consecutive.Add(uid);
                if (consecutive.Count >= _config.OutageAfter) outage.Cancel();
            }

            for (var attempt = 1; attempt <= _config.MoveAttempts && pending.Count > 0 && !outage.IsCancellationRequested; attempt++)
            {
                var retry = new List<string>();
                try
                {
                    PacsDicom.MoveAsync(_config.Pacs, _config.MoveDestination!, Journalled(pending), (uid, move, error) => OnResult(uid, move, error, retry), null, outage.Token)
                        .GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (outage.IsCancellationRequested && !cancel.IsCancellationRequested) { }
                pending = retry;
            }
            cancel.ThrowIfCancellationRequested();
            if (outage.IsCancellationRequested)
            {
                // So many moves in a row delivered nothing that the receiver (or PACS) is down, not the studies: those
                // and every study not yet tried wait for the next run instead of entering the ledger.
                const string notSent = "not sent: the receiver looked unreachable";
                foreach (var uid in consecutive.Concat(plan.Select(p => p["StudyInstanceUid"]).Where(u => !outcome.ContainsKey(u))).ToList())
                {
                    history.Append(Record(byUid[uid], ImportOutcome.Interrupted, notSent));
                    outcome[uid] = (ImportOutcome.Interrupted, notSent);
                }
                Problem($"{_config.OutageAfter} moves in a row delivered nothing: the receiver {_config.MoveDestination} looks unreachable; the remaining studies are sent next run.");
            }
            foreach (var p in plan)
            {
                var (o, m) = outcome[p["StudyInstanceUid"]];
                results.Add(ResultRow(p, o, m));
            }
        }

        /// <summary>
        /// XNAT's query-retrieve plugin pulls each study. Before asking, the requester checks the project's sessions
        /// and the import queue, so a study a crashed attempt already requested is not requested again; every study
        /// is journalled before its request. Studies still on their way when the wait ends are followed by the next run.
        /// </summary>
        private void ImportThroughDqr(List<Dictionary<string, string>> plan, ImportHistory history, List<string[]> results, CancellationToken cancel)
        {
            var byUid = plan.ToDictionary(p => p["StudyInstanceUid"], StringComparer.Ordinal);
            var outcome = new Dictionary<string, (ImportOutcome Outcome, string? Message)>(StringComparer.Ordinal);
            var ask = new List<XnatImportStudy>();
            foreach (var p in plan)
            {
                var latest = history.Latest(p["StudyInstanceUid"]);
                if (latest != null && latest.IsFinal) { outcome[p["StudyInstanceUid"]] = (latest.Outcome, latest.Message); continue; }
                ask.Add(new XnatImportStudy
                {
                    StudyInstanceUid = p["StudyInstanceUid"], HospitalId = p["PatientId"], Subject = p["Subject"], AccessionNumber = p["AccessionNumber"],
                    StudyDate = ParseIso(p["StudyDate"]), StudyDescription = p["StudyDescription"],
                });
            }
            if (ask.Count > 0)
            {
                using var xnat = OpenXnat(cancel);
                var options = new XnatImportOptions(_config.XnatProject!, _config.XnatPacsId) { ReceiverAeTitle = _config.XnatReceiverAeTitle, ReceiverPort = _config.XnatReceiverPort };
                // The requester checks the project and the import queue before asking, which is what keeps a resumed
                // run from requesting a study twice; the journal records the studies actually requested.
                var requested = new XnatImportRequester(xnat).Request(ask, options, null, cancel).ToList();
                foreach (var r in requested.Where(r => r.Status is XnatImportStatus.Queued or XnatImportStatus.Issued or XnatImportStatus.Dropped or XnatImportStatus.NotConfirmed))
                    history.Append(Record(byUid[r.StudyInstanceUid], ImportOutcome.Sending, null));
                var waitOptions = new XnatImportWaitOptions
                {
                    PollInterval = TimeSpan.FromSeconds(_config.XnatPollSeconds),
                    Timeout = TimeSpan.FromMinutes(_config.XnatWaitMinutes),
                    StaleAfter = TimeSpan.FromMinutes(_config.XnatStaleMinutes),
                };
                var final = new XnatImportWaiter(xnat).Wait(requested.Where(r => r.Status != XnatImportStatus.AlreadyQueued).ToList(), waitOptions, null, null, cancel);
                foreach (var r in final.Concat(requested.Where(r => r.Status == XnatImportStatus.AlreadyQueued)))
                {
                    var (o, message) = r.Status switch
                    {
                        XnatImportStatus.Received or XnatImportStatus.AlreadyInXnat => (ImportOutcome.Imported, (string?)null),
                        // Queued by an earlier attempt, or still on its way at the deadline: the next run checks again.
                        XnatImportStatus.AlreadyQueued or XnatImportStatus.Pending or XnatImportStatus.Queued or XnatImportStatus.Issued
                            => (ImportOutcome.Interrupted, $"still in XNAT's import queue ({r.Status})"),
                        XnatImportStatus.Duplicate => (ImportOutcome.Imported, "asked twice in one plan"),
                        _ => (ImportOutcome.Failed, $"{r.Status}: {r.Reason}"),
                    };
                    history.Append(Record(byUid[r.StudyInstanceUid], o, message));
                    outcome[r.StudyInstanceUid] = (o, message);
                }
            }
            foreach (var p in plan)
            {
                var (o, m) = outcome.TryGetValue(p["StudyInstanceUid"], out var known) ? known : (ImportOutcome.Interrupted, "XNAT did not answer for this study");
                results.Add(ResultRow(p, o, m));
            }
        }

        private XnatConnection OpenXnat(CancellationToken cancel)
        {
            if (_config.XnatUri == null || _config.XnatProject == null) throw new RunStepException("The configuration has no Xnat section (Uri, Project).");
            if (_request.XnatCredential == null) throw new RunStepException("No XNAT credential: give -Credential or set Xnat.CredentialPath.");
            var options = new XnatConnectionOptions(_config.XnatUri, _request.XnatCredential) { SkipCertificateCheck = _config.XnatSkipCertificateCheck };
            try { return XnatConnection.OpenAsync(options, cancel).GetAwaiter().GetResult(); }
            catch (XnatException ex) { throw new RunStepException($"XNAT {_config.XnatUri} could not be reached or refused the login: {ex.Message}", ex); }
        }

        private StepOutcome SessionsStep(RunStepSummary s)
        {
            var target = _folder.File(SessionsFolder);
            if (_config.SessionExportPath == null && _config.XnatUri != null && _request.XnatCredential != null)
            {
                // XNAT's eight session lists, as the SOP has the admin download them (one listing call per type).
                using var xnat = OpenXnat(CancellationToken.None);
                var export = new XnatSessionSummaryExporter(xnat).Export(_config.XnatProject!, target, CancellationToken.None);
                s.Counts["SessionFiles"] = export.Files.Count;
                s.Counts["Sessions"] = export.Sessions;
                return StepOutcome.Done;
            }
            if (_config.SessionExportPath == null || !Directory.Exists(_config.SessionExportPath))
            {
                Problem(_config.SessionExportPath == null
                    ? "No SessionExportPath (or XNAT connection) is configured: failures were not checked against XNAT and no master summary was merged."
                    : $"The session export folder {_config.SessionExportPath} does not exist: no master summary was merged.");
                return StepOutcome.Skipped;
            }
            Directory.CreateDirectory(target);
            var copied = 0;
            foreach (var export in XnatSessionExports.Locate(_config.SessionExportPath))
            {
                if (export.Path == null) { s.Warnings.Add($"{export.FileName} is not in {_config.SessionExportPath}"); continue; }
                File.Copy(export.Path, Path.Combine(target, export.FileName), overwrite: true);
                copied++;
            }
            s.Counts["SessionFiles"] = copied;
            return StepOutcome.Done;
        }

        private StepOutcome LedgerStep(RunStepSummary s, CancellationToken cancel)
        {
            var ledger = new IngestFailureLedger(_config.LedgerPath);
            List<IngestFailure> failures;
            if (_config.Mode == IngestionMode.HandOver)
                ReadReturnedFailures(s, out failures);
            else
            {
                failures = ReadCsv(ResultsFile).Where(r => r["Outcome"] == nameof(ImportOutcome.Failed)).Select(r => new IngestFailure
                {
                    Subject = r["Subject"], StudyDate = r["StudyDate"], AccessionNumber = r["AccessionNumber"], StudyDescription = r["StudyDescription"],
                    StudyInstanceUid = r["StudyInstanceUid"], HospitalId = r["PatientId"], Source = _folder.Id,
                }).ToList();
            }

            // The ledger is written at most once per run: a journal line with its hash before the write tells a
            // resumed run whether the write already happened (the hash changed) or not.
            var before = Hash(_config.LedgerPath);
            var applied = LedgerAppliedBefore(before);
            if (!applied)
            {
                _folder.Log("Ledger", "writing", new Dictionary<string, object?> { ["ledgerHashBefore"] = before });
                var added = ledger.Add(failures, _asOf, cancel);
                s.Counts["Added"] = added.Added;
                s.Counts["SeenAgain"] = added.Updated;
                var sessions = _folder.File(SessionsFolder);
                if (Directory.Exists(sessions) && File.Exists(_config.LedgerPath))
                {
                    var index = XnatSessionIndex.Load(sessions);
                    if (_config.Mode == IngestionMode.Dqr)
                    {
                        // XNAT's own listing knows every session's UID and label, which the exports do not for MR.
                        using var xnat = OpenXnat(cancel);
                        index.Add(new XnatSessionLister(xnat).GetSessions(_config.XnatProject!, null, null, false, cancel), $"XNAT project {_config.XnatProject}");
                    }
                    var resolved = ledger.Resolve(index, _asOf, cancel);
                    s.Counts["Resolved"] = resolved.Resolved;
                }
            }
            else s.Warnings.Add("The ledger was already updated by an earlier attempt of this run; not applied twice.");
            if (File.Exists(_config.LedgerPath))
            {
                File.Copy(_config.LedgerPath, _folder.File(LedgerSnapshotFile), overwrite: true);
                var rows = ledger.Read();
                s.Counts["Open"] = rows.Count(r => r.Status == IngestFailureStatus.Open);
                s.Counts["ResolvedTotal"] = rows.Count(r => r.Status == IngestFailureStatus.Resolved);
                s.Counts["Total"] = rows.Count;
            }
            Apply(s);
            return StepOutcome.Done;
        }

        /// <summary>True when a "writing" journal line of this run recorded a ledger hash that differs from the current one.</summary>
        private bool LedgerAppliedBefore(string currentHash)
        {
            foreach (var line in File.ReadAllLines(_folder.File(RunFolder.LogFile)))
            {
                JObject record;
                try { record = RunFolder.ParseLine(line); } catch (Newtonsoft.Json.JsonReaderException) { continue; }
                if ((string?)record["step"] == "Ledger" && (string?)record["event"] == "writing" && (string?)record["ledgerHashBefore"] != currentHash) return true;
            }
            return false;
        }

        private StepOutcome SummaryStep(RunStepSummary s, CancellationToken cancel)
        {
            var sessions = _folder.File(SessionsFolder);
            if (!Directory.Exists(sessions)) return StepOutcome.Skipped;
            var patients = ReadCsv(PatientsFile);
            var referenceDates = _config.ReferenceDatePath;
            if (referenceDates == null)
            {
                referenceDates = _folder.File(ReferenceDatesFile);
                WriteCsv(ReferenceDatesFile, new[] { "Subject", "Reference Date" }, patients.Where(p => p["ReferenceDate"].Length > 0).Select(p => new[] { p["Subject"], p["ReferenceDate"] }));
            }
            var request = new XnatSummaryRequest(sessions, referenceDates, _folder.File(SummaryFile))
            {
                FailurePath = File.Exists(_config.LedgerPath) ? _config.LedgerPath : null,
                CohortSubjects = patients.Select(p => p["Subject"]).ToList(),
            };
            var merged = XnatSummaryMerger.Merge(request, null, null, cancel);
            foreach (var w in merged.Warnings.Take(100)) s.Warnings.Add(w.ToString());
            s.Counts["Subjects"] = merged.SubjectCount;
            s.Counts["Sessions"] = merged.SessionCount;
            s.Counts["OpenFailures"] = merged.FailureCount;
            s.Counts["Columns"] = merged.ColumnCount;
            Apply(s);
            return StepOutcome.Done;
        }

        private StepOutcome FailureRateStep(RunStepSummary s)
        {
            var calculator = new IngestFailureRateCalculator(_config.Baselines, _config.AlarmPValue);
            var ungrouped = 0;
            foreach (var r in ReadCsv(ResultsFile))
            {
                if (r["Outcome"] != nameof(ImportOutcome.Imported) && r["Outcome"] != nameof(ImportOutcome.Failed)) continue;
                var group = IngestGroup.OfStudy(new[] { r["Modalities"] });
                if (group == null) { ungrouped++; continue; }
                calculator.AddAttempt(group, r["Outcome"] == nameof(ImportOutcome.Failed));
            }
            var rates = calculator.Results();
            WriteCsv(FailureRateFile, new[] { "Group", "Attempted", "Failed", "Rate", "BaselineRate", "PValue", "Verdict" }, rates.Select(r => new[]
            {
                r.Group, r.Attempted.ToString(CultureInfo.InvariantCulture), r.Failed.ToString(CultureInfo.InvariantCulture),
                r.Rate.ToString("0.####", CultureInfo.InvariantCulture), r.BaselineRate.ToString("0.####", CultureInfo.InvariantCulture),
                r.PValue.ToString("G4", CultureInfo.InvariantCulture), r.Verdict.ToString(),
            }));
            foreach (var high in rates.Where(r => r.Verdict == IngestFailureVerdict.High))
                Problem($"Failure rate High for {high.Group}: {high.Failed} of {high.Attempted} failed against a baseline of {high.BaselineRate:P1} (p = {high.PValue.ToString("G3", CultureInfo.InvariantCulture)}); check the pipeline.");
            s.Counts["High"] = rates.Count(r => r.Verdict == IngestFailureVerdict.High);
            s.Counts["Attempted"] = rates.Sum(r => r.Attempted);
            s.Counts["Ungrouped"] = ungrouped;
            Apply(s);
            return StepOutcome.Done;
        }

        private StepOutcome PublishStep(RunStepSummary s, CancellationToken cancel)
        {
            var summary = _folder.File(SummaryFile);
            if (_config.EdwDropFolder == null || !File.Exists(summary))
            {
                if (_config.EdwDropFolder != null) Problem("No master summary was merged, so nothing was published to the EDW.");
                return StepOutcome.Skipped;
            }
            // The version is the run's own start, so a resumed run republishes the same version (or finds it there).
            var publisher = new EdwPublisher(_config.EdwDropFolder) { Keep = _config.EdwKeep };
            EdwPublication? publication = null;
            var version = _folder.StartedAt();
            for (var attempt = 0; publication == null; attempt++)
            {
                try { publication = publisher.Publish(summary, "master-summary", version, cancellationToken: cancel); }
                catch (EdwVersionConflictException) when (attempt < 60)
                {
                    // Another run started in the same second published its own summary under this version's name.
                    version = version.AddSeconds(1);
                }
                catch (EdwNewerVersionException ex)
                {
                    Problem($"The EDW drop folder already holds a newer summary ({Path.GetFileName(ex.NewerPath)}); this run's summary was not published.");
                    return StepOutcome.Skipped;
                }
            }
            _folder.WriteJson(PublicationFile, JObject.FromObject(new
            {
                Status = publication.Status.ToString(), publication.Path, publication.Sha256, publication.Length, publication.Removed,
            }));
            s.Counts["Published"] = publication.Status == EdwPublicationStatus.Published ? 1 : 0;
            s.Counts["Removed"] = publication.Removed.Count;
            Apply(s);
            return StepOutcome.Done;
        }

        private StepOutcome CohortUpdateStep(RunStepSummary s, CancellationToken cancel)
        {
            var notQueried = new HashSet<string>(ReadCsv(NotQueriedFile).Select(r => r["PatientId"]), StringComparer.OrdinalIgnoreCase);
            var unfinished = new HashSet<string>(ReadCsv(ResultsFile).Where(r => r["Outcome"] != nameof(ImportOutcome.Imported) && r["Outcome"] != nameof(ImportOutcome.Failed))
                .Select(r => r["PatientId"]), StringComparer.OrdinalIgnoreCase);
            // A study held for review is decided by a clinician before the next run: its patient keeps the watermark,
            // so the next run finds the study again and classifies it with the updated list.
            var pendingReview = new HashSet<string>(ReadCsv(SelectedFile).Where(r => r["Decision"] == nameof(StudyDecision.Review)).Select(r => r["PatientId"]), StringComparer.OrdinalIgnoreCase);
            var patients = ReadCsv(PatientsFile).Select(p => p["PatientId"]).ToList();
            var done = patients.Where(id => !notQueried.Contains(id) && !unfinished.Contains(id) && !pendingReview.Contains(id)).ToList();
            var plan = CohortFile.Update(_config.CohortPath, done, _asOf, cancellationToken: cancel);
            s.Counts["Recorded"] = plan.Changes.Count;
            s.Counts["Promoted"] = plan.PromotedCount;
            s.Counts["KeptWatermark"] = patients.Count - done.Count;
            s.Counts["PendingReviewPatients"] = pendingReview.Count;
            Apply(s);
            return StepOutcome.Done;
        }

        // ---- helpers --------------------------------------------------------------------------------------------

        /// <summary>Parses the returned failure text; the set holds failed UIDs and accession keys.</summary>
        private HashSet<string> ReadReturnedFailures(RunStepSummary s, out List<IngestFailure> failures)
        {
            var path = _folder.File(ReturnedFailuresFile);
            var map = _config.IdMapPath != null
                ? HospitalIdMap.Load(_config.IdMapPath)
                : HospitalIdMap.FromPairs(ReadCsv(PatientsFile).Select(p => new KeyValuePair<string, string>(p["PatientId"], p["NhsNumber"])));
            var reader = new IngestFailureReader(map);
            failures = new List<IngestFailure>();
            var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var unreadable = 0;
            foreach (var item in reader.ReadFile(path, "returned-failures.txt"))
            {
                if (item.Error != null) { unreadable++; s.Warnings.Add(item.Error.Message); continue; }
                var f = item.Record!;
                failures.Add(f);
                if (f.StudyInstanceUid.Length > 0) keys.Add(f.StudyInstanceUid.Trim());
                if (f.AccessionNumber.Length > 0) keys.Add("acc:" + f.AccessionNumber.Trim() + "\u001f" + f.HospitalId.Trim());
            }
            if (unreadable > 0) Problem($"{unreadable} records of the returned failure text could not be read (see the log).");
            s.Counts["FailureRecords"] = failures.Count;
            return keys;
        }

        private void Apply(RunStepSummary s) => ApplyCounts(s.Name, s.Counts);

        private void RestoreCounts(RunStepSummary s, JObject record)
        {
            if (record["counts"] is JObject counts) foreach (var p in counts.Properties()) s.Counts[p.Name] = (long)p.Value;
            if (record["seconds"] is JToken seconds) s.Seconds = (double)seconds;
            ApplyCounts(s.Name, s.Counts);
            // Problems are facts about the run's files, so a resumed run reports them again.
            if (s.Name == "Query" && s.Counts.TryGetValue("NotQueried", out var nq) && nq > 0)
                Problem($"{nq} patients could not be queried; they keep their watermark and are queried again next run.");
            if (s.Name == "Query" && s.Counts.TryGetValue("PatientsWithWarnings", out var warned) && warned > 0)
                QueryWarningProblem(warned);
            if (s.Name == "Select" && s.Counts.TryGetValue("ReviewDescriptions", out var rd) && rd > 0)
                Problem($"{rd} study descriptions are on neither list: a clinician should decide them in {ReviewFile}, then Update-StudyRule.");
            if (s.Name == "Ingest" && s.Counts.TryGetValue("NotSent", out var ns) && ns > 0)
                Problem($"{ns} studies could not be sent (network); they are sent next run.");
            if (s.Name == "Cohort" && s.Counts.TryGetValue("BadRows", out var br) && br > 0)
                Problem($"{br} cohort rows could not be read (see the log); those patients were not queried.");
            if (s.Name == "FailureRate" && s.Counts.TryGetValue("High", out var high) && high > 0)
                Problem($"Failure rate High for {high} group(s): see {FailureRateFile}; check the pipeline.");
            if (s.Name == "Sessions" && (string?)record["state"] == "Skipped")
                Problem("No session exports: failures were not checked against XNAT and no master summary was merged.");
        }

        private void ApplyCounts(string step, Dictionary<string, long> c)
        {
            long Get(string k) => c.TryGetValue(k, out var v) ? v : 0;
            switch (step)
            {
                case "Cohort": _result.Patients = (int)Get("Patients"); _result.Deceased = (int)Get("Deceased"); break;
                case "Query": _result.NotQueried = (int)Get("NotQueried"); _result.Studies = (int)Get("Studies"); break;
                case "Select":
                    _result.Included = (int)Get("Include"); _result.Review = (int)Get("Review");
                    if (File.Exists(_folder.File(ReviewFile))) _result.ReviewPath = _folder.File(ReviewFile);
                    break;
                case "Plan": _result.Planned = (int)Get("Planned"); _result.AlreadyImported = (int)Get("AlreadyImported"); break;
                case "Ingest":
                    _result.Imported = (int)Get("Imported"); _result.Failed = (int)Get("Failed"); _result.NotSent = (int)Get("NotSent");
                    if (File.Exists(_folder.File(HandOverFile))) _result.HandOverPath = _folder.File(HandOverFile);
                    break;
                case "Ledger": _result.LedgerOpen = (int)Get("Open"); _result.LedgerResolved = (int)Get("Resolved"); break;
                case "Summary": _result.SummaryPath = _folder.File(SummaryFile); break;
                case "FailureRate": _result.HighFailureRates = (int)Get("High"); break;
                case "Publish":
                    if (File.Exists(_folder.File(PublicationFile))) _result.PublishedPath = (string?)JObject.Parse(File.ReadAllText(_folder.File(PublicationFile)))["Path"];
                    break;
                case "CohortUpdate": _result.PatientsRecorded = (int)Get("Recorded"); break;
            }
        }

        private static Dictionary<string, object?> LogData(RunStepSummary s) => new Dictionary<string, object?>
        {
            ["state"] = s.State, ["seconds"] = s.Seconds, ["counts"] = s.Counts, ["warnings"] = s.Warnings.Count,
        };

        // A PACS answer that may be truncated (a day holding more studies than the PACS's cap) only shows as a warning
        // of the step; raised as a problem so that the run exits 2 and the admin sees it, not just the log.
        private void QueryWarningProblem(long patients) =>
            Problem($"The PACS answers for {patients} patient{(patients == 1 ? "" : "s")} came with warnings (see the Query step's warnings in {RunFolder.LogFile} " +
                    "and the report): their studies may be incomplete, e.g. where one day holds more studies than the PACS returns per query.");

        private void Problem(string text)
        {
            if (!_result.Problems.Contains(text)) _result.Problems.Add(text);
        }

        private static void CrashHook(string step)
        {
            if (string.Equals(Environment.GetEnvironmentVariable(CrashVariable), step, StringComparison.OrdinalIgnoreCase))
                Environment.Exit(CrashExitCode);
        }

        private static int PauseAfter() =>
            int.TryParse(Environment.GetEnvironmentVariable(PauseVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1;

        private JObject ConfigCopy()
        {
            var copy = JObject.FromObject(_config.Source);
            copy["_credential"] = _request.CredentialSource ?? "none";
            copy["_configPath"] = _config.ConfigPath;
            return copy;
        }

        private ImportRecord Record(Dictionary<string, string> p, ImportOutcome outcome, string? message) => new ImportRecord
        {
            Run = _folder.Id, StudyInstanceUid = p["StudyInstanceUid"], PatientId = p["PatientId"], AccessionNumber = p["AccessionNumber"], Outcome = outcome, Message = message,
        };

        private static string[] ResultRow(Dictionary<string, string> p, ImportOutcome outcome, string? message) =>
            StudyColumns.Select(c => p[c]).Concat(new[] { outcome.ToString(), message ?? "" }).ToArray();

        private static string[] StudyRow(PacsStudy x, Dictionary<string, string> subjects) => new[]
        {
            x.PatientId, subjects.TryGetValue(x.PatientId, out var subject) ? subject : CohortPatient.SubjectFor(x.PatientId, null),
            Iso(x.StudyDate), x.AccessionNumber ?? "", x.StudyDescription ?? "", x.StudyInstanceUid, string.Join("\\", x.ModalitiesInStudy),
        };

        private static PacsStudy ToStudy(Dictionary<string, string> row) => new PacsStudy
        {
            PatientId = row["PatientId"],
            StudyDate = ParseIso(row["StudyDate"]),
            AccessionNumber = row["AccessionNumber"],
            StudyDescription = row["StudyDescription"],
            StudyInstanceUid = row["StudyInstanceUid"],
            ModalitiesInStudy = row["Modalities"].Split(new[] { '\\' }, StringSplitOptions.RemoveEmptyEntries),
        };

        private static string Iso(DateTime? d) => d.HasValue ? DateValue.ToIso(d.Value) : "";

        private static DateTime? ParseIso(string text) => DateValue.TryParseExact(text, DateValue.Iso, out var d) ? d : (DateTime?)null;

        private void WriteCsv(string name, string[] header, IEnumerable<string[]> rows) =>
            AtomicFile.WriteText(_folder.File(name), w =>
            {
                w.WriteLine(CsvTable.Format(header));
                foreach (var row in rows) w.WriteLine(CsvTable.Format(row));
            }, keepBackup: false);

        private List<Dictionary<string, string>> ReadCsv(string name)
        {
            var path = _folder.File(name);
            if (!File.Exists(path)) throw new RunStepException($"{name} is missing from the run folder {_folder.Path}; the step that writes it did not finish.");
            var table = CsvTable.Read(path);
            return table.Rows.Where(r => !r.IsBlank).Select(r =>
            {
                var d = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var i = 0; i < table.Header.Length; i++) d[table.Header[i]] = r.Get(i);
                return d;
            }).ToList();
        }

        private static string Hash(string path)
        {
            if (!File.Exists(path)) return "absent";
            using var sha = System.Security.Cryptography.SHA256.Create();
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return BitConverter.ToString(sha.ComputeHash(stream)).Replace("-", "");
        }

        private static void TryDeleteFolder(string path)
        {
            try { Directory.Delete(path, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        /// <summary>Collects query results from the runner's workers.</summary>
        private sealed class QuerySink : IStudyQuerySink
        {
            private readonly int _pauseAfter;
            private readonly RunFolder _folder;
            private int _completed;

            public QuerySink(int pauseAfter, RunFolder folder)
            {
                _pauseAfter = pauseAfter;
                _folder = folder;
            }

            public ConcurrentBag<PacsStudy> Studies { get; } = new ConcurrentBag<PacsStudy>();
            public ConcurrentDictionary<string, string> Failed { get; } = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            public ConcurrentQueue<string> Warnings { get; } = new ConcurrentQueue<string>();

            public void OnStudy(StudyQuery query, PacsStudy study) => Studies.Add(study);
            /// <summary>Patients whose answers came with a warning (possibly truncated, foreign studies, ...).</summary>
            public ConcurrentDictionary<string, bool> WarnedPatients { get; } = new ConcurrentDictionary<string, bool>(StringComparer.OrdinalIgnoreCase);

            public void OnWarning(StudyQuery query, string message)
            {
                WarnedPatients[query.PatientId ?? ""] = true;
                Warnings.Enqueue($"{query.PatientId}: {message}");
            }
            /// <summary>Transient faults retried (and changes of parallelism), counted for the log.</summary>
            public int Notices => _notices;
            private int _notices;
            public void OnNotice(StudyQuery query, string message) => Interlocked.Increment(ref _notices);
            public void OnFailed(StudyQuery query, Exception exception) => Failed[query.PatientId ?? ""] = exception.Message;

            public void OnCompleted(StudyQuery query, int studyCount)
            {
                if (Interlocked.Increment(ref _completed) != _pauseAfter) return;
                var flag = _folder.File("query-paused");
                File.WriteAllText(flag, "delete this file to let the run go on");
                while (File.Exists(flag)) Thread.Sleep(50);
            }
        }
    }
}
