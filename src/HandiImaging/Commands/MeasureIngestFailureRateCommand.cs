using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Failures;

namespace HandiImaging.Commands
{
    /// <summary>Measures this run's ingestion failure rate per group and flags a group whose rate is clearly above its historic baseline.</summary>
    /// <remarks>
    /// <para>Measure-IngestFailureRate counts attempted and failed ingestions in five groups — CT; MR; PET+NM
    /// (modalities PT, NM); RF+XA (video fluoroscopy); CR+DX (dental x-ray, also IO and PX) — and returns one
    /// IngestFailureRate per group with Attempted, Failed, Rate, BaselineRate, PValue and Verdict. A study with
    /// several modalities counts in the first of PET+NM, MR, CT, RF+XA, CR+DX it has (a PET/CT is a PET
    /// session); SR, PR, KO and other non-image modalities are ignored, and a study in no group is left out with
    /// a warning.</para>
    /// <para>The baselines are the historic rates of the first full ingestion (failures / (failures + sessions
    /// in XNAT)): CT 7.4 %, MR 6.7 %, PET+NM 14.2 %, RF+XA 56.4 %, CR+DX 24.1 %; -Baseline replaces them per
    /// group. PValue is the one-sided exact binomial probability of at least this many failures if the baseline
    /// held, P(X ≥ Failed | Attempted, BaselineRate). Verdict is High when PValue is below -Alpha (0.01), else
    /// Normal: a High group had more failures than bad luck explains, which points at the pipeline (PACS, XNAT,
    /// the network) rather than the studies.</para>
    /// <para>Input comes in three forms. Studies (the default): objects with Modality (or ModalitiesInStudy)
    /// and a Status (or Outcome) such as Received/Completed or Failed/Stale, for example import results or an
    /// Import-Csv of a results sheet; or studies without a status (Select-RelevantStudy output) together with
    /// -Failure, the quarter's IngestFailure records, matched by StudyInstanceUID or accession number. Statuses
    /// Skipped, AlreadyInXnat and WhatIf are not attempts; a status that is still pending or unknown is an
    /// error for that item (UnknownImportStatus). Counts: objects with Group (or Modality), Attempted and
    /// Failed — an Import-Csv of a counts sheet or earlier IngestFailureRate results. Or a -Counts hashtable
    /// keyed by group or modality. Counts for modalities of one group are added together.</para>
    /// </remarks>
    /// <example>
    /// <code>Measure-IngestFailureRate -Counts @{ CT = @{ Attempted = 400; Failed = 52 }; MR = @{ Attempted = 150; Failed = 9 } }</code>
    /// <para>Judges this quarter's CT and MR counts against the historic rates; CT (13 % against 7.4 %) comes out High.</para>
    /// </example>
    /// <example>
    /// <code>$selected | Measure-IngestFailureRate -Failure (ConvertFrom-IngestFailure ./PACs-failures.txt)</code>
    /// <para>Counts the selected studies as attempted and those in the ingestion team's failure text as failed.</para>
    /// </example>
    /// <example>
    /// <code>Import-Csv ./import-results.csv | Measure-IngestFailureRate -Baseline @{ 'RF+XA' = 0.40 } -Alpha 0.05 | Where-Object Verdict -eq High</code>
    /// <para>Reads a results sheet with Modality and Status columns, judges video fluoroscopy against 40 %, and
    /// lists the groups whose rate is high at the 5 % level.</para>
    /// </example>
    [Cmdlet(VerbsDiagnostic.Measure, "IngestFailureRate", DefaultParameterSetName = InputSet)]
    [OutputType(typeof(IngestFailureRate))]
    public sealed class MeasureIngestFailureRateCommand : HandiCmdlet
    {
        private const string InputSet = "Input";
        private const string TableSet = "Table";

        private IngestFailureRateCalculator _calculator = null!;
        // Each usable -Failure item is numbered; a study matches it by UID, else by accession number.
        private readonly Dictionary<string, int> _failureByUid = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _failureByAccession = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly HashSet<int> _matchedFailures = new HashSet<int>();
        private readonly Dictionary<string, int> _ungrouped = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<int> _usableFailures = new HashSet<int>();
        private int _failureCount;
        private int _item;

        /// <summary>The study's modalities (a study) or the group or modality counted (counts): CT, MR, PT, NM, RF, XA, CR, DX, or a group name such as PET+NM.</summary>
        [Parameter(Mandatory = true, ParameterSetName = InputSet, ValueFromPipelineByPropertyName = true, Position = 0)]
        [Alias("ModalitiesInStudy", "Modalities", "Group")]
        [AllowEmptyCollection, AllowEmptyString, AllowNull]
        public string[] Modality
        {
            get => _modality;
            set => _modality = value ?? Array.Empty<string>();
        }

        private string[] _modality = Array.Empty<string>();

        /// <summary>How the study's ingestion ended: Received, Completed, Succeeded, Ingested (success); Failed, Stale, Error, Rejected (failure); Skipped, AlreadyInXnat, WhatIf (not an attempt).</summary>
        [Parameter(ParameterSetName = InputSet, ValueFromPipelineByPropertyName = true)]
        [Alias("Outcome", "State")]
        [AllowEmptyString, AllowNull]
        public string? Status { get; set; }

