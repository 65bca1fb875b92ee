using System;
using System.IO;
using System.Linq;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Validation;
using HandiImaging.Core.Demo;
using HandiImaging.Core.Pacs;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Tests.Cohort;

namespace HandiImaging.Core.Tests.Rules
{
    /// <summary>Workbooks we write must open in Excel without a "repair" prompt: the SDK's schema validator is the proxy.</summary>
    public class WorkbookValidityTests
    {
        private static void AssertValid(string path)
        {
            using var document = SpreadsheetDocument.Open(path, false);
            var errors = new OpenXmlValidator().Validate(document).Select(e => $"{e.Part?.Uri} {e.Path?.XPath}: {e.Description}").ToList();
            Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
        }

        [Fact]
        public void Demo_review_and_updated_workbooks_are_schema_valid()
        {
            using var folder = new TempFolder();
            var rules = folder.File("rules.xlsx");
            DemoRules.WriteWorkbook(rules, DemoRules.Create(20, 20));
            AssertValid(rules);

            var review = folder.File("review.xlsx");
            var builder = new StudyReviewBuilder();
            builder.Add(new PacsStudy { StudyDescription = "New Thing", StudyDate = new DateTime(2024, 1, 2), ModalitiesInStudy = new[] { "CT" } });
            StudyReviewBuilder.Write(review, builder.Items());
            AssertValid(review);

            var decisions = folder.File("decisions.csv", "Description,Decision,Note\r\nNew Thing,Include,why not\r\nOther,Exclude,\r\n");
            Assert.True(StudyRuleUpdater.Update(rules, decisions, "Dr A", new DateTime(2025, 1, 1)).Written);
            AssertValid(rules);
        }
    }
}
