using System;
using System.IO;
using System.Linq;
using HandiImaging.Core.Demo;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Tests.Cohort;
using static HandiImaging.Core.Tests.Rules.TestWorkbook;

namespace HandiImaging.Core.Tests.Rules
{
    public class StudyRuleTests
    {
        [Theory]
        [InlineData("CT Neck", "CT Neck")]
        [InlineData("  CT   Neck \t", "CT Neck")]
        [InlineData("CT\u00A0Neck", "CT Neck")] // non-breaking space from a pasted description
        [InlineData("(blank)", "")]
        [InlineData(" (BLANK) ", "")]
        [InlineData("", "")]
        [InlineData(null, "")]
        [InlineData("CT Neck.", "CT Neck.")]
        public void Normalisation_trims_and_collapses_white_space(string? raw, string expected) =>
            Assert.Equal(expected, StudyDescription.Normalize(raw));

        [Fact]
        public void Case_is_ignored_but_a_final_full_stop_is_not()
        {
            var rules = new StudyRuleSet(new[]
            {
                new StudyRule { Description = "CT Neck", Decision = StudyDecision.Include, Line = 2 },
                new StudyRule { Description = "CT Neck.", Decision = StudyDecision.Exclude, Line = 3 },
            });
            Assert.Equal("CT Neck", rules.Find(" ct  NECK ")!.Description);
            Assert.Equal("CT Neck.", rules.Find("CT NECK.")!.Description);
            Assert.Null(rules.Find("CT Neck,"));
            Assert.Equal((1, 1, 0), (rules.IncludeCount, rules.ExcludeCount, rules.DuplicateCount));
        }

        [Fact]
        public void The_demo_workbook_loads_as_it_is_with_the_right_counts()
        {
            using var folder = new TempFolder();
            var list = DemoRules.Create();
            var path = folder.File("rules.xlsx");
            DemoRules.WriteWorkbook(path, list);

            var load = StudyRuleFile.Read(path);
            var rules = load.RuleSet;

            Assert.Empty(load.Errors);
            Assert.Equal((300, 1500, list.DuplicateCount), (rules.IncludeCount, rules.ExcludeCount, rules.DuplicateCount));
            Assert.True(list.DuplicateCount >= 6);
            // Every row of the sheets matches the list it came from, quirks and all.
            Assert.All(list.Include, d => Assert.Equal(StudyDecision.Include, rules.Find(d)!.Decision));
            Assert.All(list.Exclude, d => Assert.Equal(StudyDecision.Exclude, rules.Find(d)!.Decision));
            Assert.All(list.Unknown, d => Assert.Null(rules.Find(d)));
            // (blank) is the empty description; 70450 was stored as a number.
            Assert.Equal("(blank)", rules.Find("")!.Description);
            Assert.Equal("(blank)", rules.Find(null)!.Description);
            Assert.Equal(StudyDecision.Exclude, rules.Find("70450")!.Decision);
            // The cover sheet's text is not a rule; the INCLUDE title above its header is not either.
            Assert.Null(rules.Find("Version"));
            Assert.Null(rules.Find("Study Description"));
            Assert.DoesNotContain(rules.Rules, r => r.Description.StartsWith("Study descriptions to INCLUDE", StringComparison.Ordinal));
            // Rules know where they came from: INCLUDE's header is on row 3, EXCLUDE's on row 1.
            Assert.Equal(("INCLUDE", 4L), (rules.Rules[0].Sheet, rules.Rules[0].Line));
            Assert.Equal(("EXCLUDE", 2L), (rules.Rules[300].Sheet!, rules.Rules[300].Line));
        }

