using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using HandiImaging.Core.Failures;
using HandiImaging.Core.Runbook;
using HandiImaging.Core.Tests.Cohort;

namespace HandiImaging.Core.Tests.Runbook
{
    /// <summary>One quarter's report, rendered once in headless Chromium (screenshot and DOM) for the tests below.</summary>
    public sealed class RenderedReport : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();

        public RenderedReport()
        {
            Model = Sample();
            HtmlPath = Path.Combine(_folder.Path, "report.html");
            RunReportWriter.WriteFile(Model, HtmlPath);
            Html = File.ReadAllText(HtmlPath);
            using var chromium = new HeadlessChromium();
            ScreenshotPath = Path.Combine(_folder.Path, "report.png");
            chromium.Screenshot(HtmlPath, ScreenshotPath, 1100, 1400);
            Screenshot = PngImage.Read(ScreenshotPath);
            Dom = chromium.DumpDom(HtmlPath);
        }

        public RunReportModel Model { get; }
        public string HtmlPath { get; }
        public string Html { get; }
        public string ScreenshotPath { get; }
        public PngImage Screenshot { get; }
        public string Dom { get; }

        public static RunReportModel Sample()
        {
            var rates = new IngestFailureRateCalculator();
            rates.AddCounts("CT", 400, 52);
            rates.AddCounts("MR", 150, 9);
            rates.AddCounts("PET+NM", 37, 5);
            rates.AddCounts("RF+XA", 12, 7);
            rates.AddCounts("CR+DX", 1234, 301);
            var query = new RunStepRecord { Name = "Query PACS", Status = RunStepStatus.Completed, Duration = TimeSpan.FromSeconds(754) };
            query.Counts["Patients queried"] = 2874;
            query.Counts["Patients failed"] = 3;
            query.Counts["Studies found"] = 12345;
            query.Warnings.Add("3 patient(s) not queried: H1000017, H1000233, H1002871");
            var select = new RunStepRecord { Name = "Select studies", Status = RunStepStatus.Completed, Duration = TimeSpan.FromSeconds(1.5) };
            select.Counts["Include"] = 1833;
            select.Counts["Exclude"] = 10402;
            select.Counts["Review"] = 110;
            var import = new RunStepRecord { Name = "Request imports", Status = RunStepStatus.Failed, Duration = TimeSpan.FromMinutes(95) };
            import.Counts["Requested"] = 1833;
            var publish = new RunStepRecord { Name = "Publish to the EDW", Status = RunStepStatus.Skipped };
            return new RunReportModel
            {
                RunId = "2025-01-06T101500Z",
                Started = new DateTimeOffset(2025, 1, 6, 10, 15, 0, TimeSpan.Zero),
                Finished = new DateTimeOffset(2025, 1, 6, 12, 4, 31, TimeSpan.Zero),
                ExitCode = 2,
                Outcome = "Completed with problems: CT failure rate High, 110 studies to review",
                Steps = { query, select, import, publish },
                FailureRates = rates.Results().ToList(),
                Review =
                {
                    new RunReviewItem { Description = "CT NECK <script>alert(1)</script> & \"friends\"", Modality = "CT", StudyCount = 87, Example = "ACC0042917" },
                    new RunReviewItem { Description = "", Modality = "DX", StudyCount = 23, Example = "2024-11-02" },
                },
                Warnings = { "The deceased extract is 200 days old" },
                Files = { "log.jsonl", "review/Review workbook.xlsx", "summary/XNAT-summary_20250106T101500Z.csv", "/etc/passwd", "../outside.csv" },
            };
        }

