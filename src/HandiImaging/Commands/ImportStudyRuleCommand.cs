using System;
using System.Globalization;
using System.Management.Automation;
using HandiImaging.Core.IO;
using HandiImaging.Core.Rules;

namespace HandiImaging.Commands
{
    /// <summary>Reads the clinicians' include/exclude list of study descriptions.</summary>
    /// <remarks>
    /// <para>Import-StudyRule reads the list in either form and returns a StudyRuleSet for Select-RelevantStudy:</para>
    /// <para>The clinicians' workbook (.xlsx), as it is: the sheets INCLUDE and EXCLUDE, each with a header cell
    /// "Study Description" (rows above it are ignored; optional "Decided By", "Decided On" and "Note" columns are
    /// read); every other sheet, such as the cover sheet, is ignored. "(blank)" is the rule for studies with an empty
    /// description. A CSV rules file with the columns Description, Decision (Include or Exclude), DecidedBy, DecidedOn
    /// (yyyy-MM-dd) and Note.</para>
    /// <para>Descriptions match on a normalised form: trimmed, inner white space collapsed, case ignored. "CT Neck"
    /// and "CT NECK " are one description; "CT Neck" and "CT Neck." are two. A row that repeats an earlier row of the
    /// same list after normalisation is a warning naming both rows. A description on both lists is a terminating
    /// error (StudyRuleConflict) naming both rows: the clinicians must decide, nothing guesses.</para>
    /// <para>IncludeCount and ExcludeCount count distinct descriptions after normalisation; DuplicateCount the repeated rows.</para>
    /// </remarks>
    /// <example>
    /// <code>$rules = Import-StudyRule -Path './012a Imaging Study Descriptions.xlsx'</code>
    /// <para>Loads the clinicians' workbook; the warnings list rows that repeat others.</para>
    /// </example>
    /// <example>
    /// <code>Import-StudyRule ./rules.csv | Format-List</code>
    /// <para>Shows the include and exclude counts of a CSV rules file.</para>
    /// </example>
    [Cmdlet(VerbsData.Import, "StudyRule", DefaultParameterSetName = "Path")]
    [OutputType(typeof(StudyRuleSet))]
    public sealed class ImportStudyRuleCommand : HandiCmdlet
    {
        /// <summary>The rules file: the clinicians' .xlsx workbook or a .csv rules file. Wildcards must match exactly one file; a name that exists exactly is taken as it is.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
        public string Path { get; set; } = "";

        /// <summary>The rules file, taken literally (no wildcards).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath")]
        public string LiteralPath { get; set; } = "";

        private const int MaxDuplicateWarnings = 5;

        protected override void ProcessRecord()
        {
            var path = ParameterSetName == "LiteralPath" ? ResolveExistingFile(LiteralPath, true, "LiteralPath") : ResolveExistingFile(Path, false, "Path");
            if (!StudyRuleFile.IsWorkbook(path) && !StudyRuleFile.IsCsv(path))
                Fail(new ArgumentException($"{path} is neither an .xlsx workbook nor a .csv rules file."), "UnsupportedFileType", ErrorCategory.InvalidArgument, path);
            StudyRuleLoad load;
            try { load = StudyRuleFile.Read(path); }
            catch (StudyRuleConflictException ex) { Fail(ex, "StudyRuleConflict", ErrorCategory.InvalidData, path); return; }
            catch (InputFormatException ex) { Fail(ex, "RulesFileUnreadable", ErrorCategory.InvalidData, path); return; }

            if (load.Encoding.Length > 0) WriteVerbose($"{path}: read as {load.Encoding}.");
            foreach (var error in load.Errors) WriteItemError(error, "InvalidStudyRule", ErrorCategory.InvalidData, error.File);
            // The real list has dozens of repeats: name the first few, count the rest, list them all in Verbose.
            var shown = 0;
            foreach (var pair in load.RuleSet.Duplicates)
            {
                var message = $"{path}: {pair.Second.Location} repeats {pair.First.Location} ('{pair.Second.Description}' = '{pair.First.Description}' after trimming spaces and ignoring case); the repeat is ignored.";
                if (shown++ < MaxDuplicateWarnings) WriteWarning(message);
                else WriteVerbose(message);
            }
            if (shown > MaxDuplicateWarnings)
                WriteWarning($"{path}: {(shown - MaxDuplicateWarnings).ToString(CultureInfo.InvariantCulture)} more repeated rows ignored; -Verbose lists them.");
            var rules = load.RuleSet;
            WriteVerbose($"{path}: {rules.IncludeCount.ToString(CultureInfo.InvariantCulture)} include and {rules.ExcludeCount.ToString(CultureInfo.InvariantCulture)} exclude descriptions; {rules.DuplicateCount.ToString(CultureInfo.InvariantCulture)} repeated rows ignored; {load.Errors.Count.ToString(CultureInfo.InvariantCulture)} rows unreadable.");
            WriteObject(rules);
        }
    }
}
