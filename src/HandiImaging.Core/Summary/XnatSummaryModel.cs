using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Summary
{
    /// <summary>What to merge and where to write it.</summary>
    public sealed class XnatSummaryRequest
    {
        /// <summary>
        /// Formats accepted in the reference-date file unless the caller says otherwise: ISO, and the day-first
        /// forms the data warehouse exports. Never month-first: 03/04/2020 is 3 April.
        /// </summary>
        public static readonly IReadOnlyList<string> DefaultReferenceDateFormats = new[]
        {
            DateValue.Iso, DateValue.Uk, "d/M/yyyy", "dd/MM/yyyy HH:mm:ss", "dd/MM/yyyy HH:mm", "yyyy-MM-dd HH:mm:ss",
        };

        public XnatSummaryRequest(string sessionFolder, string referenceDatePath, string outputPath)
        {
            SessionFolder = sessionFolder ?? throw new ArgumentNullException(nameof(sessionFolder));
            ReferenceDatePath = referenceDatePath ?? throw new ArgumentNullException(nameof(referenceDatePath));
            OutputPath = outputPath ?? throw new ArgumentNullException(nameof(outputPath));
        }

        /// <summary>Folder holding the eight session exports (CT.csv … XA.csv).</summary>
        public string SessionFolder { get; }

        /// <summary>CSV of <c>Subject, Reference Date</c> (columns by position, header row first).</summary>
        public string ReferenceDatePath { get; }

        /// <summary>The master summary to write (replaced atomically).</summary>
        public string OutputPath { get; }

        /// <summary>
        /// Failure ledger (only <c>Open</c> rows are used) or a plain failures CSV whose first five columns are
        /// Subject, StudyDate, AccessionNumber, StudyDescription, StudyInstanceUid. Null: no failures.
        /// </summary>
        public string? FailurePath { get; set; }

        /// <summary>
        /// Subjects that get a row even with no session, failure or reference date (cohort patients with no
        /// imaging yet). Null: only the subjects the files name.
        /// </summary>
        public IReadOnlyCollection<string>? CohortSubjects { get; set; }

        /// <summary>Formats tried, in order, for the reference dates.</summary>
        public IReadOnlyList<string> ReferenceDateFormats { get; set; } = DefaultReferenceDateFormats;
    }

    /// <summary>A problem in one input row that did not stop the merge. Names file and line, never patient data.</summary>
    public sealed class SummaryWarning
    {
        public SummaryWarning(string file, long? line, string problem)
        {
            File = file;
            Line = line;
            Problem = problem;
        }

        /// <summary>Full path of the input file.</summary>
        public string File { get; }

        /// <summary>1-based line where the row starts; null when the warning is about the whole run.</summary>
        public long? Line { get; }

        public string Problem { get; }

        public override string ToString() => InputFormatException.Compose(Path.GetFileName(File), Line, null, Problem);
    }

    /// <summary>How many sessions one section of the summary holds, and how many slots it was given.</summary>
    public sealed class SummarySectionCount
    {
        public SummarySectionCount(string name, string columnPrefix, int sessions, int slots)
        {
            Name = name;
            ColumnPrefix = columnPrefix;
            Sessions = sessions;
            Slots = slots;
        }

        public string Name { get; }
        public string ColumnPrefix { get; }

        /// <summary>Sessions written (after dropping placeholders, duplicates and blank subjects).</summary>
        public int Sessions { get; }

        /// <summary>N: slots per subject, max(5, most sessions any subject has here).</summary>
        public int Slots { get; }
    }

    /// <summary>What Merge-XnatSummary wrote.</summary>
    public sealed class XnatSummaryResult
    {
        internal XnatSummaryResult(string outputPath, int subjectCount, int columnCount, IReadOnlyList<SummarySectionCount> sections,
            int placeholdersExcluded, int duplicatesIgnored, int blankSubjectsSkipped, IReadOnlyList<SummaryWarning> warnings, int warningCount)
        {
            OutputPath = outputPath;
            SubjectCount = subjectCount;
            ColumnCount = columnCount;
            Sections = sections;
            SessionsPerSection = sections.ToDictionary(s => s.Name, s => s.Sessions, StringComparer.OrdinalIgnoreCase);
            PlaceholdersExcluded = placeholdersExcluded;
            DuplicatesIgnored = duplicatesIgnored;
            BlankSubjectsSkipped = blankSubjectsSkipped;
            Warnings = warnings;
            WarningCount = warningCount;
        }

        public string OutputPath { get; }

        /// <summary>Rows written: every subject found in any input.</summary>
        public int SubjectCount { get; }

        public int ColumnCount { get; }

        /// <summary>Sessions and slots per section, in output order (CT … XA, then Failures).</summary>
        public IReadOnlyList<SummarySectionCount> Sections { get; }

        /// <summary>Sessions per section by name (CT, MR, …, Failures).</summary>
        public IReadOnlyDictionary<string, int> SessionsPerSection { get; }

        /// <summary>XNAT sessions written, all eight session types together.</summary>
        public int SessionCount => Sections.Where(s => s.Name != SummarySection.Failures.Name).Sum(s => s.Sessions);

        /// <summary>Failures written (open ones only, placeholders excluded).</summary>
        public int FailureCount => SessionsPerSection[SummarySection.Failures.Name];

        /// <summary>Rows dated 2099-01-01 (scheduled, never done) that were left out.</summary>
        public int PlaceholdersExcluded { get; }

        public int DuplicatesIgnored { get; }
        public int BlankSubjectsSkipped { get; }

        /// <summary>The warnings (at most <see cref="XnatSummaryMerger.MaxListedWarnings"/> are listed).</summary>
        public IReadOnlyList<SummaryWarning> Warnings { get; }

        /// <summary>All warnings, including any beyond the listed ones.</summary>
        public int WarningCount { get; }

        /// <summary>How each input was decoded ("CT.csv: UTF-8"), for Verbose.</summary>
        public IReadOnlyList<string> InputEncodings { get; internal set; } = Array.Empty<string>();
    }

    /// <summary>Where a long merge has got to (for Write-Progress).</summary>
    public sealed class SummaryProgress
    {
        public SummaryProgress(string activity, double fraction)
        {
            Activity = activity;
            Fraction = fraction;
        }

        public string Activity { get; }

        /// <summary>0..1 of the whole run.</summary>
        public double Fraction { get; }
    }

    /// <summary>One or more of the eight session exports is not in the session folder.</summary>
    public sealed class SessionFileMissingException : FileNotFoundException
    {
        public SessionFileMissingException(string folder, IReadOnlyList<string> missing)
            : base($"{string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} missing from the session folder {folder}; " +
                   "export every session type from XNAT (an empty export is fine).", Path.Combine(folder, missing[0]))
        {
            Folder = folder;
            Missing = missing;
        }

        public string Folder { get; }

        /// <summary>The missing file names (e.g. <c>SR.csv</c>).</summary>
        public IReadOnlyList<string> Missing { get; }
    }
}
