using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using HandiImaging.Core.IO;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace HandiImaging.Core.Runbook
{
    /// <summary>
    /// One run's folder under the run root (<c>run-yyyyMMdd-HHmmss</c>): the config used, every step's output,
    /// and <c>log.jsonl</c> — the structured log that is also the run's journal (a step whose <c>done</c> line is
    /// there is not run again on resume). Lines carry step names, counts, durations and warnings; never patient
    /// data beyond IDs.
    /// </summary>
    public sealed class RunFolder
    {
        public const string LogFile = "log.jsonl";
        public const string ResultFile = "result.json";
        public const string ConfigFile = "config-used.json";

        private RunFolder(string path)
        {
            Path = System.IO.Path.GetFullPath(path);
            Id = System.IO.Path.GetFileName(Path);
        }

        public string Path { get; }
        public string Id { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        /// <summary>A new folder named after <paramref name="now"/> (a suffix when that name is taken).</summary>
        public static RunFolder Create(string root, DateTime now)
        {
            Directory.CreateDirectory(root);
            var name = "run-" + now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            var path = System.IO.Path.Combine(root, name);
            for (var n = 2; Directory.Exists(path); n++) path = System.IO.Path.Combine(root, name + "-" + n.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(path);
            return new RunFolder(path);
        }

        /// <summary>An existing run folder (for -Resume); it must hold a run log.</summary>
        public static RunFolder Open(string path)
        {
            if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"The run folder {path} does not exist.");
            var folder = new RunFolder(path);
            if (!System.IO.File.Exists(folder.File(LogFile))) throw new InvalidOperationException($"{path} is not a run folder (it has no {LogFile}).");
            return folder;
        }

        /// <summary>The newest run folder under <paramref name="root"/> that did not finish (it died, failed, or awaits a hand-over), or null.</summary>
        public static RunFolder? FindUnfinished(string root)
        {
            if (!Directory.Exists(root)) return null;
            var latest = Directory.GetDirectories(root, "run-*").OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
            if (latest == null || !System.IO.File.Exists(System.IO.Path.Combine(latest, LogFile))) return null;
            var folder = new RunFolder(latest);
            return folder.ReadResultStatus() is RunStatus s && (s == RunStatus.Completed || s == RunStatus.CompletedWithProblems) ? null : folder;
        }

        public RunStatus? ReadResultStatus()
        {
            var file = File(ResultFile);
            if (!System.IO.File.Exists(file)) return null;
            var status = (string?)JObject.Parse(System.IO.File.ReadAllText(file))["Status"];
            return Enum.TryParse<RunStatus>(status, out var s) ? s : (RunStatus?)null;
        }

        /// <summary>Appends one log line and flushes it to disk before returning (it is the journal).</summary>
        public void Log(string step, string @event, IDictionary<string, object?>? data = null)
        {
            var line = new JObject
            {
                ["time"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["step"] = step,
                ["event"] = @event,
            };
            if (data != null) foreach (var pair in data) line[pair.Key] = pair.Value == null ? JValue.CreateNull() : JToken.FromObject(pair.Value);
            var bytes = Encoding.UTF8.GetBytes(line.ToString(Formatting.None) + "\n");
            using var stream = new FileStream(File(LogFile), FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(true);
        }

        /// <summary>When the run first started (UTC, from its first log line); now for a run not yet logged.</summary>
        public DateTime StartedAt()
        {
            var file = File(LogFile);
            if (System.IO.File.Exists(file))
                foreach (var line in System.IO.File.ReadLines(file))
                {
                    JObject record;
                    try { record = ParseLine(line); }
                    catch (JsonReaderException) { continue; }
                    if (DateTime.TryParseExact((string?)record["time"] ?? "", "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)) return at;
                }
            return DateTime.UtcNow;
        }

        /// <summary>The as-of date the run started with (a resumed run keeps it), or null.</summary>
        public DateTime? StartedAsOf()
        {
            var file = File(LogFile);
            if (!System.IO.File.Exists(file)) return null;
            foreach (var line in System.IO.File.ReadLines(file))
            {
                JObject record;
                try { record = ParseLine(line); }
                catch (JsonReaderException) { continue; }
                if ((string?)record["event"] == "start" && DateValue.TryParseExact((string?)record["asOf"], DateValue.Iso, out var asOf)) return asOf;
            }
            return null;
        }

        /// <summary>The <c>done</c> lines of the log by step (the last one wins), with their counts.</summary>
        public Dictionary<string, JObject> CompletedSteps()
        {
            var done = new Dictionary<string, JObject>(StringComparer.Ordinal);
            var file = File(LogFile);
            if (!System.IO.File.Exists(file)) return done;
            foreach (var line in System.IO.File.ReadAllLines(file))
            {
                JObject record;
                // A line torn by a crash is ignored: the step it would have closed simply runs again.
                try { record = ParseLine(line); }
                catch (JsonReaderException) { continue; }
                if ((string?)record["event"] == "done" && record["step"] is JToken step) done[(string)step!] = record;
            }
            return done;
        }

        /// <summary>
        /// The warnings each completed step logged in its last attempt (between its last <c>start</c> and <c>done</c>
        /// lines), so that a resumed run reports them again.
        /// </summary>
        public Dictionary<string, List<string>> CompletedStepWarnings()
        {
            var done = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var current = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var file = File(LogFile);
            if (!System.IO.File.Exists(file)) return done;
            foreach (var line in System.IO.File.ReadAllLines(file))
            {
                JObject record;
                try { record = ParseLine(line); }
                catch (JsonReaderException) { continue; }
                if (!(record["step"] is JToken stepToken)) continue;
                var step = (string)stepToken!;
                switch ((string?)record["event"])
                {
                    case "start": current[step] = new List<string>(); break;
                    case "warning" when current.TryGetValue(step, out var list): list.Add((string?)record["message"] ?? ""); break;
                    case "done": done[step] = current.TryGetValue(step, out var warnings) ? warnings : new List<string>(); break;
                }
            }
            return done;
        }

        /// <summary>Parses one log line with its strings as written (Json.NET would otherwise turn timestamps into dates).</summary>
        public static JObject ParseLine(string line)
        {
            using var reader = new JsonTextReader(new StringReader(line)) { DateParseHandling = DateParseHandling.None };
            return JObject.Load(reader);
        }

        public void WriteJson(string name, JToken value) =>
            AtomicFile.WriteText(File(name), w => w.Write(value.ToString(Formatting.Indented)), keepBackup: false);
    }

    /// <summary>
    /// Every import the runbook has started or finished, across runs (<c>import-history.jsonl</c> in the run root):
    /// a study is appended as <c>Sending</c> before its import is requested and with its outcome after. A study
    /// with an outcome is never requested again, which is what makes re-runs and resumes safe.
    /// </summary>
    public sealed class ImportHistory
    {
        public const string FileName = "import-history.jsonl";
        private readonly string _path;
        private readonly Dictionary<string, ImportRecord> _latest = new Dictionary<string, ImportRecord>(StringComparer.Ordinal);

        private ImportHistory(string path) => _path = path;

        public static ImportHistory Load(string runRoot)
        {
            var history = new ImportHistory(System.IO.Path.Combine(runRoot, FileName));
            if (!System.IO.File.Exists(history._path)) return history;
            foreach (var line in System.IO.File.ReadAllLines(history._path))
            {
                ImportRecord? record;
                try { record = JsonConvert.DeserializeObject<ImportRecord>(line); }
                catch (JsonException) { continue; }
                if (record?.StudyInstanceUid is { Length: > 0 }) history._latest[record.StudyInstanceUid] = record;
            }
            return history;
        }

        public ImportRecord? Latest(string studyInstanceUid) => _latest.TryGetValue(studyInstanceUid, out var r) ? r : null;

        /// <summary>True when the study was imported, handed over, or failed in an earlier attempt: never request it again.</summary>
        public bool IsSettled(string studyInstanceUid) => Latest(studyInstanceUid)?.IsFinal == true;

        public void Append(ImportRecord record)
        {
            record.Time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            var bytes = Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(record, Formatting.None) + "\n");
            using (var stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read))
            {
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush(true);
            }
            _latest[record.StudyInstanceUid] = record;
        }

        /// <summary>How many requests (Sending lines) each study has had, over every run — for audits and tests.</summary>
        public static Dictionary<string, int> RequestCounts(string runRoot)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            var path = System.IO.Path.Combine(runRoot, FileName);
            if (!System.IO.File.Exists(path)) return counts;
            foreach (var line in System.IO.File.ReadAllLines(path))
            {
                ImportRecord? r;
                try { r = JsonConvert.DeserializeObject<ImportRecord>(line); }
                catch (JsonException) { continue; }
                if (r == null || r.Outcome != ImportOutcome.Sending && r.Outcome != ImportOutcome.HandedOver) continue;
                counts[r.StudyInstanceUid] = counts.TryGetValue(r.StudyInstanceUid, out var n) ? n + 1 : 1;
            }
            return counts;
        }
    }

    public enum ImportOutcome
    {
        /// <summary>The request is about to be made (no outcome yet).</summary>
        Sending,
        /// <summary>The request was interrupted (network); it may be repeated.</summary>
        Interrupted,
        Imported,
        Failed,
        /// <summary>Listed for the ingestion team.</summary>
        HandedOver,
    }

    public sealed class ImportRecord
    {
        public string Run { get; set; } = "";
        public string StudyInstanceUid { get; set; } = "";
        public string PatientId { get; set; } = "";
        public string AccessionNumber { get; set; } = "";
        [JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
        public ImportOutcome Outcome { get; set; }
        public string? Message { get; set; }
        public string? Time { get; set; }

        [JsonIgnore]
        public bool IsFinal => Outcome == ImportOutcome.Imported || Outcome == ImportOutcome.Failed || Outcome == ImportOutcome.HandedOver;
    }
}