        /// <summary>The study's StudyInstanceUID, matched against -Failure.</summary>
        [Parameter(ParameterSetName = InputSet, ValueFromPipelineByPropertyName = true)]
        [Alias("UID")]
        [AllowEmptyString, AllowNull]
        public string? StudyInstanceUid { get; set; }

        /// <summary>The study's accession number, matched against -Failure when the UIDs do not match.</summary>
        [Parameter(ParameterSetName = InputSet, ValueFromPipelineByPropertyName = true)]
        [Alias("Accession")]
        [AllowEmptyString, AllowNull]
        public string? AccessionNumber { get; set; }

        /// <summary>This quarter's failures (IngestFailure records, ledger rows, or any objects with StudyInstanceUid or AccessionNumber): a piped study that matches one counts as failed.</summary>
        [Parameter(ParameterSetName = InputSet)]
        [AllowEmptyCollection]
        public PSObject[]? Failure { get; set; }

        /// <summary>Attempted ingestions for the group or modality in -Modality (Group); given with -Failed, the input is a count rather than a study.</summary>
        [Parameter(ParameterSetName = InputSet, ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, long.MaxValue)]
        public long? Attempted { get; set; }

        /// <summary>Failed ingestions for the group or modality in -Modality (Group); at most Attempted.</summary>
        [Parameter(ParameterSetName = InputSet, ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, long.MaxValue)]
        public long? Failed { get; set; }

        /// <summary>Counts keyed by group or modality; each value is a hashtable or object with Attempted and Failed, or a two-element array (attempted, failed).</summary>
        [Parameter(Mandatory = true, ParameterSetName = TableSet)]
        public Hashtable Counts { get; set; } = new Hashtable();

        /// <summary>Baseline rates replacing the historic ones, keyed by group or modality: a fraction (0.074) or a percentage string ('7.4%').</summary>
        [Parameter]
        public Hashtable? Baseline { get; set; }

        /// <summary>Significance level: a group is High when its p-value is below it. Default 0.01.</summary>
        [Parameter]
        [ValidateRange(1e-12, 0.5)]
        public double Alpha { get; set; } = 0.01;

        protected override void BeginProcessing()
        {
            var baselines = new List<KeyValuePair<string, double>>();
            if (Baseline != null)
            {
                foreach (DictionaryEntry entry in Baseline)
                {
                    var key = entry.Key?.ToString() ?? "";
                    try
                    {
                        if (IngestGroup.Resolve(key) == null)
                            throw new ArgumentException($"-Baseline key '{key}' names no group; use {string.Join(", ", IngestGroup.All)} or one of their modalities.");
                        baselines.Add(new KeyValuePair<string, double>(key, IngestGroup.ParseRate(Unwrap(entry.Value), $"-Baseline {key}")));
                    }
                    catch (Exception ex) when (ex is FormatException || ex is ArgumentException)
                    {
                        Fail(new ArgumentException(ex.Message, ex), "InvalidBaseline", ErrorCategory.InvalidArgument, key);
                    }
                }
            }
            _calculator = new IngestFailureRateCalculator(baselines, Alpha);

            foreach (var failure in Failure ?? Array.Empty<PSObject>())
            {
                if (failure == null) continue;
                _failureCount++;
                var uid = Text(failure, "StudyInstanceUid", "UID");
                var accession = Text(failure, "AccessionNumber", "Accession");
                if (uid.Length == 0 && accession.Length == 0)
                {
                    WriteItemError(new ArgumentException($"-Failure item {_failureCount} has neither StudyInstanceUid nor AccessionNumber and matches no study."), "UnmatchableFailure", ErrorCategory.InvalidData, failure);
                    continue;
                }
                var number = _failureCount;
                if (uid.Length > 0 && _failureByUid.TryGetValue(uid, out var earlier)) number = earlier;
                else if (uid.Length == 0 && _failureByAccession.TryGetValue(accession, out earlier)) number = earlier;
                if (uid.Length > 0) _failureByUid[uid] = number;
                if (accession.Length > 0 && !_failureByAccession.ContainsKey(accession)) _failureByAccession[accession] = number;
                _usableFailures.Add(number);
            }

            if (ParameterSetName == TableSet)
            {
                foreach (DictionaryEntry entry in Counts)
                {
                    var key = entry.Key?.ToString() ?? "";
                    if (!TryCounts(Unwrap(entry.Value), out var attempted, out var failed))
                    {
                        Fail(new ArgumentException($"-Counts '{key}': give @{{ Attempted = n; Failed = m }} or @(attempted, failed)."), "InvalidCount", ErrorCategory.InvalidArgument, key);
                        return;
                    }
                    AddCounts(key, attempted, failed, entry.Value);
                }
            }
        }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == TableSet) return;
            _item++;
            if (Attempted.HasValue || Failed.HasValue)
            {
                var key = Modality.FirstOrDefault(m => !string.IsNullOrWhiteSpace(m)) ?? "";
                if (Modality.Length > 1 || !Attempted.HasValue || !Failed.HasValue)
                {
                    WriteItemError(new ArgumentException($"Counts item {_item}: give one group or modality with both Attempted and Failed."), "InvalidCount", ErrorCategory.InvalidData, key);
                    return;
                }
                AddCounts(key, Attempted.Value, Failed.Value, key);
                return;
            }