        [Fact]
        public void Demo_lists_carry_every_quirk_of_the_real_one()
        {
            var list = DemoRules.Create();
            var all = list.Include.Concat(list.Exclude).ToList();
            Assert.Contains(all, d => d.EndsWith(" ", StringComparison.Ordinal));
            Assert.Contains(all, d => d.Trim().Contains("  "));
            Assert.Contains(all, d => d.Any(char.IsLetter) && d == d.ToUpperInvariant());
            Assert.True(all.Count(d => all.Count(x => x == d) > 1) > 0, "an exact duplicate");
            Assert.Contains(all, d => d.EndsWith(".", StringComparison.Ordinal) && all.Contains(d.Substring(0, d.Length - 1)));
            Assert.Contains("(blank)", all);
            Assert.Equal(list.Include, DemoRules.Create().Include); // deterministic
        }

        [Fact]
        public void Shared_inline_rich_and_numeric_cells_are_all_read_and_the_header_is_found_anywhere()
        {
            using var folder = new TempFolder();
            var path = folder.File("rules.xlsx");
            Write(path,
                ("Read me", Column("This workbook lists study descriptions", "CT Chest")),
                ("include", new[]
                {
                    new C("A1", "Approved by the H&N MDT"),
                    new C("B3", " study  DESCRIPTION "),
                    new C("B4", "CT Neck", Kind.Inline),
                    new C("B5", "MRI Head and Neck", Kind.RichShared),
                    new C("B6", "12345", Kind.Number),
                    new C("A7", "a note in another column"),
                    new C("B8", "PET-CT  FDG "),
                }),
                ("EXCLUDE ", Column("Study Description", "XR Chest", "(blank)")));

            var rules = StudyRuleFile.Read(path).RuleSet;

            Assert.Equal((4, 2), (rules.IncludeCount, rules.ExcludeCount));
            Assert.Equal(new[] { "CT Neck", "MRI Head and Neck", "12345", "PET-CT  FDG " }, rules.Rules.Take(4).Select(r => r.Description));
            Assert.Equal(new long[] { 4, 5, 6, 8 }, rules.Rules.Take(4).Select(r => r.Line));
            Assert.Null(rules.Find("CT Chest"));
            Assert.Equal(StudyDecision.Include, rules.Find("pet-ct fdg")!.Decision);
        }

        [Fact]
        public void A_description_on_both_lists_is_a_conflict_naming_both_rows()
        {
            using var folder = new TempFolder();
            var path = folder.File("rules.xlsx");
            Write(path,
                ("INCLUDE", Column("Study Description", "CT Neck", "MRI Neck")),
                ("EXCLUDE", Column("Study Description", "XR Chest", "ct  neck ", "MRI Neck.")));

            var ex = Assert.Throws<StudyRuleConflictException>(() => StudyRuleFile.Read(path));

            var conflict = Assert.Single(ex.Conflicts);
            Assert.Equal(("INCLUDE row 2", "EXCLUDE row 3"), (conflict.First.Location, conflict.Second.Location));
            Assert.Contains("'CT Neck' (INCLUDE, INCLUDE row 2) and 'ct  neck ' (EXCLUDE, EXCLUDE row 3)", ex.Message);
            Assert.StartsWith(path, ex.Message);
        }

        [Fact]
        public void A_missing_sheet_or_header_is_named()
        {
            using var folder = new TempFolder();
            var noExclude = folder.File("a.xlsx");
            Write(noExclude, ("INCLUDE", Column("Study Description", "CT Neck")), ("Cover", Column("x")));
            Assert.Contains("no sheet named EXCLUDE", Assert.Throws<InputFormatException>(() => StudyRuleFile.Read(noExclude)).Message);

            var noHeader = folder.File("b.xlsx");
            Write(noHeader, ("INCLUDE", Column("Description", "CT Neck")), ("EXCLUDE", Column("Study Description")));
            var ex = Assert.Throws<InputFormatException>(() => StudyRuleFile.Read(noHeader));
            Assert.Equal("INCLUDE", ex.Field);

            var notXlsx = folder.File("c.xlsx", "not a zip");
            Assert.Throws<InputFormatException>(() => StudyRuleFile.Read(notXlsx));
            Assert.Throws<InputFormatException>(() => StudyRuleFile.Read(folder.File("rules.txt", "x")));
        }

