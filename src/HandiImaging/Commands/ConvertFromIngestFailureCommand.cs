using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;

namespace HandiImaging.Commands
{
    /// <summary>Reads the ingestion team's failure text into one IngestFailure object per study.</summary>
    /// <remarks>
    /// <para>ConvertFrom-IngestFailure reads the failure list the CSC team returns after an ingestion
    /// (PACs-failures.txt) in every shape it arrives in, mixed freely in one file: spreadsheet rows with each
    /// "key":"value" pair in its own tab-separated cell and every quote doubled (values cut at their commas
    /// are joined back), one JSON object per line, pretty-printed JSON arrays, CSV rows whose column holds the
    /// JSON, and bare "key":"value" pairs. Keys may come in any order and case, with extra keys, null or empty
    /// values, numbers, DICOM dates (yyyyMMdd) or the patient nested as "patient":{"id":...}.</para>
    /// <para>Each record becomes an IngestFailure with Subject, StudyDate (yyyy-MM-dd), AccessionNumber,
    /// StudyDescription, StudyInstanceUid, HospitalId and Source (file:line). Text is kept verbatim: an
    /// accession number 0123 keeps its leading zero. Studies dated 2099-01-01 (scheduled, never done) are
    /// dropped unless -IncludePlaceholder is given; exact repeats come out once.</para>
    /// <para>The subject is the patient's NHS number from the -IdMapPath file (HospitalID-NHSNumber.csv). A
    /// hospital ID the map lacks, or lists without an NHS number, gives the subject NN_&lt;HospitalID&gt; and a
    /// warning with the counts and IDs. A record that cannot be read is a non-terminating error
    /// (UnreadableFailureRecord) naming the file and line; every other record still comes out.</para>
    /// </remarks>
    /// <example>
    /// <code>ConvertFrom-IngestFailure -Path ./2024-Q2/PACs-failures.txt -IdMapPath ./2024-Q2/HospitalID-NHSNumber.csv</code>
    /// <para>Reads this quarter's failures and maps each hospital ID to its NHS number.</para>
    /// </example>
    /// <example>
    /// <code>ConvertFrom-IngestFailure ./PACs-failures.txt -IdMapPath ./HospitalID-NHSNumber.csv | Add-IngestFailure -LedgerPath ./failure-ledger.csv</code>
    /// <para>Adds the quarter's failures to the ledger that keeps every failure across quarters.</para>
    /// </example>
    /// <example>
    /// <code>Get-Content ./mail-paste.txt | ConvertFrom-IngestFailure -ErrorVariable bad; $bad.TargetObject</code>
    /// <para>Reads failure text from the pipeline (a pretty-printed array may arrive one line at a time) and
    /// lists where any unreadable records are.</para>
    /// </example>
    [Cmdlet(VerbsData.ConvertFrom, "IngestFailure", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(IngestFailure))]
    public sealed class ConvertFromIngestFailureCommand : HandiCmdlet
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";
        private const string InputSet = "InputObject";
        private const string PipelineSource = "InputObject";

        private IngestFailureReader? _reader;
        private FailureTextParser? _pipelineParser;
        private readonly List<FailureReadItem<RawFailureRecord>> _buffer = new List<FailureReadItem<RawFailureRecord>>();
        private string? _mapPath;