        public void Dispose() => _folder.Dispose();
    }

    public class RunReportWriterTests : IClassFixture<RenderedReport>
    {
        private readonly RenderedReport _report;

        public RunReportWriterTests(RenderedReport report) => _report = report;

        [Fact]
        public void The_screenshot_is_a_rendered_page_not_a_blank_one()
        {
            var image = _report.Screenshot;
            Assert.Equal((1100, 1400), (image.Width, image.Height));
            var distinct = image.Pixels.Distinct().Count();
            Assert.True(distinct > 50, $"only {distinct} distinct colours in {_report.ScreenshotPath}");
            var background = image.Pixels.GroupBy(p => p).OrderByDescending(g => g.Count()).First().Key;
            var painted = image.Pixels.Count(p => p != background) / (double)image.Pixels.Length;
            Assert.True(painted > 0.03, $"only {painted:P1} of {_report.ScreenshotPath} differs from the background");
        }

        [Fact]
        public void The_chart_is_drawn_with_a_red_bar_for_the_high_group_and_blue_bars_for_the_others()
        {
            static bool Near(uint pixel, uint colour) =>
                Math.Abs((int)(pixel >> 16) - (int)(colour >> 16)) < 6 && Math.Abs((int)((pixel >> 8) & 0xff) - (int)((colour >> 8) & 0xff)) < 6 && Math.Abs((int)(pixel & 0xff) - (int)(colour & 0xff)) < 6;
            var pixels = _report.Screenshot.Pixels;
            Assert.True(pixels.Count(p => Near(p, 0xc62828)) > 500, "no red (High) bar in the screenshot");
            Assert.True(pixels.Count(p => Near(p, 0x3b6ea8)) > 500, "no blue (Normal) bars in the screenshot");
        }

        [Fact]
        public void The_rendered_page_holds_the_run_s_numbers()
        {
            var dom = _report.Dom;
            Assert.Contains("HandiImaging run 2025-01-06T101500Z", dom);
            Assert.Contains("2 (completed with problems)", dom);
            Assert.Contains("Completed with problems: CT failure rate High, 110 studies to review", dom);
            Assert.Contains("1 h 49 min", dom);
            foreach (var number in new[] { "2,874", "12,345", "10,402", "1,833", "1,234", "301" })
                Assert.Contains(">" + number + "<", dom);
            Assert.Contains("12 min 34 s", dom);
            var ct = _report.Model.FailureRates.Single(r => r.Group == "CT");
            Assert.Matches(new Regex(@"<tr class=""high""><td>CT</td><td class=""num"">400</td><td class=""num"">52</td><td class=""num"">13\.0 %</td><td class=""num"">7\.4 %</td><td class=""num"">" + Regex.Escape(ct.PValue.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)) + "</td><td>High</td></tr>"), dom);
            Assert.Contains("13.0 % vs 7.4 % HIGH", dom);
            Assert.Contains("ACC0042917", dom);
            Assert.Contains("3 patient(s) not queried: H1000017, H1000233, H1002871", dom);
            Assert.Contains("The deceased extract is 200 days old", dom);
            Assert.Contains("Warnings (2)", dom);
        }

        [Fact]
        public void Text_from_the_model_is_encoded_never_markup()
        {
            Assert.DoesNotContain("<script", _report.Dom);
            Assert.Contains("CT NECK &lt;script&gt;alert(1)&lt;/script&gt; &amp; \"friends\"", _report.Dom);
            Assert.Contains("<em>(blank)</em>", _report.Dom);
        }

        [Fact]
        public void Links_are_relative_to_the_run_folder_and_percent_encoded()
        {
            var hrefs = Regex.Matches(_report.Dom, "href=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToArray();
            Assert.Equal(new[] { "log.jsonl", "review/Review%20workbook.xlsx", "summary/XNAT-summary_20250106T101500Z.csv" }, hrefs);
            Assert.Contains("/etc/passwd <em>(outside the run folder)</em>", _report.Dom);
            Assert.Contains("../outside.csv <em>(outside the run folder)</em>", _report.Dom);
        }

        [Fact]
        public void The_file_needs_nothing_from_outside()
        {
            var html = _report.Html;
            Assert.DoesNotMatch(new Regex(@"\ssrc\s*=|<link|<script|@import|url\(", RegexOptions.IgnoreCase), html);
            // The only absolute URL is the SVG namespace name, which is never fetched.
            var urls = Regex.Matches(html, @"https?://[^\s""<]+").Select(m => m.Value).Distinct().ToArray();
            Assert.Equal(new[] { "http://www.w3.org/2000/svg" }, urls);
        }

        [Fact]
        public void An_empty_run_still_renders_every_section()
        {
            var html = RunReportWriter.Render(new RunReportModel { RunId = "empty", ExitCode = 1, Outcome = "Failed before the first step" });
            foreach (var text in new[] { "No step ran.", "No ingestion was measured in this run.", "nothing to review", "No warnings.", "No files recorded.", "1 (failed)" })
                Assert.Contains(text, html);
        }
    }
}
