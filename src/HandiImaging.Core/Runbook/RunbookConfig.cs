using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Core.Runbook
{
    /// <summary>How the selected studies get into XNAT.</summary>
    public enum IngestionMode
    {
        /// <summary>XNAT's query-retrieve plugin pulls each study from PACS (REST).</summary>
        Dqr,
        /// <summary>PACS sends each study to XNAT's DICOM receiver (C-MOVE from our client).</summary>
        CMove,
        /// <summary>Another team ingests: the run stops after selection with a hand-over list and is finished with -Resume.</summary>
        HandOver,
    }

    /// <summary>A configuration file that cannot be used: names the file and the key.</summary>
    public sealed class RunbookConfigException : Exception
    {
        public RunbookConfigException(string file, string key, string problem)
            : base($"{file}: {key}: {problem}")
        {
            File = file;
            Key = key;
            Problem = problem;
        }

        public string File { get; }
        public string Key { get; }
        public string Problem { get; }
    }

    /// <summary>
    /// The runbook's configuration, read from a PowerShell data file (a hashtable of hashtables; the cmdlet parses
    /// it safely and hands this class plain dictionaries). Relative paths are relative to the file's folder. Secrets
    /// never live here: a key that looks like a password is refused.
    /// </summary>
    public sealed class RunbookConfig
    {
        /// <summary>Keys whose value would be a secret; a config naming any of them is refused.</summary>
        private static readonly string[] SecretKeys = { "Password", "Passwd", "Pwd", "Secret", "ApiKey", "TokenSecret", "ClientSecret" };

        private static readonly string[] TopKeys =
        {
            "Pacs", "Ingestion", "Xnat", "CohortPath", "DeceasedPath", "RulesPath", "LedgerPath", "IdMapPath",
            "ReferenceDatePath", "SessionExportPath", "OverlapDays", "RunRoot", "Edw", "Baselines", "AlarmPValue",
        };
        private static readonly string[] PacsKeys = { "HostName", "Port", "CalledAeTitle", "CallingAeTitle", "TimeoutSeconds", "MaxResultsPerQuery", "ThrottleLimit", "ResolveModality" };
        private static readonly string[] IngestionKeys = { "Mode", "MoveDestination", "MoveAttempts", "OutageAfter" };
        private static readonly string[] XnatKeys = { "Uri", "Project", "PacsId", "CredentialPath", "CredentialType", "ReceiverAeTitle", "ReceiverPort", "PollSeconds", "WaitMinutes", "StaleMinutes", "SkipCertificateCheck" };
        private static readonly string[] EdwKeys = { "DropFolder", "Keep" };

        public string ConfigPath { get; private set; } = "";
        public PacsConnection Pacs { get; private set; } = null!;
        public bool ResolveModality { get; private set; } = true;
        public IngestionMode Mode { get; private set; }
        /// <summary>C-MOVE destination AE title (XNAT's DICOM receiver, as PACS knows it).</summary>
        public string? MoveDestination { get; private set; }
        /// <summary>Attempts per study for a C-MOVE that fails on the network (not a PACS status).</summary>
        public int MoveAttempts { get; private set; } = 2;
        /// <summary>After this many moves in a row that deliver nothing, the receiver is taken to be down and the rest wait for the next run.</summary>
        public int OutageAfter { get; private set; } = 3;
        public Uri? XnatUri { get; private set; }
        public string? XnatProject { get; private set; }
        /// <summary>The PACS's id in XNAT's query-retrieve plugin.</summary>
        public long XnatPacsId { get; private set; }
        /// <summary>XNAT's DICOM receiver that DQR sends to (AE title and port, as XNAT lists it).</summary>
        public string XnatReceiverAeTitle { get; private set; } = "XNAT";
        public int XnatReceiverPort { get; private set; } = 8104;
        /// <summary>How often the import queue and history are polled while waiting.</summary>
        public int XnatPollSeconds { get; private set; } = 30;
        /// <summary>How long the run waits for imports; studies still on their way are followed by the next run.</summary>
        public int XnatWaitMinutes { get; private set; } = 240;
        /// <summary>An import ISSUED for longer than this is Stale (a failure).</summary>
        public int XnatStaleMinutes { get; private set; } = 60;
        public bool XnatSkipCertificateCheck { get; private set; }
        /// <summary>A credential exported with Export-Clixml (DPAPI on Windows).</summary>
        public string? XnatCredentialPath { get; private set; }
        /// <summary><c>Password</c> (user name + password) or <c>AliasToken</c> (alias + secret).</summary>
        public string XnatCredentialType { get; private set; } = "Password";
        public string CohortPath { get; private set; } = "";
        public string? DeceasedPath { get; private set; }
        public string RulesPath { get; private set; } = "";
        public string LedgerPath { get; private set; } = "";
        public string? IdMapPath { get; private set; }
        public string? ReferenceDatePath { get; private set; }
        /// <summary>A folder holding XNAT's eight session exports (when they are not fetched over REST).</summary>
        public string? SessionExportPath { get; private set; }
        public int OverlapDays { get; private set; } = Cohort.CohortFile.DefaultOverlapDays;
        public string RunRoot { get; private set; } = "";
        public string? EdwDropFolder { get; private set; }
        public int EdwKeep { get; private set; } = 4;
        /// <summary>Failure-rate baselines by group name (overrides of the historic rates).</summary>
        public IReadOnlyDictionary<string, double> Baselines { get; private set; } = new Dictionary<string, double>();
        public double AlarmPValue { get; private set; } = 0.01;

        /// <summary>The values as given, with nothing secret (there is none by construction) — written into each run folder.</summary>
        public IDictionary Source { get; private set; } = new Hashtable();

        /// <summary>Validates <paramref name="data"/> (the data file's top hashtable) and resolves paths against <paramref name="configPath"/>'s folder.</summary>
        public static RunbookConfig FromDictionary(IDictionary data, string configPath)
        {
            var file = Path.GetFullPath(configPath);
            var baseDir = Path.GetDirectoryName(file) ?? ".";
            RefuseSecrets(data, file, "");
            CheckKeys(data, TopKeys, file, "");
            var c = new RunbookConfig { ConfigPath = file, Source = data };

            var pacs = Section(data, "Pacs", file, required: true)!;
            CheckKeys(pacs, PacsKeys, file, "Pacs.");
            try
            {
                c.Pacs = new PacsConnection(Text(pacs, "HostName", file, "Pacs.", true)!, Int(pacs, "Port", file, "Pacs.", 104, 1, 65535),
                    Text(pacs, "CalledAeTitle", file, "Pacs.", true)!, Text(pacs, "CallingAeTitle", file, "Pacs.", true)!)
                {
                    TimeoutSeconds = Int(pacs, "TimeoutSeconds", file, "Pacs.", 30, 1, 3600),
                    MaxResultsPerQuery = Int(pacs, "MaxResultsPerQuery", file, "Pacs.", 0, 0, 1000000),
                    ThrottleLimit = Int(pacs, "ThrottleLimit", file, "Pacs.", 4, 1, 64),
                };
            }
            catch (ArgumentException ex) { throw new RunbookConfigException(file, "Pacs." + (ex.ParamName ?? "AeTitle"), ex.Message); }
            c.ResolveModality = Bool(pacs, "ResolveModality", file, "Pacs.", true);

            var ingestion = Section(data, "Ingestion", file, required: true)!;
            CheckKeys(ingestion, IngestionKeys, file, "Ingestion.");
            var mode = Text(ingestion, "Mode", file, "Ingestion.", true)!;
            if (!Enum.TryParse<IngestionMode>(mode, true, out var parsed) || !Enum.IsDefined(typeof(IngestionMode), parsed) || mode.Trim().All(char.IsDigit))
                throw new RunbookConfigException(file, "Ingestion.Mode", $"'{mode}' is not Dqr, CMove or HandOver");
            c.Mode = parsed;
            c.MoveDestination = Text(ingestion, "MoveDestination", file, "Ingestion.", c.Mode == IngestionMode.CMove);
            if (c.MoveDestination != null) c.MoveDestination = Check(() => PacsConnection.CheckAeTitle(c.MoveDestination, "move destination"), file, "Ingestion.MoveDestination");
            c.MoveAttempts = Int(ingestion, "MoveAttempts", file, "Ingestion.", 2, 1, 10);
            c.OutageAfter = Int(ingestion, "OutageAfter", file, "Ingestion.", 3, 1, 1000);

            var xnat = Section(data, "Xnat", file, required: c.Mode == IngestionMode.Dqr);
            if (xnat != null)
            {
                CheckKeys(xnat, XnatKeys, file, "Xnat.");
                var uri = Text(xnat, "Uri", file, "Xnat.", true)!;
                if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsedUri) || (parsedUri.Scheme != "https" && parsedUri.Scheme != "http"))
                    throw new RunbookConfigException(file, "Xnat.Uri", $"'{uri}' is not an http(s) address");
                if (parsedUri.UserInfo.Length > 0) throw new RunbookConfigException(file, "Xnat.Uri", "the address carries a user name or password; use a credential file");
                c.XnatUri = parsedUri;
                c.XnatProject = Text(xnat, "Project", file, "Xnat.", true);
                c.XnatPacsId = Int(xnat, "PacsId", file, "Xnat.", 0, 0, int.MaxValue);
                if (c.Mode == IngestionMode.Dqr && Get(xnat, "PacsId") == null) throw new RunbookConfigException(file, "Xnat.PacsId", "required value missing (the PACS's id in XNAT's query-retrieve plugin; 0 = XNAT's default PACS)");
                c.XnatReceiverAeTitle = Check(() => PacsConnection.CheckAeTitle(Text(xnat, "ReceiverAeTitle", file, "Xnat.", false) ?? "XNAT", "receiver"), file, "Xnat.ReceiverAeTitle");
                c.XnatReceiverPort = Int(xnat, "ReceiverPort", file, "Xnat.", 8104, 1, 65535);
                c.XnatPollSeconds = Int(xnat, "PollSeconds", file, "Xnat.", 30, 1, 3600);
                c.XnatWaitMinutes = Int(xnat, "WaitMinutes", file, "Xnat.", 240, 1, 10080);
                c.XnatStaleMinutes = Int(xnat, "StaleMinutes", file, "Xnat.", 60, 1, 10080);
                c.XnatSkipCertificateCheck = Bool(xnat, "SkipCertificateCheck", file, "Xnat.", false);
                c.XnatCredentialPath = OptionalPath(xnat, "CredentialPath", file, "Xnat.", baseDir);
                var type = Text(xnat, "CredentialType", file, "Xnat.", false) ?? "Password";
                if (!type.Equals("Password", StringComparison.OrdinalIgnoreCase) && !type.Equals("AliasToken", StringComparison.OrdinalIgnoreCase))
                    throw new RunbookConfigException(file, "Xnat.CredentialType", $"'{type}' is not Password or AliasToken");
                c.XnatCredentialType = type.Equals("Password", StringComparison.OrdinalIgnoreCase) ? "Password" : "AliasToken";
            }

            c.CohortPath = RequiredPath(data, "CohortPath", file, baseDir);
            c.RulesPath = RequiredPath(data, "RulesPath", file, baseDir);
            c.LedgerPath = RequiredPath(data, "LedgerPath", file, baseDir);
            c.RunRoot = RequiredPath(data, "RunRoot", file, baseDir);
            c.DeceasedPath = OptionalPath(data, "DeceasedPath", file, "", baseDir);
            c.IdMapPath = OptionalPath(data, "IdMapPath", file, "", baseDir);
            c.ReferenceDatePath = OptionalPath(data, "ReferenceDatePath", file, "", baseDir);
            c.SessionExportPath = OptionalPath(data, "SessionExportPath", file, "", baseDir);
            c.OverlapDays = Int(data, "OverlapDays", file, "", Cohort.CohortFile.DefaultOverlapDays, 0, 3650);
            c.AlarmPValue = Double(data, "AlarmPValue", file, "", 0.01, 1e-12, 0.5);

            var edw = Section(data, "Edw", file, required: false);
            if (edw != null)
            {
                CheckKeys(edw, EdwKeys, file, "Edw.");
                c.EdwDropFolder = OptionalPath(edw, "DropFolder", file, "Edw.", baseDir);
                c.EdwKeep = Int(edw, "Keep", file, "Edw.", 4, 1, 1000);
            }

            var baselines = Section(data, "Baselines", file, required: false);
            if (baselines != null)
            {
                var map = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry e in baselines)
                {
                    var key = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "";
                    var group = Failures.IngestGroup.Resolve(key)
                        ?? throw new RunbookConfigException(file, "Baselines." + key, $"names no failure-rate group (use {string.Join(", ", Failures.IngestGroup.All)})");
                    try { map[group] = Failures.IngestGroup.ParseRate(Get(baselines, key), group); }
                    catch (FormatException ex) { throw new RunbookConfigException(file, "Baselines." + key, ex.Message); }
                }
                c.Baselines = map;
            }

            foreach (var (key, path) in new[] { ("CohortPath", c.CohortPath), ("RulesPath", c.RulesPath) })
                if (!File.Exists(path)) throw new RunbookConfigException(file, key, $"{path} does not exist");
            foreach (var (key, path) in new[] { ("DeceasedPath", c.DeceasedPath), ("IdMapPath", c.IdMapPath), ("ReferenceDatePath", c.ReferenceDatePath) })
                if (path != null && !File.Exists(path)) throw new RunbookConfigException(file, key, $"{path} does not exist");
            if (c.XnatCredentialPath != null && !File.Exists(c.XnatCredentialPath))
                throw new RunbookConfigException(file, "Xnat.CredentialPath", $"{c.XnatCredentialPath} does not exist");
            var inputs = new[] { c.CohortPath, c.RulesPath, c.LedgerPath, c.DeceasedPath, c.IdMapPath, c.ReferenceDatePath }.Where(p => p != null).Select(p => p!).ToList();
            if (inputs.Distinct(StringComparer.OrdinalIgnoreCase).Count() != inputs.Count)
                throw new RunbookConfigException(file, "CohortPath/RulesPath/LedgerPath", "two of the files are the same file");
            return c;
        }

        private static void RefuseSecrets(IDictionary data, string file, string prefix)
        {
            foreach (DictionaryEntry e in data)
            {
                var key = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "";
                if (SecretKeys.Any(s => key.IndexOf(s, StringComparison.OrdinalIgnoreCase) >= 0))
                    throw new RunbookConfigException(file, prefix + key,
                        "a configuration file must not hold a password or secret; give -Credential or Xnat.CredentialPath (a file written by Export-Clixml)");
                if (e.Value is IDictionary inner) RefuseSecrets(inner, file, prefix + key + ".");
            }
        }

        private static void CheckKeys(IDictionary data, string[] known, string file, string prefix)
        {
            foreach (DictionaryEntry e in data)
            {
                var key = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "";
                if (!known.Contains(key, StringComparer.OrdinalIgnoreCase))
                    throw new RunbookConfigException(file, prefix + key, $"unknown key (expected one of {string.Join(", ", known)})");
            }
        }

        private static object? Get(IDictionary data, string key)
        {
            foreach (DictionaryEntry e in data)
                if (string.Equals(Convert.ToString(e.Key, CultureInfo.InvariantCulture), key, StringComparison.OrdinalIgnoreCase)) return e.Value;
            return null;
        }

        private static IDictionary? Section(IDictionary data, string key, string file, bool required)
        {
            var value = Get(data, key);
            if (value == null)
            {
                if (required) throw new RunbookConfigException(file, key, "required section missing (a hashtable, @{ ... })");
                return null;
            }
            return value as IDictionary ?? throw new RunbookConfigException(file, key, "must be a hashtable, @{ ... }");
        }

        private static string? Text(IDictionary data, string key, string file, string prefix, bool required)
        {
            var value = Get(data, key);
            var text = value == null ? null : Convert.ToString(value, CultureInfo.InvariantCulture)?.Trim();
            if (string.IsNullOrEmpty(text))
            {
                if (required) throw new RunbookConfigException(file, prefix + key, "required value missing");
                return null;
            }
            if (value is IDictionary || value is object[]) throw new RunbookConfigException(file, prefix + key, "must be a single value");
            return text;
        }

        private static int Int(IDictionary data, string key, string file, string prefix, int fallback, int min, int max)
        {
            var value = Get(data, key);
            if (value == null) return fallback;
            var text = Convert.ToString(value, CultureInfo.InvariantCulture)?.Trim() ?? "";
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
                throw new RunbookConfigException(file, prefix + key, $"'{text}' is not a whole number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            return n;
        }

        private static double Double(IDictionary data, string key, string file, string prefix, double fallback, double min, double max)
        {
            var value = Get(data, key);
            if (value == null) return fallback;
            var text = Convert.ToString(value, CultureInfo.InvariantCulture)?.Trim() ?? "";
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
                throw new RunbookConfigException(file, prefix + key, $"'{text}' is not a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            return n;
        }

        private static bool Bool(IDictionary data, string key, string file, string prefix, bool fallback)
        {
            var value = Get(data, key);
            if (value == null) return fallback;
            if (value is bool b) return b;
            throw new RunbookConfigException(file, prefix + key, "must be $true or $false");
        }

        private static string RequiredPath(IDictionary data, string key, string file, string baseDir) =>
            OptionalPath(data, key, file, "", baseDir) ?? throw new RunbookConfigException(file, key, "required path missing");

        private static string? OptionalPath(IDictionary data, string key, string file, string prefix, string baseDir)
        {
            var text = Text(data, key, file, prefix, false);
            if (text == null) return null;
            try { return Path.GetFullPath(Path.Combine(baseDir, text)); }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException)
            {
                throw new RunbookConfigException(file, prefix + key, $"'{text}' is not a usable path: {ex.Message}");
            }
        }

        private static string Check(Func<string> f, string file, string key)
        {
            try { return f(); }
            catch (ArgumentException ex) { throw new RunbookConfigException(file, key, ex.Message); }
        }
    }
}
