using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Pacs;
using HandiImaging.Core.Rules;

namespace HandiImaging.Commands
{
    /// <summary>Decides each study against the clinicians' include/exclude list and passes on the relevant ones.</summary>
    /// <remarks>
    /// <para>Select-RelevantStudy sets each study's Decision (Include, Exclude or Review) and MatchedRule (the rule
    /// entry as the rules file writes it) and, by default, passes on only the included studies. Descriptions match on
    /// the normalised form (trimmed, inner white space collapsed, case ignored). A study dated 2099-01-01 (scheduled,
    /// never done) is always Exclude.</para>
    /// <para>A description on neither list is Review: it needs a clinician. One warning at the end gives the number
    /// of Review studies and distinct descriptions; send them to the clinician with Export-StudyReview.</para>
    /// <para>Input is PacsStudy objects (from Find-PacsStudy) or any rows with a StudyDescription column, such as
    /// Import-Csv output; those become PacsStudy objects (StudyDate read as yyyy-MM-dd, yyyyMMdd or dd/MM/yyyy).</para>
    /// </remarks>
    /// <example>
    /// <code>$studies | Select-RelevantStudy -RuleSet $rules</code>
    /// <para>Passes on the studies to ingest.</para>
    /// </example>
    /// <example>
    /// <code>$studies | Select-RelevantStudy -RuleSet $rules -Decision Review | Export-StudyReview -Path ./review.xlsx</code>
    /// <para>Writes the descriptions on neither list to a workbook for the clinician.</para>
    /// </example>
    /// <example>
    /// <code>Import-Csv ./studies.csv | Select-RelevantStudy -RuleSet $rules -Decision All | Group-Object Decision</code>
    /// <para>Counts the decisions for studies listed in a CSV file.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Select, "RelevantStudy")]
    [OutputType(typeof(PacsStudy))]
    public sealed class SelectRelevantStudyCommand : HandiCmdlet
    {
        /// <summary>The include/exclude list, from Import-StudyRule.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        public StudyRuleSet RuleSet { get; set; } = null!;

        /// <summary>The studies: PacsStudy objects, or rows with StudyDescription (and StudyDate, AccessionNumber, StudyInstanceUid, PatientId) properties.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        public PSObject[] InputObject { get; set; } = new PSObject[0];

        /// <summary>Which decisions to pass on: Include (default), Exclude, Review, or All. Several may be given.</summary>
        [Parameter]
        [ValidateSet("Include", "Exclude", "Review", "All", IgnoreCase = true)]
        public string[] Decision { get; set; } = { "Include" };

        private HashSet<StudyDecision> _wanted = new HashSet<StudyDecision>();
        private readonly HashSet<string> _reviewDescriptions = new HashSet<string>(StudyDescription.Comparer);
        private readonly int[] _counts = new int[3];

        protected override void BeginProcessing()
        {
            _wanted = Decision.Any(d => string.Equals(d, "All", StringComparison.OrdinalIgnoreCase))
                ? new HashSet<StudyDecision> { StudyDecision.Include, StudyDecision.Exclude, StudyDecision.Review }
                : new HashSet<StudyDecision>(Decision.Select(d => (StudyDecision)Enum.Parse(typeof(StudyDecision), d, true)));
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
                var decided = RuleSet.Classify(study);
                var decision = decided.Decision!.Value;
                _counts[(int)decision]++;
                if (decision == StudyDecision.Review) _reviewDescriptions.Add(StudyDescription.Normalize(study.StudyDescription));
                if (_wanted.Contains(decision)) WriteObject(decided);
            }
        }

        protected override void EndProcessing()
        {
            string N(int n) => n.ToString(CultureInfo.InvariantCulture);
            WriteVerbose($"{N(_counts[0])} include, {N(_counts[1])} exclude, {N(_counts[2])} review.");
            if (_counts[(int)StudyDecision.Review] > 0)
                WriteWarning($"{N(_counts[(int)StudyDecision.Review])} studies ({N(_reviewDescriptions.Count)} distinct descriptions) are on neither the include nor the exclude list; send them to a clinician with Export-StudyReview.");
        }
    }
}