        /// <summary>Failure text files to read. Wildcards are allowed.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        /// <summary>Failure text files to read, used exactly as typed (no wildcards). Binds the PSPath of piped files.</summary>
        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        /// <summary>
        /// Failure text given directly or from the pipeline: each string may hold one line or many. Lines from
        /// successive strings are read as one text, so Get-Content output parses like the file itself.
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = InputSet, ValueFromPipeline = true)]
        [AllowEmptyString]
        [AllowNull]
        public string[] InputObject { get; set; } = new string[0];

        /// <summary>
        /// The HospitalID-NHSNumber.csv map (columns HospitalID and NHSNumber; the NHS number may be blank).
        /// Without it every subject is NN_&lt;HospitalID&gt; and a warning says so.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? IdMapPath { get; set; }

        /// <summary>Also return studies dated 2099-01-01 (placeholders for studies scheduled but never done).</summary>
        [Parameter]
        public SwitchParameter IncludePlaceholder { get; set; }

        protected override void BeginProcessing()
        {
            HospitalIdMap? map = null;
            if (IdMapPath != null)
            {
                _mapPath = ResolveExistingFile(IdMapPath, literal: true, nameof(IdMapPath));
                try
                {
                    map = HospitalIdMap.Load(_mapPath);
                }
                catch (Exception ex) when (ex is InputFormatException || ex is IOException || ex is UnauthorizedAccessException)
                {
                    Fail(ex, "IdMapUnreadable", CategoryOf(ex), _mapPath);
                }
                WriteVerbose($"ID map {_mapPath}: {map!.Count} hospital IDs; read as {map.Encoding}.");
                foreach (var warning in map.Warnings.Take(IngestFailureStats.MaxExamples)) WriteWarning(warning.Message);
                if (map.Warnings.Count > IngestFailureStats.MaxExamples)
                    WriteWarning($"{_mapPath}: {map.Warnings.Count - IngestFailureStats.MaxExamples} further NHS-number warnings not listed; check the map with Test-NhsNumber -LiteralPath.");
            }
            _reader = new IngestFailureReader(map, IncludePlaceholder.IsPresent);
        }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == InputSet)
            {
                _pipelineParser ??= new FailureTextParser(PipelineSource);
                foreach (var text in InputObject)
                {
                    foreach (var line in SplitLines(text ?? "")) _pipelineParser.ParseLine(line, _buffer);
                    Flush();
                }
                return;
            }

            var files = ParameterSetName == PathSet
                ? ResolveExistingFiles(Path, literal: false, nameof(Path))
                : ResolveExistingFiles(LiteralPath, literal: true, nameof(LiteralPath));
            foreach (var file in files)
            {
                if (Directory.Exists(file))
                {
                    WriteItemError(new IOException($"{file} is a folder; give the failure text file."), "FailureFileUnreadable", ErrorCategory.InvalidArgument, file);
                    continue;
                }
                WriteVerbose($"Reading failures from {file}.");
                try
                {
                    foreach (var item in _reader!.ReadFile(file))
                    {
                        StopToken.ThrowIfCancellationRequested();
                        Write(item);
                    }
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    WriteItemError(ex, "FailureFileUnreadable", CategoryOf(ex), file);
                }
            }
        }

        protected override void EndProcessing()
        {
            if (_pipelineParser != null)
            {
                _pipelineParser.Complete(_buffer);
                Flush();
            }
            var stats = _reader!.Stats;
            foreach (var encoding in stats.Encodings) WriteVerbose($"Read {encoding}.");
            WriteVerbose($"{stats.Records} failure record(s) returned; {stats.PlaceholdersDropped} placeholder(s) dated 2099-01-01 dropped; {stats.DuplicatesCollapsed} exact repeat(s) collapsed; {stats.Unreadable} unreadable.");
            if (stats.NoMap && stats.Records > 0)
            {
                WriteWarning($"No -IdMapPath given: all {stats.Records} failure record(s) have the subject NN_<HospitalID>. Give the HospitalID-NHSNumber.csv map to use NHS numbers.");
            }
            else
            {
                if (stats.UnmappedHospitalIds > 0)
                    WriteWarning($"{stats.UnmappedHospitalIds} hospital ID(s) are not in the ID map {_mapPath} ({stats.UnmappedRecords} record(s)); their subject is NN_<HospitalID>: {Examples(stats.UnmappedExamples, stats.UnmappedHospitalIds)}.");
                if (stats.BlankMappedHospitalIds > 0)
                    WriteWarning($"{stats.BlankMappedHospitalIds} hospital ID(s) have no NHS number in the ID map {_mapPath} ({stats.BlankMappedRecords} record(s)); their subject is NN_<HospitalID>: {Examples(stats.BlankMappedExamples, stats.BlankMappedHospitalIds)}.");
            }
            if (stats.MissingHospitalIdRecords > 0)
                WriteWarning($"{stats.MissingHospitalIdRecords} failure record(s) have no hospital ID, so their Subject is empty: {Examples(stats.MissingHospitalIdSources, stats.MissingHospitalIdRecords)}.");
            if (stats.UnreadableDates > 0)
                WriteWarning($"{stats.UnreadableDates} failure record(s) have a study date that is neither yyyy-MM-dd nor yyyyMMdd; it is kept as written: {Examples(stats.UnreadableDateSources, stats.UnreadableDates)}.");
        }

        private void Flush()
        {
            foreach (var raw in _buffer)
            {
                var item = _reader!.Convert(raw);
                if (item.HasValue) Write(item.Value);
            }
            _buffer.Clear();
        }

        private void Write(FailureReadItem<IngestFailure> item)
        {
            if (item.Error != null)
            {
                var where = item.Error.File + ":" + (item.Error.Line ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
                WriteItemError(item.Error, "UnreadableFailureRecord", ErrorCategory.InvalidData, where);
                return;
            }
            WriteObject(item.Record);
        }

        private static string Examples(IReadOnlyList<string> examples, int total) =>
            string.Join(", ", examples) + (total > examples.Count ? $" and {total - examples.Count} more" : "");

        private static IEnumerable<string> SplitLines(string text)
        {
            var start = 0;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c != '\n' && c != '\r') continue;
                yield return text.Substring(start, i - start);
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                start = i + 1;
            }
            if (start < text.Length || text.Length == 0) yield return text.Substring(start);
        }
    }
}
