using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CsvHelper;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Demo
{
    /// <summary>How big a demo quarter to generate, and from which seed.</summary>
    public sealed class DemoQuarterOptions
    {
        /// <summary>Same seed and sizes, same bytes.</summary>
        public int Seed { get; set; } = 1;

        /// <summary>Cohort patients (XNAT subjects).</summary>
        public int Subjects { get; set; } = 300;

        /// <summary>
        /// Target number of XNAT session rows over the eight exports (approximate: each patient's count is drawn
        /// around the mean). 0 means the real cohort's ratio, about 7.4 sessions per patient.
        /// </summary>
        public int Sessions { get; set; }

        /// <summary>Adds the awkward rows real exports contain (see <see cref="DemoQuarter"/>).</summary>
        public bool EdgeCases { get; set; } = true;

        /// <summary>Last day of the quarter; no study is later (except placeholders).</summary>
        public DateTime QuarterEnd { get; set; } = new DateTime(2024, 9, 30);
    }

    /// <summary>The files a demo quarter wrote, and the failures for the failure-text writer.</summary>
    public sealed class DemoQuarterResult
    {
        private readonly Dictionary<string, string> _nhsByHospitalId;

        internal DemoQuarterResult(string folder, IReadOnlyDictionary<string, int> rowsPerFile, int subjects,
            IReadOnlyList<DemoFailure> failures, Dictionary<string, string> nhsByHospitalId)
        {
            Folder = folder;
            RowsPerFile = rowsPerFile;
            SubjectCount = subjects;
            Failures = failures;
            _nhsByHospitalId = nhsByHospitalId;
        }

        /// <summary>The folder holding every file (it is also the session folder).</summary>
        public string Folder { get; }
        public string CohortPath => Path.Combine(Folder, DemoQuarter.CohortFile);
        public string ReferenceDatePath => Path.Combine(Folder, DemoQuarter.ReferenceDateFile);
        public string IdMapPath => Path.Combine(Folder, DemoQuarter.IdMapFile);
        public string SessionFolder => Folder;

        /// <summary>Data rows (header excluded) written to each file, by file name.</summary>
        public IReadOnlyDictionary<string, int> RowsPerFile { get; }

        /// <summary>Session rows over the eight exports, edge-case rows included.</summary>
        public int SessionRows => DemoQuarter.SessionFiles.Sum(f => RowsPerFile[f.File]);

        public int SubjectCount { get; }

        /// <summary>
        /// The studies that failed to ingest, in generation order, for <c>DemoFailureText.Write</c>. Includes
        /// 2099-01-01 placeholders, descriptions with commas and quotes, missing UIDs, and (with edge cases) a
        /// hospital ID absent from the ID map.
        /// </summary>
        public IReadOnlyList<DemoFailure> Failures { get; }

        /// <summary>The XNAT subject a hospital ID maps to: its NHS number, else <c>NN_&lt;HospitalId&gt;</c>.</summary>
        public string SubjectFor(string hospitalId) =>
            _nhsByHospitalId.TryGetValue(hospitalId, out var nhs) && nhs.Length > 0 ? nhs : "NN_" + hospitalId;

        /// <summary>
        /// Writes the failures as the five-column table the failure parser produces (Subject, StudyDate,
        /// AccessionNumber, StudyDescription, StudyInstanceUid), placeholders included — for tests and benchmarks
        /// that feed Merge-XnatSummary without the failure-text round trip.
        /// </summary>
        public void WriteFailureCsv(string path)
        {
            using var writer = new StreamWriter(path, false, AtomicFile.Utf8NoBom, 1 << 16);
            using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
            foreach (var h in new[] { "Subject", "StudyDate", "AccessionNumber", "StudyDescription", "StudyInstanceUid" }) csv.WriteField(h);
            csv.NextRecord();
            foreach (var f in Failures)
            {
                csv.WriteField(SubjectFor(f.HospitalId));
                csv.WriteField(f.StudyDate);
                csv.WriteField(f.AccessionNumber);
                csv.WriteField(f.StudyDescription);
                csv.WriteField(f.StudyInstanceUid);
                csv.NextRecord();
            }
        }
    }

    /// <summary>
    /// Writes a deterministic synthetic quarter: <c>cohort.csv</c>, the eight XNAT session exports with their real
    /// headers, <c>reference_dates.csv</c> (dd/MM/yyyy like the warehouse, some patients missing or blank),
    /// <c>HospitalID-NHSNumber.csv</c> (blank NHS numbers for the <c>NN_</c> patients), and the list of failures.
    /// </summary>
    /// <remarks>
    /// <para>Patients get valid modulus-11 NHS numbers (about 5% have none and are <c>NN_&lt;HospitalId&gt;</c>);
    /// hospital IDs and accession numbers sometimes start with zeros. Sessions per patient are right-skewed around
    /// the mean (some patients have none); types follow the first ingestion's mix, and failures its failure
    /// rates. Rows are streamed patient by patient, so millions of sessions need little memory.</para>
    /// <para>With <see cref="DemoQuarterOptions.EdgeCases"/>: a blank-subject row (CT), a session listed twice (MR),
    /// unparseable dates (PET <c>2019-02-30</c>, DX <c>03/04/2020</c>), a 2099-01-01 placeholder (CT), values with
    /// commas and quotes (MR scanner, SR creator), a header-only export (XA), and a failure whose hospital ID is
    /// not in the ID map.</para>
    /// </remarks>
    public static class DemoQuarter
    {
        public const string CohortFile = "cohort.csv";
        public const string ReferenceDateFile = "reference_dates.csv";
        public const string IdMapFile = "HospitalID-NHSNumber.csv";

        /// <summary>Sessions per patient in the first full ingestion (22,171 sessions, about 3,000 patients).</summary>
        public const double RealSessionsPerSubject = 7.4;

        internal sealed class SessionFile
        {
            public SessionFile(string type, string[] header, double weight, double failuresPerSession, string[] descriptions)
            {
                Type = type;
                Header = header;
                Weight = weight;
                FailuresPerSession = failuresPerSession;
                Descriptions = descriptions;
            }

            public string Type { get; }
            public string File => Type + ".csv";
            public string[] Header { get; }
            public double Weight { get; }
            public double FailuresPerSession { get; }
            public string[] Descriptions { get; }
        }

        // Weights: the first ingestion's sessions per type. Failures per session: rate / (1 - rate) of its group
        // (CT 7.4%, MR 6.7%, PET and NM 14.2%, dental 24.1%, video fluoroscopy 56.4%).
        internal static readonly SessionFile[] SessionFiles =
        {
            new SessionFile("MR", new[] { "Subject", "Date", "MR ID", "Scanner", "Scans" }, 5310, 0.072,
                new[] { "MRI Neck", "MRI Head and Neck with contrast", "MR \"Head & Neck\" post-contrast", "MRI Brain, IAMs", "MRI Oropharynx" }),
            new SessionFile("CT", new[] { "Subject", "Date", "XNAT_CTSESSIONDATA ID", "UID", "Scans" }, 11599, 0.080,
                new[] { "CT Neck", "CT NECK", "CT Neck, Chest and Abdomen", "CT Chest/Abdo/Pelvis", "CT \"Staging\" neck and thorax", "CT Head" }),
            new SessionFile("PET", new[] { "Subject", "Date", "XNAT_PETSESSIONDATA ID", "UID", "Scans" }, 1500, 0.166,
                new[] { "PET-CT FDG Skull base to thigh", "PET-CT \"Whole body\", FDG", "NM PET FDG" }),
            new SessionFile("CR", new[] { "Subject", "Date", "XNAT_CRSESSIONDATA ID", "ID", "Session" }, 900, 0.318,
                new[] { "XR OPG", "XR Dental, Intraoral", "XR Lateral ceph" }),
            new SessionFile("DX", new[] { "Subject", "Date", "XNAT_DXSESSIONDATA ID", "UID", "Scans" }, 1985, 0.318,
                new[] { "XR OPG", "DX Dental panoramic", "XR Chest" }),
            new SessionFile("RF", new[] { "Subject", "Date", "XNAT_RFSESSIONDATA ID", "ID", "Session" }, 400, 1.294,
                new[] { "FL Video swallow", "Videofluoroscopy, modified barium swallow", "FL \"VFSS\" speech therapy" }),
            new SessionFile("SR", new[] { "Subject", "Date", "XNAT_SRSESSIONDATA ID", "ID", "Creator" }, 391, 0.166,
                new[] { "NM Bone scan report", "NM Thyroid, uptake" }),
            new SessionFile("XA", new[] { "Subject", "Date", "XNAT_XASESSIONDATA ID", "ID", "Creator" }, 86, 1.294,
                new[] { "XA Video swallow", "XA Swallow, contrast" }),
        };

        private static readonly string[] Scanners = { "SIEMENS Avanto", "SIEMENS Skyra", "Philips Ingenia", "GE MEDICAL SYSTEMS, SIGNA Artist", "TOSHIBA Vantage Titan" };
        private static readonly string[] Creators = { "csc_ingest", "xnat_admin", "pipeline" };
        private const string UidRoot = "1.2.826.0.1.3680043.10.543";

        /// <summary>Writes the quarter into <paramref name="folder"/> (created if needed; files replaced).</summary>
        public static DemoQuarterResult Generate(string folder, DemoQuarterOptions? options = null)
        {
            options ??= new DemoQuarterOptions();
            if (options.Subjects < 1) throw new ArgumentOutOfRangeException(nameof(options), "A demo quarter needs at least one subject.");
            Directory.CreateDirectory(folder);
            return new Generator(folder, options).Run();
        }

        private sealed class Generator
        {
            private readonly string _folder;
            private readonly DemoQuarterOptions _options;
            private readonly DemoQuarterRandom _random;
            private readonly int _quarterEnd;
            private readonly int _earliest = Day(new DateTime(2005, 1, 1));
            private readonly double _totalWeight;
            private readonly List<DemoFailure> _failures = new List<DemoFailure>();
            private readonly Dictionary<string, string> _nhsByHospitalId = new Dictionary<string, string>(StringComparer.Ordinal);
            private readonly HashSet<string> _nhsNumbers = new HashSet<string>(StringComparer.Ordinal);
            private readonly Dictionary<string, int> _rows = new Dictionary<string, int>(StringComparer.Ordinal);
            private readonly CsvWriter[] _sessionWriters = new CsvWriter[SessionFiles.Length];
            private long _accession;
            private long _experiment;

            public Generator(string folder, DemoQuarterOptions options)
            {
                _folder = folder;
                _options = options;
                _random = new DemoQuarterRandom(options.Seed);
                _quarterEnd = Day(options.QuarterEnd);
                _totalWeight = SessionFiles.Where(f => !(options.EdgeCases && f.Type == "XA")).Sum(f => f.Weight);
                _accession = 10_000_000 + _random.Next(1_000_000);
                _experiment = 1 + _random.Next(5_000);
            }

            private static int Day(DateTime date) => (int)(date.Ticks / TimeSpan.TicksPerDay);
            private static DateTime Date(int day) => new DateTime(day * TimeSpan.TicksPerDay);
            private static string Iso(int day) => Date(day).ToString(DateValue.Iso, CultureInfo.InvariantCulture);

            private CsvWriter Open(string file, params string[] header)
            {
                var writer = new StreamWriter(Path.Combine(_folder, file), false, AtomicFile.Utf8NoBom, 1 << 16);
                var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
                foreach (var h in header) csv.WriteField(h);
                csv.NextRecord();
                _rows[file] = 0;
                return csv;
            }

            private void Row(CsvWriter csv, string file, params string[] fields)
            {
                foreach (var f in fields) csv.WriteField(f);
                csv.NextRecord();
                _rows[file]++;
            }

            public DemoQuarterResult Run()
            {
                var writers = new List<CsvWriter>();
                var hospitalIds = new HashSet<string>(StringComparer.Ordinal);
                try
                {
                    var cohort = Open(CohortFile, "HospitalId", "NhsNumber", "Status", "LastQueried", "ReferenceDate");
                    var references = Open(ReferenceDateFile, "Subject", "Reference Date");
                    var idMap = Open(IdMapFile, "HospitalID", "NHSNumber");
                    writers.AddRange(new[] { cohort, references, idMap });
                    for (var i = 0; i < SessionFiles.Length; i++)
                    {
                        _sessionWriters[i] = Open(SessionFiles[i].File, SessionFiles[i].Header);
                        writers.Add(_sessionWriters[i]);
                    }

                    var mean = (_options.Sessions > 0 ? _options.Sessions : RealSessionsPerSubject * _options.Subjects) / _options.Subjects;
                        for (var p = 0; p < _options.Subjects; p++)
                    {
                        string hospitalId;
                        do hospitalId = NewHospitalId(); while (!hospitalIds.Add(hospitalId));
                        var nhs = _random.Chance(0.05) ? "" : NewNhsNumber();
                        _nhsByHospitalId[hospitalId] = nhs;
                        var subject = nhs.Length > 0 ? nhs : "NN_" + hospitalId;

                        var reference = _random.Chance(0.06) ? (int?)null : _random.Next(Day(new DateTime(2008, 1, 1)), _quarterEnd - 30);
                        var isNew = _random.Chance(0.1);
                        Row(cohort, CohortFile, hospitalId, nhs, isNew ? "New" : "Existing",
                            isNew ? "" : Iso(_quarterEnd - 92 + _random.Next(7)), reference.HasValue ? Iso(reference.Value) : "");
                        Row(idMap, IdMapFile, hospitalId, nhs);
                        if (reference.HasValue) Row(references, ReferenceDateFile, subject, Date(reference.Value).ToString(DateValue.Uk, CultureInfo.InvariantCulture));
                        else if (_random.Chance(0.5)) Row(references, ReferenceDateFile, subject, "");

                        var sessions = _random.Poisson(mean * _random.Skew());
                        var edge = _options.EdgeCases && p == 0;
                        if (edge) WriteEdgeCases(subject, hospitalId, reference);
                        for (var s = 0; s < sessions; s++) WriteSession(PickType(), subject, hospitalId, reference, null);
                    }
                    if (_options.EdgeCases)
                    {
                        // A patient the ID map does not know: the failure parser must fall back to NN_<HospitalId>.
                        var unmapped = 9;
                        while (hospitalIds.Contains(unmapped.ToString("D7", CultureInfo.InvariantCulture))) unmapped += 10;
                        _failures.Add(new DemoFailure(unmapped.ToString("D7", CultureInfo.InvariantCulture), NewAccession(), Iso(_quarterEnd - 40), "CT Neck", NewUid(0)));
                    }
                }
                finally
                {
                    foreach (var w in writers) w.Dispose();
                }
                return new DemoQuarterResult(_folder, _rows, _options.Subjects, _failures, _nhsByHospitalId);
            }

            private int PickType()
            {
                var x = _random.NextDouble() * _totalWeight;
                for (var i = 0; i < SessionFiles.Length; i++)
                {
                    if (_options.EdgeCases && SessionFiles[i].Type == "XA") continue;
                    x -= SessionFiles[i].Weight;
                    if (x < 0) return i;
                }
                return 1;
            }

            private int TypeIndex(string type) => Array.FindIndex(SessionFiles, f => f.Type == type);

            /// <summary>Diagnosis and staging shortly before radiotherapy, follow-up for years after.</summary>
            private int StudyDay(int? reference)
            {
                int day;
                if (reference is null) day = _random.Next(Day(new DateTime(2008, 1, 1)), _quarterEnd + 1);
                else if (_random.Chance(0.25)) day = reference.Value - _random.Next(180);
                else day = reference.Value + _random.Next(3650);
                return Math.Max(_earliest, Math.Min(_quarterEnd, day));
            }

            /// <summary>Writes one session row; <paramref name="dateOverride"/> replaces the date text (edge cases).</summary>
            private string[] WriteSession(int type, string subject, string hospitalId, int? reference, string? dateOverride)
            {
                var file = SessionFiles[type];
                var day = StudyDay(reference);
                var accession = NewAccession();
                var row = new[] { subject, dateOverride ?? Iso(day), accession, Column4(file.Type), Column5(file.Type, accession) };
                Row(_sessionWriters[type], file.File, row);

                // Failures: other studies of the same kind that PACS had but XNAT could not ingest.
                var expected = file.FailuresPerSession;
                var failures = (int)expected + (_random.Chance(expected - (int)expected) ? 1 : 0);
                for (var f = 0; f < failures; f++)
                {
                    var placeholder = _random.Chance(0.02);
                    var failDay = StudyDay(reference);
                    _failures.Add(new DemoFailure(hospitalId, NewAccession(), placeholder ? "2099-01-01" : Iso(failDay),
                        _random.Pick(file.Descriptions), _random.Chance(0.04) ? "" : NewUid(failDay)));
                }
                return row;
            }

            private string Column4(string type) => type switch
            {
                "MR" => _random.Pick(Scanners),
                "CT" or "PET" or "DX" => NewUid(0),
                _ => "XNAT_E" + (_experiment++).ToString("D5", CultureInfo.InvariantCulture),
            };

            private string Column5(string type, string accession) => type switch
            {
                "CR" or "RF" => accession + "_" + type,
                "SR" or "XA" => _random.Pick(Creators),
                _ => (1 + _random.Next(_random.Chance(0.8) ? 8 : 40)).ToString(CultureInfo.InvariantCulture),
            };

            private void WriteEdgeCases(string subject, string hospitalId, int? reference)
            {
                int ct = TypeIndex("CT"), mr = TypeIndex("MR"), pet = TypeIndex("PET"), dx = TypeIndex("DX"), sr = TypeIndex("SR");
                WriteSession(ct, subject, hospitalId, reference, null);
                Row(_sessionWriters[ct], "CT.csv", "", Iso(StudyDay(reference)), NewAccession(), NewUid(0), "3");
                WriteSession(ct, subject, hospitalId, reference, "2099-01-01");
                var mrRow = WriteSession(mr, subject, hospitalId, reference, null);
                Row(_sessionWriters[mr], "MR.csv", mrRow);
                Row(_sessionWriters[mr], "MR.csv", subject, Iso(StudyDay(reference)), NewAccession(), "GE MEDICAL SYSTEMS, SIGNA \"Artist\"", "12");
                WriteSession(pet, subject, hospitalId, reference, "2019-02-30");
                WriteSession(dx, subject, hospitalId, reference, "03/04/2020");
                Row(_sessionWriters[sr], "SR.csv", subject, Iso(StudyDay(reference)), NewAccession(), "XNAT_E" + (_experiment++).ToString("D5", CultureInfo.InvariantCulture), "Dr \"J\" Smith, NM");
            }

            /// <summary>Old-style hospital IDs: seven digits, leading zeros kept.</summary>
            private string NewHospitalId() => _random.Next(10_000_000).ToString("D7", CultureInfo.InvariantCulture);

            /// <summary>A valid NHS number (modulus 11) not used before.</summary>
            private string NewNhsNumber()
            {
                while (true)
                {
                    // English NHS numbers are issued from 400 000 000 0 and 600 000 000 0 onwards.
                    var body = (_random.Chance(0.5) ? 400_000_000 : 600_000_000) + _random.Next(200_000_000);
                    var digits = body.ToString(CultureInfo.InvariantCulture);
                    if (Cohort.NhsNumber.CheckDigit(digits) is not { } check) continue;
                    var nhs = digits + check.ToString(CultureInfo.InvariantCulture);
                    if (_nhsNumbers.Add(nhs)) return nhs;
                }
            }

            /// <summary>Unique accession numbers; about one in ten is all digits with leading zeros.</summary>
            private string NewAccession()
            {
                var n = _accession++;
                return _random.Chance(0.1)
                    ? "00" + (n % 1_000_000).ToString("D6", CultureInfo.InvariantCulture) + (n / 1_000_000 % 100).ToString("D2", CultureInfo.InvariantCulture)
                    : "RJZ" + n.ToString("D9", CultureInfo.InvariantCulture);
            }

            private string NewUid(int day) =>
                UidRoot + "." + (day == 0 ? _random.Next(1, 99999) : day).ToString(CultureInfo.InvariantCulture) + "." +
                _accession.ToString(CultureInfo.InvariantCulture) + "." + _random.Next(1, 1_000_000_000).ToString(CultureInfo.InvariantCulture);
        }
    }
}