            var group = IngestGroup.OfStudy(Modality);
            var uid = (StudyInstanceUid ?? "").Trim();
            var accession = (AccessionNumber ?? "").Trim();
            var label = uid.Length > 0 ? uid : accession.Length > 0 ? accession : "study " + _item.ToString(CultureInfo.InvariantCulture);

            bool failed;
            if (!string.IsNullOrWhiteSpace(Status))
            {
                if (!IngestOutcomes.TryParse(Status, out var outcome))
                {
                    WriteItemError(new ArgumentException($"{label}: status '{Status}' is not a final outcome; give Received/Completed (success), Failed/Stale (failure) or Skipped (not attempted). Wait for pending imports first."),
                        "UnknownImportStatus", ErrorCategory.InvalidData, label);
                    return;
                }
                if (outcome == IngestOutcome.NotAttempted) return;
                failed = outcome == IngestOutcome.Failed;
            }
            else if (Failure == null)
            {
                WriteItemError(new ArgumentException($"{label}: no Status, and no -Failure list to match it against; give studies with a Status (or Outcome) or pass -Failure."),
                    "MissingImportStatus", ErrorCategory.InvalidData, label);
                return;
            }
            else failed = false;

            int failureNumber = 0;
            bool listed = (uid.Length > 0 && _failureByUid.TryGetValue(uid, out failureNumber))
                || (accession.Length > 0 && _failureByAccession.TryGetValue(accession, out failureNumber));
            if (listed) _matchedFailures.Add(failureNumber);

            if (group == null)
            {
                var key = string.Join("\\", Modality.Where(m => !string.IsNullOrWhiteSpace(m)));
                _ungrouped[key.Length == 0 ? "(none)" : key] = _ungrouped.TryGetValue(key.Length == 0 ? "(none)" : key, out var c) ? c + 1 : 1;
                return;
            }
            _calculator.AddAttempt(group, failed || listed);
        }

        protected override void EndProcessing()
        {
            if (_ungrouped.Count > 0)
                WriteWarning($"{_ungrouped.Values.Sum()} stud(ies) with modalities in no group were not counted ({string.Join(", ", _ungrouped.Select(p => p.Key + ": " + p.Value.ToString(CultureInfo.InvariantCulture)))}).");
            if (ParameterSetName == InputSet)
            {
                var unmatched = _usableFailures.Count(n => !_matchedFailures.Contains(n));
                if (unmatched > 0) WriteWarning($"{unmatched} failure(s) in -Failure match none of the studies given and were not counted.");
            }
            foreach (var result in _calculator.Results())
            {
                WriteVerbose(result.ToString());
                WriteObject(result);
            }
        }

        private void AddCounts(string key, long attempted, long failed, object? target)
        {
            try
            {
                _calculator.AddCounts(key, attempted, failed);
            }
            catch (Exception ex) when (ex is ArgumentException)
            {
                WriteItemError(new ArgumentException(ex.Message.Split(new[] { " (Parameter" }, StringSplitOptions.None)[0], ex), "InvalidCount", ErrorCategory.InvalidData, target);
            }
        }

        private static bool TryCounts(object? value, out long attempted, out long failed)
        {
            attempted = failed = 0;
            switch (value)
            {
                case IDictionary dictionary:
                    return TryLong(Lookup(dictionary, "Attempted"), out attempted) && TryLong(Lookup(dictionary, "Failed"), out failed);
                case IList list when list.Count == 2:
                    return TryLong(Unwrap(list[0]), out attempted) && TryLong(Unwrap(list[1]), out failed);
                case PSObject ps:
                    return TryLong(Unwrap(ps.Properties["Attempted"]?.Value), out attempted) && TryLong(Unwrap(ps.Properties["Failed"]?.Value), out failed);
                default:
                    return false;
            }
        }

        private static object? Lookup(IDictionary dictionary, string name)
        {
            foreach (DictionaryEntry entry in dictionary)
                if (string.Equals(entry.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase)) return Unwrap(entry.Value);
            return null;
        }

        private static bool TryLong(object? value, out long result)
        {
            result = 0;
            switch (value)
            {
                case int i: result = i; return true;
                case long l: result = l; return true;
                case short s: result = s; return true;
                case byte b: result = b; return true;
                case double d when d == Math.Floor(d) && d >= 0 && d < 9e15: result = (long)d; return true;
                case string text: return long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out result);
                default: return false;
            }
        }

        private static object? Unwrap(object? value) => value is PSObject ps ? ps.BaseObject : value;

        private static string Text(PSObject item, params string[] names)
        {
            foreach (var name in names)
            {
                var value = Unwrap(item.Properties[name]?.Value);
                if (value != null) return (value.ToString() ?? "").Trim();
            }
            return "";
        }
    }
}