        [Theory]
        [InlineData("en-GB")]
        [InlineData("en-US")]
        [InlineData("de-DE")]
        public void A_csv_rules_file_loads_with_duplicates_bad_rows_and_dates(string culture)
        {
            using var scope = new CultureScope(culture);
            using var folder = new TempFolder();
            var path = folder.File("rules.csv",
                "Description,Decision,DecidedBy,DecidedOn,Note\r\n" +
                "CT Neck,Include,Dr A,2024-03-04,\r\n" +         // line 2
                "\"CT  NECK \",include,,,\r\n" +                 // line 3: duplicate of line 2
                "CT Neck.,Exclude,Dr B,,\"different: has a stop\"\r\n" +
                "(blank),Exclude,,,\r\n" +
                "XR Chest,Maybe,,,\r\n" +                        // line 6: bad decision
                ",Include,,,\r\n" +                               // line 7: empty description
                "MRI Neck,Include,,03/31/2024,\r\n");            // line 8: month first, which the date rule never reads

            var load = StudyRuleFile.Read(path);

            var rules = load.RuleSet;
            Assert.Equal((1, 2, 1), (rules.IncludeCount, rules.ExcludeCount, rules.DuplicateCount));
            Assert.Equal(("line 2", "line 3"), (rules.Duplicates[0].First.Location, rules.Duplicates[0].Second.Location));
            Assert.Equal(new DateTime(2024, 3, 4), rules.Find("ct neck")!.DecidedOn);
            Assert.Equal("Dr A", rules.Find("ct neck")!.DecidedBy);
            Assert.Equal(StudyDecision.Exclude, rules.Find("")!.Decision);
            Assert.Equal(new (long?, string?)[] { (6, "Decision"), (7, "Description"), (8, "DecidedOn") }, load.Errors.Select(e => (e.Line, e.Field)));
        }

        [Fact]
        public void A_csv_conflict_names_both_lines()
        {
            using var folder = new TempFolder();
            var path = folder.File("rules.csv", "Description,Decision,DecidedBy,DecidedOn,Note\r\nCT Neck,Include,,,\r\nXR Chest,Exclude,,,\r\nct neck,Exclude,,,\r\n");
            var ex = Assert.Throws<StudyRuleConflictException>(() => StudyRuleFile.Read(path));
            Assert.Contains("(INCLUDE, line 2)", ex.Message);
            Assert.Contains("(EXCLUDE, line 4)", ex.Message);
        }

        [Fact]
        public void Studies_are_decided_with_the_placeholder_date_never_included()
        {
            var rules = new StudyRuleSet(new[]
            {
                new StudyRule { Description = "CT Neck ", Decision = StudyDecision.Include },
                new StudyRule { Description = "(blank)", Decision = StudyDecision.Exclude },
            });
            StudyDecision Decide(string? d, DateTime? date, out string? m) => rules.Decide(date, d, out m);

            Assert.Equal(StudyDecision.Include, Decide("CT NECK", new DateTime(2024, 5, 1), out var m1));
            Assert.Equal("CT Neck ", m1); // as the rules file writes it
            Assert.Equal(StudyDecision.Exclude, Decide("CT Neck", DateValue.Placeholder, out var m2));
            Assert.Equal(StudyRuleSet.PlaceholderRule, m2);
            Assert.Equal(StudyDecision.Exclude, Decide("  ", null, out var m3));
            Assert.Equal("(blank)", m3);
            Assert.Equal(StudyDecision.Review, Decide("MRI Knee", null, out var m4));
            Assert.Null(m4);

            var study = new PacsStudy { StudyDescription = "ct neck", StudyInstanceUid = "1.2.3", StudyDate = new DateTime(2024, 1, 1) };
            var classified = rules.Classify(study);
            Assert.Equal((StudyDecision.Include, "CT Neck ", "1.2.3"), (classified.Decision!.Value, classified.MatchedRule!, classified.StudyInstanceUid));
            Assert.Null(study.Decision); // the input is not changed
        }
    }
}
