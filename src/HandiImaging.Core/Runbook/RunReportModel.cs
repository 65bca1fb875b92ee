using System;
using System.Collections;
using System.Collections.Generic;
using HandiImaging.Core.Failures;

namespace HandiImaging.Core.Runbook
{
    /// <summary>How one step of a run ended.</summary>
    public enum RunStepStatus
    {
        Completed,
        Skipped,
        Failed,
        /// <summary>Run under -WhatIf: planned, nothing changed.</summary>
        WhatIf,
    }

    /// <summary>
    /// Named counts that keep the order they were added in (the report lists them that way), with dictionary
    /// access. Setting an existing name replaces its value in place. Serialises as a JSON object.
    /// </summary>
    public sealed class RunCounts : IDictionary<string, long>, IReadOnlyDictionary<string, long>
    {
        private readonly List<KeyValuePair<string, long>> _items = new List<KeyValuePair<string, long>>();
        private readonly Dictionary<string, int> _index = new Dictionary<string, int>(StringComparer.Ordinal);

        public long this[string key]
        {
            get => _items[_index[key]].Value;
            set
            {
                if (key is null) throw new ArgumentNullException(nameof(key));
                if (_index.TryGetValue(key, out var i)) _items[i] = new KeyValuePair<string, long>(key, value);
                else { _index[key] = _items.Count; _items.Add(new KeyValuePair<string, long>(key, value)); }
            }
        }

        public ICollection<string> Keys => _items.ConvertAll(p => p.Key);
        public ICollection<long> Values => _items.ConvertAll(p => p.Value);
        IEnumerable<string> IReadOnlyDictionary<string, long>.Keys => Keys;
        IEnumerable<long> IReadOnlyDictionary<string, long>.Values => Values;
        public int Count => _items.Count;
        public bool IsReadOnly => false;

        public void Add(string key, long value)
        {
            if (key is null) throw new ArgumentNullException(nameof(key));
            if (_index.ContainsKey(key)) throw new ArgumentException($"'{key}' is already counted.", nameof(key));
            this[key] = value;
        }

        public void Add(KeyValuePair<string, long> item) => Add(item.Key, item.Value);
        public bool ContainsKey(string key) => _index.ContainsKey(key);
        public bool Contains(KeyValuePair<string, long> item) => _index.TryGetValue(item.Key, out var i) && _items[i].Value == item.Value;

        public bool TryGetValue(string key, out long value)
        {
            if (_index.TryGetValue(key, out var i)) { value = _items[i].Value; return true; }
            value = 0;
            return false;
        }

        public bool Remove(string key)
        {
            if (!_index.TryGetValue(key, out var i)) return false;
            _items.RemoveAt(i);
            _index.Clear();
            for (int j = 0; j < _items.Count; j++) _index[_items[j].Key] = j;
            return true;
        }

        public bool Remove(KeyValuePair<string, long> item) => Contains(item) && Remove(item.Key);

        public void Clear() { _items.Clear(); _index.Clear(); }
        public void CopyTo(KeyValuePair<string, long>[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);
        public IEnumerator<KeyValuePair<string, long>> GetEnumerator() => _items.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>One step of a run, as the log and the report show it.</summary>
    public sealed class RunStepRecord
    {
        /// <summary>The step's name as the SOP calls it ("Query PACS", "Publish to the EDW").</summary>
        public string Name { get; set; } = "";
        public RunStepStatus Status { get; set; }
        public TimeSpan Duration { get; set; }
        /// <summary>The step's numbers in the order they should be shown (patients queried, studies found …).</summary>
        public RunCounts Counts { get; set; } = new RunCounts();
        /// <summary>The step's warnings: counts, file names, line numbers and IDs only — never patient names.</summary>
        public List<string> Warnings { get; set; } = new List<string>();
    }

    /// <summary>One study description waiting for a clinician's decision (no patient data).</summary>
    public sealed class RunReviewItem
    {
        public string Description { get; set; } = "";
        /// <summary>The modalities the description was seen with ("CT", "CT, MR").</summary>
        public string Modality { get; set; } = "";
        public int StudyCount { get; set; }
        /// <summary>An example accession number or study date, so the clinician can look one up — never a patient name.</summary>
        public string Example { get; set; } = "";
    }

    /// <summary>Everything the run report shows; the runbook fills it as the run goes.</summary>
    public sealed class RunReportModel
    {
        public string RunId { get; set; } = "";
        public DateTimeOffset Started { get; set; }
        public DateTimeOffset Finished { get; set; }
        /// <summary>The process exit code: 0 success, 1 failed, 2 completed with problems, 3 another run holds the lock.</summary>
        public int ExitCode { get; set; }
        /// <summary>One line saying how the run ended, for the report's heading.</summary>
        public string Outcome { get; set; } = "";
        public List<RunStepRecord> Steps { get; set; } = new List<RunStepRecord>();
        public List<IngestFailureRate> FailureRates { get; set; } = new List<IngestFailureRate>();
        public List<RunReviewItem> Review { get; set; } = new List<RunReviewItem>();
        /// <summary>Run-wide warnings (each step's own are in <see cref="RunStepRecord.Warnings"/>).</summary>
        public List<string> Warnings { get; set; } = new List<string>();
        /// <summary>Files of the run folder the report links to, relative to the run folder (where the report is written).</summary>
        public List<string> Files { get; set; } = new List<string>();
    }
}
