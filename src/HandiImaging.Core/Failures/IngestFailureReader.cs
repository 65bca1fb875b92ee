using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

using HandiImaging.Core.IO;

namespace HandiImaging.Core.Failures
{
    /// <summary>
    /// Turns failure text into <see cref="IngestFailure"/> records as the procedure wants them: placeholders
    /// (2099-01-01) dropped unless asked for, exact repeats collapsed to one (across every input given to one
    /// reader), dates normalised to yyyy-MM-dd, and hospital IDs mapped to subjects — the NHS number, or
    /// <c>NN_&lt;HospitalID&gt;</c> when the map lacks the patient or lists them without one.
    /// </summary>
    public sealed class IngestFailureReader
    {
        private const char Separator = '\u001f';
        private readonly HospitalIdMap? _map;
        private readonly bool _includePlaceholder;
        private readonly HashSet<string> _seen = new HashSet<string>(StringComparer.Ordinal);
        private readonly StringBuilder _key = new StringBuilder(256);

        public IngestFailureReader(HospitalIdMap? map, bool includePlaceholder = false)
        {
            _map = map;
            _includePlaceholder = includePlaceholder;
            Stats = new IngestFailureStats(map == null);
        }

        public IngestFailureStats Stats { get; }

        /// <summary>Streams the records of one text; unreadable records come out as errors in line order.</summary>
        public IEnumerable<FailureReadItem<IngestFailure>> Read(TextReader reader, string source)
        {
            foreach (var item in FailureTextParser.Parse(reader, source))
            {
                var converted = Convert(item);
                if (converted.HasValue) yield return converted.Value;
            }
        }

        /// <summary>Streams the records of a file (UTF-8 unless it has another byte-order mark).</summary>
        public IEnumerable<FailureReadItem<IngestFailure>> ReadFile(string path, string? sourceName = null)
        {
            using var reader = TextFileEncoding.OpenReader(path, out var encoding);
            Stats.Encodings.Add($"{System.IO.Path.GetFileName(path)}: {encoding.Name}");
            foreach (var item in Read(reader, sourceName ?? path)) yield return item;
        }

        /// <summary>Applies the rules to one parse item; null when the record is dropped (placeholder or repeat).</summary>
        public FailureReadItem<IngestFailure>? Convert(FailureReadItem<RawFailureRecord> item)
        {
            if (item.Error != null)
            {
                Stats.Unreadable++;
                return new FailureReadItem<IngestFailure>(item.Error);
            }
            var failure = Convert(item.Record!);
            return failure == null ? (FailureReadItem<IngestFailure>?)null : new FailureReadItem<IngestFailure>(failure);
        }

        /// <summary>Applies the rules to one record; null when it is dropped (placeholder or exact repeat).</summary>
        public IngestFailure? Convert(RawFailureRecord raw)
        {
            var date = FailureDate.Normalize(raw.StudyDate, out var dateParsed);
            if (!_includePlaceholder && FailureDate.IsPlaceholder(date))
            {
                Stats.PlaceholdersDropped++;
                return null;
            }

            _key.Clear().Append(raw.AccessionNumber).Append(Separator).Append(raw.HospitalId).Append(Separator)
                .Append(date).Append(Separator).Append(raw.StudyDescription).Append(Separator).Append(raw.StudyInstanceUid);
            if (!_seen.Add(_key.ToString()))
            {
                Stats.DuplicatesCollapsed++;
                return null;
            }

            if (!dateParsed) Stats.NoteUnreadableDate(raw.Source);
            Stats.Records++;
            return new IngestFailure
            {
                Subject = SubjectFor(raw),
                StudyDate = date,
                AccessionNumber = raw.AccessionNumber,
                StudyDescription = raw.StudyDescription,
                StudyInstanceUid = raw.StudyInstanceUid,
                HospitalId = raw.HospitalId,
                Source = raw.Source,
            };
        }

        private string SubjectFor(RawFailureRecord raw)
        {
            var hospital = raw.HospitalId;
            if (hospital.Length == 0)
            {
                Stats.NoteMissingHospitalId(raw.Source);
                return "";
            }
            if (_map != null && _map.TryGetNhsNumber(hospital, out var nhs))
            {
                if (nhs.Length > 0) return nhs;
                Stats.NoteBlankMapped(hospital);
            }
            else
            {
                Stats.NoteUnmapped(hospital);
            }
            return "NN_" + hospital;
        }
    }

    /// <summary>What an <see cref="IngestFailureReader"/> did, for the warnings and verbose messages of a run.</summary>
    public sealed class IngestFailureStats
    {
        /// <summary>How many examples (IDs, sources) each list keeps; the counts are always complete.</summary>
        public const int MaxExamples = 20;

        private readonly HashSet<string> _unmapped = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _blankMapped = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _unmappedExamples = new List<string>();
        private readonly List<string> _blankMappedExamples = new List<string>();
        private readonly List<string> _missingIdSources = new List<string>();
        private readonly List<string> _unreadableDateSources = new List<string>();

        internal IngestFailureStats(bool noMap) => NoMap = noMap;

        /// <summary>True when no ID map was given, so every subject is NN_&lt;HospitalID&gt;.</summary>
        public bool NoMap { get; }
        /// <summary>How each failure file was decoded ("failures.txt: UTF-8"), for Verbose.</summary>
        public List<string> Encodings { get; } = new List<string>();
        public int Records { get; internal set; }
        public int Unreadable { get; internal set; }
        public int PlaceholdersDropped { get; internal set; }
        public int DuplicatesCollapsed { get; internal set; }

        /// <summary>Distinct hospital IDs not in the map (subject NN_&lt;ID&gt;), and records affected.</summary>
        public int UnmappedHospitalIds => _unmapped.Count;
        public int UnmappedRecords { get; private set; }
        public IReadOnlyList<string> UnmappedExamples => _unmappedExamples;

        /// <summary>Distinct hospital IDs the map lists with a blank NHS number, and records affected.</summary>
        public int BlankMappedHospitalIds => _blankMapped.Count;
        public int BlankMappedRecords { get; private set; }
        public IReadOnlyList<string> BlankMappedExamples => _blankMappedExamples;

        /// <summary>Records without any hospital ID (their Subject is empty).</summary>
        public int MissingHospitalIdRecords { get; private set; }
        public IReadOnlyList<string> MissingHospitalIdSources => _missingIdSources;

        /// <summary>Records whose study date is neither yyyy-MM-dd nor yyyyMMdd (kept as written).</summary>
        public int UnreadableDates { get; private set; }
        public IReadOnlyList<string> UnreadableDateSources => _unreadableDateSources;

        internal void NoteUnmapped(string hospitalId)
        {
            UnmappedRecords++;
            if (_unmapped.Add(hospitalId) && _unmappedExamples.Count < MaxExamples) _unmappedExamples.Add(hospitalId);
        }

        internal void NoteBlankMapped(string hospitalId)
        {
            BlankMappedRecords++;
            if (_blankMapped.Add(hospitalId) && _blankMappedExamples.Count < MaxExamples) _blankMappedExamples.Add(hospitalId);
        }

        internal void NoteMissingHospitalId(string source)
        {
            MissingHospitalIdRecords++;
            if (_missingIdSources.Count < MaxExamples) _missingIdSources.Add(source);
        }

        internal void NoteUnreadableDate(string source)
        {
            UnreadableDates++;
            if (_unreadableDateSources.Count < MaxExamples) _unreadableDateSources.Add(source);
        }
    }
}
