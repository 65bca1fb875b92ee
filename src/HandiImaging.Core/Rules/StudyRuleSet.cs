using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Core.Rules
{
    /// <summary>One entry of the include/exclude list, as written in the rules file, with where it is.</summary>
    public sealed record StudyRule
    {
        /// <summary>The description exactly as the rules file has it (spaces, case and all).</summary>
        public string Description { get; init; } = "";
        /// <summary>Include or Exclude.</summary>
        public StudyDecision Decision { get; init; }
        public string? DecidedBy { get; init; }
        public DateTime? DecidedOn { get; init; }
        public string? Note { get; init; }
        /// <summary>The rules file.</summary>
        public string Source { get; init; } = "";
        /// <summary>The workbook sheet (INCLUDE or EXCLUDE); null for a CSV rules file.</summary>
        public string? Sheet { get; init; }
        /// <summary>The sheet row (workbook) or line (CSV) of the entry.</summary>
        public long Line { get; init; }

        /// <summary>The form descriptions are matched on.</summary>
        public string NormalizedDescription => StudyDescription.Normalize(Description);

        /// <summary>"INCLUDE row 12" or "line 12": where to find the entry.</summary>
        public string Location => Sheet is null
            ? "line " + Line.ToString(CultureInfo.InvariantCulture)
            : Sheet + " row " + Line.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Two rows of the rules file that normalise to the same description.</summary>
    public sealed record StudyRulePair(StudyRule First, StudyRule Second);

    /// <summary>A description that normalises into both lists. Raised on import; never resolved silently.</summary>
    public sealed class StudyRuleConflictException : Exception
    {
        public StudyRuleConflictException(string source, IReadOnlyList<StudyRulePair> conflicts)
            : base(Compose(source, conflicts))
        {
            RulesFile = source;
            Conflicts = conflicts;
        }

        public string RulesFile { get; }
        public IReadOnlyList<StudyRulePair> Conflicts { get; }

        private static string Compose(string source, IReadOnlyList<StudyRulePair> conflicts)
        {
            const int shown = 20;
            var lines = conflicts.Take(shown).Select(c =>
                $"'{c.First.Description}' ({c.First.Decision.ToString().ToUpperInvariant()}, {c.First.Location}) and '{c.Second.Description}' ({c.Second.Decision.ToString().ToUpperInvariant()}, {c.Second.Location})");
            var more = conflicts.Count > shown ? $"; and {conflicts.Count - shown} more" : "";
            return $"{source}: {conflicts.Count} description(s) are on both the include and the exclude list; decide which list each belongs on and delete the other row: "
                + string.Join("; ", lines) + more;
        }
    }

    /// <summary>
    /// The include/exclude list, ready to classify studies. Built from rules in file order: a later row that
    /// normalises to an earlier one on the same list is a duplicate (kept in <see cref="Duplicates"/>, not
    /// used); on the other list it is a conflict and the constructor throws <see cref="StudyRuleConflictException"/>.
    /// </summary>
    public sealed class StudyRuleSet
    {
        /// <summary>What <see cref="PacsStudy.MatchedRule"/> says for a study dated 2099-01-01.</summary>
        public const string PlaceholderRule = "(placeholder date 2099-01-01: scheduled, never done)";

        private readonly Dictionary<string, StudyRule> _byDescription;

        public StudyRuleSet(IEnumerable<StudyRule> rules, string? path = null)
        {
            Path = path ?? "";
            _byDescription = new Dictionary<string, StudyRule>(StudyDescription.Comparer);
            var kept = new List<StudyRule>();
            var duplicates = new List<StudyRulePair>();
            var conflicts = new List<StudyRulePair>();
            foreach (var rule in rules)
            {
                if (rule.Decision == StudyDecision.Review) throw new ArgumentException($"{rule.Location}: a rule decides Include or Exclude, not Review.");
                var key = rule.NormalizedDescription;
                if (_byDescription.TryGetValue(key, out var earlier))
                {
                    (earlier.Decision == rule.Decision ? duplicates : conflicts).Add(new StudyRulePair(earlier, rule));
                    continue;
                }
                _byDescription.Add(key, rule);
                kept.Add(rule);
            }
            if (conflicts.Count > 0) throw new StudyRuleConflictException(Path, conflicts);
            Rules = kept;
            Duplicates = duplicates;
            IncludeCount = kept.Count(r => r.Decision == StudyDecision.Include);
            ExcludeCount = kept.Count - IncludeCount;
        }

        /// <summary>The rules file this set came from (empty when built in memory).</summary>
        public string Path { get; }
        /// <summary>Distinct descriptions (after normalisation) on the include list.</summary>
        public int IncludeCount { get; }
        /// <summary>Distinct descriptions (after normalisation) on the exclude list.</summary>
        public int ExcludeCount { get; }
        public int Count => Rules.Count;
        /// <summary>Rows that repeat an earlier row of the same list after normalisation.</summary>
        public int DuplicateCount => Duplicates.Count;
        /// <summary>The rules in use (first row of each normalised description), in file order.</summary>
        public IReadOnlyList<StudyRule> Rules { get; }
        public IReadOnlyList<StudyRulePair> Duplicates { get; }

        /// <summary>The rule matching <paramref name="description"/> after normalisation, or null.</summary>
        public StudyRule? Find(string? description) =>
            _byDescription.TryGetValue(StudyDescription.Normalize(description), out var rule) ? rule : null;

        /// <summary>Decides one study: 2099-01-01 is always Exclude; otherwise the matching rule, or Review.</summary>
        public StudyDecision Decide(DateTime? studyDate, string? description, out string? matchedRule)
        {
            if (studyDate.HasValue && studyDate.Value.Date == DateValue.Placeholder)
            {
                matchedRule = PlaceholderRule;
                return StudyDecision.Exclude;
            }
            var rule = Find(description);
            matchedRule = rule?.Description;
            return rule?.Decision ?? StudyDecision.Review;
        }

        /// <summary>The study annotated with its <c>Decision</c> and <c>MatchedRule</c>.</summary>
        public PacsStudy Classify(PacsStudy study)
        {
            var decision = Decide(study.StudyDate, study.StudyDescription, out var matched);
            return study with { Decision = decision, MatchedRule = matched };
        }

        public override string ToString() =>
            $"{IncludeCount.ToString(CultureInfo.InvariantCulture)} include, {ExcludeCount.ToString(CultureInfo.InvariantCulture)} exclude";
    }
}
