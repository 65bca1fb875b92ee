using System;
using System.Globalization;
using System.Management.Automation;
using HandiImaging.Core.Pacs;
using HandiImaging.Core.Rules;

namespace HandiImaging.Commands
{
    /// <summary>Writes the study descriptions that need a clinician's decision to a review workbook or CSV.</summary>
    /// <remarks>
    /// <para>Export-StudyReview collects the studies on the pipeline whose Decision is Review (or not yet decided)
    /// and writes one row per distinct description (normalised: spaces and case do not make new rows) with the number
    /// of studies, their modalities, first and last study date (yyyy-MM-dd), an example accession number, and empty
    /// Decision and Note columns. In an .xlsx file the Decision column offers a drop-down of Include and Exclude.
    /// Rows come most frequent first.</para>
    /// <para>Studies already decided Include or Exclude are skipped, unless -RuleSet is given, in which case every
    /// study is decided afresh against it. Studies dated 2099-01-01 are never asked about. The file is written
    /// atomically; an existing file is kept as .bak.</para>
    /// <para>When the clinician has filled in the Decision column, Update-StudyRule writes the decisions into the rules.</para>
    /// </remarks>
    /// <example>
    /// <code>$studies | Select-RelevantStudy -RuleSet $rules -Decision Review | Export-StudyReview -Path ./review-2025Q1.xlsx</code>
    /// <para>Writes the quarter's unknown descriptions for the clinician.</para>
    /// </example>
    /// <example>
    /// <code>Import-Csv ./studies.csv | Export-StudyReview -Path ./review.csv -RuleSet $rules -PassThru</code>
    /// <para>Decides the listed studies, writes the unknown descriptions as CSV and shows the rows written.</para>
    /// </example>
    [Cmdlet(VerbsData.Export, "StudyReview", DefaultParameterSetName = "Path", SupportsShouldProcess = true)]
    [OutputType(typeof(StudyReviewItem))]
    public sealed class ExportStudyReviewCommand : HandiCmdlet
    {
        /// <summary>The review file to write: .xlsx (with a drop-down for the decision) or .csv. Taken literally (an output has no wildcards). It may not be the rules workbook, a rules CSV, a cohort or the failure ledger.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
        public string Path { get; set; } = "";

        /// <summary>The review file to write, taken literally (no wildcards).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "LiteralPath")]
        [Alias("PSPath")]
        public string LiteralPath { get; set; } = "";

        /// <summary>The studies: PacsStudy objects from Select-RelevantStudy, or rows with a StudyDescription column.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        public PSObject[] InputObject { get; set; } = new PSObject[0];

        /// <summary>Decides every study against this list first; without it, the studies' own Decision is used.</summary>
        [Parameter]
        public StudyRuleSet? RuleSet { get; set; }

        /// <summary>Returns the rows written.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private readonly StudyReviewBuilder _builder = new StudyReviewBuilder();
        private int _decided;
        private string _path = "";

        protected override void BeginProcessing()
        {
            _path = ResolveOutputFile(ParameterSetName == "LiteralPath" ? LiteralPath : Path, ParameterSetName);
            if (!StudyRuleFile.IsWorkbook(_path) && !StudyRuleFile.IsCsv(_path))
                Fail(new ArgumentException($"{_path}: a review file is .xlsx or .csv."), "UnsupportedFileType", ErrorCategory.InvalidArgument, _path);
            // A review never replaces the rules workbook (or a cohort or ledger) it would be confused with.
            EnsureOutputIsNotInput(_path, ParameterSetName, Array.Empty<(string?, string)>());
        }

        protected override void ProcessRecord()
        {
            foreach (var item in InputObject)
            {
                if (!StudyInput.TryConvert(item, out var study, out var problem))
                {
                    WriteItemError(new ArgumentException(problem), "NotAStudy", ErrorCategory.InvalidArgument, item);
                    continue;
                }
                if (RuleSet != null) study = RuleSet.Classify(study);
                if (study.Decision == StudyDecision.Include || study.Decision == StudyDecision.Exclude)
                {
                    _decided++;
                    continue;
                }
                _builder.Add(study);
            }
        }

        protected override void EndProcessing()
        {
            var items = _builder.Items();
            string N(int n) => n.ToString(CultureInfo.InvariantCulture);
            WriteVerbose($"{N(_builder.StudyCount)} studies to review in {N(items.Count)} distinct descriptions; {N(_decided)} already decided and {N(_builder.PlaceholderCount)} dated 2099-01-01 skipped.");
            if (!ShouldProcess(_path, $"Write {N(items.Count)} descriptions for review")) return;
            try { StudyReviewBuilder.Write(_path, items); }
            catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException)
            {
                Fail(ex, "ReviewWriteFailed", CategoryOf(ex), _path);
            }
            if (PassThru) foreach (var item in items) WriteObject(item);
        }
    }
}
