using System;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using HandiImaging.Core.IO;
using HandiImaging.Core.Rules;

namespace HandiImaging.Commands
{
    /// <summary>Writes a clinician's decisions from a completed review file into the include/exclude list.</summary>
    /// <remarks>
    /// <para>Update-StudyRule reads the review file written by Export-StudyReview (after the clinician has filled in
    /// the Decision column with Include or Exclude) and adds each decided description to the rules, with who decided
    /// (-DecidedBy) and when (-DecidedOn, written yyyy-MM-dd), so next quarter's run knows it.</para>
    /// <para>In the clinicians' workbook the rows are appended to the INCLUDE or EXCLUDE sheet (adding Decided By,
    /// Decided On and Note header cells if the sheet has none); the cover sheet and every other cell are kept. A CSV
    /// rules file gets rows appended (it is created, with its header, if it does not exist). The file is replaced
    /// atomically under a lock, and the previous version kept as .bak.</para>
    /// <para>Rows left without a decision stay under review (a warning gives their count). A decision that
    /// contradicts an existing rule, or another row of the review, is a non-terminating error
    /// (DecisionContradictsRule) and is not written: an existing rule is never overwritten. A decision that is neither
    /// Include nor Exclude is an error (InvalidReviewDecision) and the row stays under review. Writing the same review
    /// twice adds nothing the second time.</para>
    /// </remarks>
    /// <example>
    /// <code>Update-StudyRule -Path './012a Imaging Study Descriptions.xlsx' -ReviewPath ./review-2025Q1.xlsx -DecidedBy 'Dr A Clinician' -WhatIf</code>
    /// <para>Shows how many descriptions would be added to each list.</para>
    /// </example>
    /// <example>
    /// <code>Update-StudyRule ./rules.csv -ReviewPath ./review.csv -DecidedBy 'Dr A Clinician' -DecidedOn 2025-01-10</code>
    /// <para>Appends the decisions to a CSV rules file and returns the new rules.</para>
    /// </example>
    [Cmdlet(VerbsData.Update, "StudyRule", DefaultParameterSetName = "Path", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(StudyRule))]
    public sealed class UpdateStudyRuleCommand : HandiCmdlet
    {
        /// <summary>The rules file to update: the clinicians' .xlsx workbook or a .csv rules file (created if missing). Wildcards are allowed when the file exists (one file); a name that exists exactly is taken as it is.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
        public string Path { get; set; } = "";

        /// <summary>The rules file, taken literally (no wildcards).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "LiteralPath")]
        [Alias("PSPath")]
        public string LiteralPath { get; set; } = "";

        /// <summary>The completed review file (.xlsx or .csv) with its Decision column filled in. Wildcards are allowed (one file); a name that exists exactly is taken as it is.</summary>
        [Parameter(Mandatory = true)]
        public string ReviewPath { get; set; } = "";

        /// <summary>Who made the decisions (the clinician's name), recorded with each new rule.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string DecidedBy { get; set; } = "";

        /// <summary>When the decisions were made; recorded as yyyy-MM-dd. Default today.</summary>
        [Parameter]
        [UserDateTransformation]
        public DateTime DecidedOn { get; set; } = DateTime.Today;

        protected override void EndProcessing()
        {
            RequirePastDate(DecidedOn, nameof(DecidedOn));
            string rulesPath;
            if (ParameterSetName == "Path" && WildcardPattern.ContainsWildcardCharacters(Path)) rulesPath = ResolveExistingFile(Path, false, "Path");
            else rulesPath = ResolveOutputFile(ParameterSetName == "LiteralPath" ? LiteralPath : Path, ParameterSetName);
            if (!StudyRuleFile.IsWorkbook(rulesPath) && !StudyRuleFile.IsCsv(rulesPath))
                Fail(new ArgumentException($"{rulesPath} is neither an .xlsx workbook nor a .csv rules file."), "UnsupportedFileType", ErrorCategory.InvalidArgument, rulesPath);
            if (StudyRuleFile.IsWorkbook(rulesPath) && !File.Exists(rulesPath))
                Fail(new ItemNotFoundException($"Cannot find path '{rulesPath}' because it does not exist."), "PathNotFound", ErrorCategory.ObjectNotFound, rulesPath);
            var reviewPath = ResolveExistingFile(ReviewPath, false, "ReviewPath");
            EnsureOutputIsNotInput(rulesPath, ParameterSetName, new (string?, string)[] { (reviewPath, nameof(ReviewPath)) }, ProtectedFileKind.RulesCsv, ProtectedFileKind.RulesWorkbook);

            string N(int n) => n.ToString(CultureInfo.InvariantCulture);
            StudyRuleUpdate update;
            try
            {
                update = StudyRuleUpdater.Update(rulesPath, reviewPath, DecidedBy, DecidedOn, u => ShouldProcess(rulesPath,
                    $"Add {N(u.Added.Count)} rules decided by {DecidedBy} on {DateValue.ToIso(DecidedOn)}"), cancellationToken: StopToken);
            }
            catch (StudyRuleConflictException ex) { Fail(ex, "StudyRuleConflict", ErrorCategory.InvalidData, rulesPath); return; }
            catch (InputFormatException ex) when (ex.File == reviewPath) { Fail(ex, "ReviewFileUnreadable", ErrorCategory.InvalidData, reviewPath); return; }
            catch (InputFormatException ex) { Fail(ex, "RulesFileUnreadable", ErrorCategory.InvalidData, rulesPath); return; }
            catch (TimeoutException ex) { Fail(ex, "FileLocked", ErrorCategory.ResourceBusy, rulesPath); return; }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException) { Fail(ex, "RulesWriteFailed", CategoryOf(ex), rulesPath); return; }

            foreach (var error in update.Errors) WriteItemError(error, "InvalidReviewDecision", ErrorCategory.InvalidData, error.File);
            foreach (var error in update.Contradictions) WriteItemError(error, "DecisionContradictsRule", ErrorCategory.InvalidData, error.File);
            if (update.UndecidedCount > 0)
                WriteWarning($"{reviewPath}: {N(update.UndecidedCount)} descriptions have no decision yet; they stay under review.");
            WriteVerbose($"{rulesPath}: {N(update.Added.Count)} rules {(update.Written ? "added" : "to add")}; {N(update.AlreadyKnownCount)} decisions were already there.");
            if (update.Written) foreach (var rule in update.Added) WriteObject(rule);
        }
    }
}
