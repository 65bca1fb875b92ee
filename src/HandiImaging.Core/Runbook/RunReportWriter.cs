using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Runbook
{
    /// <summary>
    /// Writes a run's report as one self-contained HTML file: inline CSS, the failure-rate chart as inline SVG,
    /// no scripts, fonts, images or other external resources, so it opens the same from a file share, an
    /// e-mail attachment or an archive years later. Every value from the model is HTML-encoded. Links point at
    /// files of the run folder by relative path, so the folder can be moved or copied whole.
    /// </summary>
    public static class RunReportWriter
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        /// <summary>Writes the report to <paramref name="path"/> atomically (no backup: each run has its own folder).</summary>
        public static void WriteFile(RunReportModel model, string path) =>
            AtomicFile.WriteText(path, writer => Write(model, writer), keepBackup: false);

        public static string Render(RunReportModel model)
        {
            using var writer = new StringWriter(Invariant) { NewLine = "\n" };
            Write(model, writer);
            return writer.ToString();
        }

        public static void Write(RunReportModel model, TextWriter writer)
        {
            if (model is null) throw new ArgumentNullException(nameof(model));
            var html = new StringBuilder(16 * 1024);
            var title = "HandiImaging run " + model.RunId;
            html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .Append("<title>").Append(E(title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");

            Heading(html, model, title);
            Steps(html, model.Steps);
            FailureRates(html, model.FailureRates);
            Review(html, model.Review);
            Warnings(html, model);
            Files(html, model.Files);

            html.Append("<footer>Written by HandiImaging at ").Append(E(Iso(model.Finished))).Append(".</footer>\n</body>\n</html>\n");
            writer.Write(html.ToString());
        }

        /// <summary>What an exit code means to whoever reads Task Scheduler's history.</summary>
        public static string ExitCodeMeaning(int exitCode) => exitCode switch
        {
            0 => "success",
            1 => "failed",
            2 => "completed with problems",
            3 => "another run holds the lock",
            _ => "unexpected exit code",
        };

        private static void Heading(StringBuilder html, RunReportModel model, string title)
        {
            var state = model.ExitCode switch { 0 => "ok", 2 => "warn", _ => "bad" };
            html.Append("<header class=\"").Append(state).Append("\">\n<h1>").Append(E(title)).Append("</h1>\n")
                .Append("<p class=\"outcome\">").Append(E(model.Outcome)).Append("</p>\n<dl class=\"facts\">\n");
            Fact(html, "Exit code", model.ExitCode.ToString(Invariant) + " (" + ExitCodeMeaning(model.ExitCode) + ")", "exit-code");
            Fact(html, "Started", Iso(model.Started), "started");
            Fact(html, "Finished", Iso(model.Finished), "finished");
            Fact(html, "Duration", DurationText(model.Finished - model.Started), "duration");
            var failed = model.Steps.Count(s => s.Status == RunStepStatus.Failed);
            Fact(html, "Steps", $"{model.Steps.Count} ({failed} failed)", "step-count");
            Fact(html, "Review items", model.Review.Count.ToString(Invariant), "review-count");
            html.Append("</dl>\n</header>\n");
        }

        private static void Fact(StringBuilder html, string name, string value, string id) =>
            html.Append("<div><dt>").Append(E(name)).Append("</dt><dd id=\"").Append(id).Append("\">").Append(E(value)).Append("</dd></div>\n");

        private static void Steps(StringBuilder html, IReadOnlyList<RunStepRecord> steps)
        {
            html.Append("<section id=\"steps\">\n<h2>Steps</h2>\n");
            if (steps.Count == 0) { html.Append("<p class=\"none\">No step ran.</p>\n</section>\n"); return; }
            html.Append("<table>\n<thead><tr><th>#</th><th>Step</th><th>Status</th><th class=\"num\">Duration</th><th>Numbers</th><th>Warnings</th></tr></thead>\n<tbody>\n");
            for (int i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                html.Append("<tr><td class=\"num\">").Append(i + 1).Append("</td><td>").Append(E(step.Name)).Append("</td><td><span class=\"status ")
                    .Append(step.Status.ToString().ToLowerInvariant()).Append("\">").Append(E(step.Status.ToString())).Append("</span></td><td class=\"num\">")
                    .Append(E(DurationText(step.Duration))).Append("</td><td>");
                if (step.Counts.Count > 0)
                {
                    html.Append("<dl class=\"counts\">");
                    foreach (var count in step.Counts)
                        html.Append("<div><dt>").Append(E(count.Key)).Append("</dt><dd>").Append(count.Value.ToString("N0", Invariant)).Append("</dd></div>");
                    html.Append("</dl>");
                }
                html.Append("</td><td>");
                if (step.Warnings.Count > 0)
                {
                    html.Append("<ul class=\"warnings\">");
                    foreach (var warning in step.Warnings) html.Append("<li>").Append(E(warning)).Append("</li>");
                    html.Append("</ul>");
                }
                html.Append("</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n</section>\n");
        }

        private static void FailureRates(StringBuilder html, IReadOnlyList<IngestFailureRate> rates)
        {
            html.Append("<section id=\"failure-rates\">\n<h2>Ingestion failure rates against the baseline</h2>\n");
            if (rates.Count == 0) { html.Append("<p class=\"none\">No ingestion was measured in this run.</p>\n</section>\n"); return; }
            html.Append(Chart(rates));
            html.Append("<table>\n<thead><tr><th>Group</th><th class=\"num\">Attempted</th><th class=\"num\">Failed</th><th class=\"num\">Rate</th><th class=\"num\">Baseline</th><th class=\"num\">p-value</th><th>Verdict</th></tr></thead>\n<tbody>\n");
            foreach (var rate in rates)
            {
                html.Append("<tr").Append(rate.Verdict == IngestFailureVerdict.High ? " class=\"high\"" : "").Append("><td>").Append(E(rate.Group))
                    .Append("</td><td class=\"num\">").Append(rate.Attempted.ToString("N0", Invariant))
                    .Append("</td><td class=\"num\">").Append(rate.Failed.ToString("N0", Invariant))
                    .Append("</td><td class=\"num\">").Append(E(Percent(rate.Rate)))
                    .Append("</td><td class=\"num\">").Append(E(Percent(rate.BaselineRate)))
                    .Append("</td><td class=\"num\">").Append(E(rate.PValue.ToString("G3", Invariant)))
                    .Append("</td><td>").Append(E(rate.Verdict.ToString())).Append("</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n<p class=\"note\">High: at least this many failures would happen with probability below ")
                .Append(E(rates[0].Alpha.ToString("G3", Invariant)))
                .Append(" if the group's baseline rate still held (one-sided exact binomial test) — look for a pipeline problem.</p>\n</section>\n");
        }

        /// <summary>Horizontal bars (this run's rate) with a marker at each group's baseline.</summary>
        private static string Chart(IReadOnlyList<IngestFailureRate> rates)
        {
            const int left = 80, barArea = 420, right = 190, rowHeight = 34, top = 12, axis = 26;
            int width = left + barArea + right, height = top + rates.Count * rowHeight + axis;
            var max = rates.Select(r => Math.Max(r.Rate, r.BaselineRate)).DefaultIfEmpty(0).Max();
            var step = max <= 0.1 ? 0.02 : max <= 0.25 ? 0.05 : max <= 0.5 ? 0.1 : 0.2;
            var scale = Math.Min(1, Math.Ceiling(max * 1.05 / step) * step);
            if (scale <= 0) scale = step;
            double X(double rate) => left + barArea * Math.Min(rate, scale) / scale;

            var svg = new StringBuilder();
            svg.Append("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"").Append(width).Append("\" height=\"").Append(height)
               .Append("\" viewBox=\"0 0 ").Append(width).Append(' ').Append(height).Append("\">\n")
               .Append("<title>Failure rate of each group this run (bars) against its baseline (black marks)</title>\n");
            for (double t = 0; t <= scale + 1e-9; t += step)
            {
                var x = N(X(t));
                svg.Append("<line x1=\"").Append(x).Append("\" y1=\"").Append(top - 4).Append("\" x2=\"").Append(x).Append("\" y2=\"").Append(height - axis)
                   .Append("\" stroke=\"#d0d4da\" stroke-width=\"1\"/>")
                   .Append("<text x=\"").Append(x).Append("\" y=\"").Append(height - 8).Append("\" text-anchor=\"middle\" class=\"tick\">")
                   .Append(E(Math.Round(t * 100).ToString(Invariant) + " %")).Append("</text>\n");
            }
            for (int i = 0; i < rates.Count; i++)
            {
                var rate = rates[i];
                var y = top + i * rowHeight;
                var high = rate.Verdict == IngestFailureVerdict.High;
                svg.Append("<g class=\"group").Append(high ? " high" : "").Append("\">")
                   .Append("<text x=\"").Append(left - 8).Append("\" y=\"").Append(y + 20).Append("\" text-anchor=\"end\" class=\"label\">").Append(E(rate.Group)).Append("</text>")
                   .Append("<rect x=\"").Append(left).Append("\" y=\"").Append(y + 6).Append("\" width=\"").Append(N(X(rate.Rate) - left)).Append("\" height=\"20\" fill=\"")
                   .Append(high ? "#c62828" : "#3b6ea8").Append("\"><title>").Append(E($"{rate.Group}: {Percent(rate.Rate)} ({rate.Failed}/{rate.Attempted})")).Append("</title></rect>")
                   .Append("<line x1=\"").Append(N(X(rate.BaselineRate))).Append("\" y1=\"").Append(y + 2).Append("\" x2=\"").Append(N(X(rate.BaselineRate))).Append("\" y2=\"").Append(y + 30)
                   .Append("\" stroke=\"#111\" stroke-width=\"3\"><title>").Append(E($"{rate.Group} baseline {Percent(rate.BaselineRate)}")).Append("</title></line>")
                   .Append("<text x=\"").Append(left + barArea + 10).Append("\" y=\"").Append(y + 20).Append("\" class=\"value\">")
                   .Append(E($"{Percent(rate.Rate)} vs {Percent(rate.BaselineRate)}{(high ? " HIGH" : "")}")).Append("</text></g>\n");
            }
            svg.Append("</svg>\n");
            return svg.ToString();
        }

        private static void Review(StringBuilder html, IReadOnlyList<RunReviewItem> review)
        {
            html.Append("<section id=\"review\">\n<h2>For a clinician to review</h2>\n");
            if (review.Count == 0) { html.Append("<p class=\"none\">No new study descriptions: nothing to review.</p>\n</section>\n"); return; }
            html.Append("<p>Study descriptions on neither the include nor the exclude list. Decide each in the review workbook; the next run applies the decisions.</p>\n")
                .Append("<table>\n<thead><tr><th>Description</th><th>Modality</th><th class=\"num\">Studies</th><th>Example</th></tr></thead>\n<tbody>\n");
            foreach (var item in review)
            {
                html.Append("<tr><td>").Append(item.Description.Length == 0 ? "<em>(blank)</em>" : E(item.Description)).Append("</td><td>").Append(E(item.Modality))
                    .Append("</td><td class=\"num\">").Append(item.StudyCount.ToString("N0", Invariant)).Append("</td><td>").Append(E(item.Example)).Append("</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n</section>\n");
        }

        private static void Warnings(StringBuilder html, RunReportModel model)
        {
            var all = model.Warnings.Select(w => ("", w)).Concat(model.Steps.SelectMany(s => s.Warnings.Select(w => (s.Name, w)))).ToList();
            html.Append("<section id=\"warnings\">\n<h2>Warnings (").Append(all.Count).Append(")</h2>\n");
            if (all.Count == 0) { html.Append("<p class=\"none\">No warnings.</p>\n</section>\n"); return; }
            html.Append("<ul class=\"warnings\">\n");
            foreach (var (step, warning) in all)
            {
                html.Append("<li>");
                if (step.Length > 0) html.Append("<span class=\"step\">").Append(E(step)).Append(":</span> ");
                html.Append(E(warning)).Append("</li>\n");
            }
            html.Append("</ul>\n</section>\n");
        }

        private static void Files(StringBuilder html, IReadOnlyList<string> files)
        {
            html.Append("<section id=\"files\">\n<h2>Files of this run</h2>\n");
            if (files.Count == 0) { html.Append("<p class=\"none\">No files recorded.</p>\n</section>\n"); return; }
            html.Append("<ul class=\"files\">\n");
            foreach (var file in files)
            {
                // A path outside the run folder would not survive the folder being moved: shown, not linked.
                if (TryRelativeHref(file, out var href))
                    html.Append("<li><a href=\"").Append(E(href)).Append("\">").Append(E(file.Replace('\\', '/'))).Append("</a></li>\n");
                else
                    html.Append("<li>").Append(E(file)).Append(" <em>(outside the run folder)</em></li>\n");
            }
            html.Append("</ul>\n</section>\n");
        }

        /// <summary>A run-folder-relative path as a relative URL: '/'-separated, each segment percent-encoded; false for a path that is absolute or climbs out of the run folder.</summary>
        public static bool TryRelativeHref(string? path, out string href)
        {
            href = "";
            var text = path ?? "";
            var segments = text.Replace('\\', '/').Split('/').Where(s => s.Length > 0 && s != ".").ToArray();
            if (segments.Length == 0 || text.StartsWith("/", StringComparison.Ordinal) || text.StartsWith("\\", StringComparison.Ordinal)
                || (text.Length > 1 && text[1] == ':') || segments.Any(s => s == ".."))
                return false;
            href = string.Join("/", segments.Select(Uri.EscapeDataString));
            return true;
        }

        private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

        private static string N(double value) => value.ToString("0.#", Invariant);

        private static string Percent(double rate) => (rate * 100).ToString("0.0", Invariant) + " %";

        private static string Iso(DateTimeOffset time) => time.ToString("yyyy-MM-dd HH:mm:ss zzz", Invariant);

        private static string DurationText(TimeSpan duration)
        {
            if (duration < TimeSpan.Zero) duration = TimeSpan.Zero;
            if (duration.TotalSeconds < 10) return duration.TotalSeconds.ToString("0.0", Invariant) + " s";
            if (duration.TotalHours < 1) return ((int)duration.TotalMinutes).ToString(Invariant) + " min " + duration.Seconds.ToString("00", Invariant) + " s";
            return ((int)duration.TotalHours).ToString(Invariant) + " h " + duration.Minutes.ToString("00", Invariant) + " min";
        }

        private const string Css = @"body{font-family:'Segoe UI',Arial,Helvetica,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1d232b;background:#fff}
header{border-left:8px solid #2e7d32;padding:8px 16px;background:#f3f7f3;margin-bottom:20px}
header.warn{border-color:#ef8f00;background:#fff8ec}header.bad{border-color:#c62828;background:#fdf1f1}
h1{font-size:24px;margin:4px 0}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #d0d4da;padding-bottom:4px}
.outcome{font-size:16px;font-weight:600;margin:4px 0 10px}
dl.facts{display:flex;flex-wrap:wrap;gap:6px 28px;margin:0}dl.facts dt{font-size:12px;color:#5a6470}dl.facts dd{margin:0;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{border-bottom:1px solid #e3e6ea;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num,th.num{text-align:right}tr.high td{background:#fdecec;font-weight:600}
dl.counts{margin:0;display:grid;grid-template-columns:auto auto;gap:0 12px}dl.counts div{display:contents}dl.counts dt{color:#5a6470}dl.counts dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
.status{padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}.status.completed{background:#2e7d32}.status.skipped{background:#7a8591}
.status.failed{background:#c62828}.status.whatif{background:#5c6bc0}
ul.warnings{margin:0;padding-left:18px}ul.warnings li{margin:2px 0}.step{font-weight:600}
svg.chart{display:block;margin:8px 0 12px}svg .label{font-size:13px;font-weight:600}svg .value{font-size:13px}svg .tick{font-size:11px;fill:#5a6470}
svg .high .value{fill:#c62828;font-weight:700}.note{font-size:12px;color:#5a6470}.none{color:#5a6470;font-style:italic}
footer{margin-top:32px;font-size:12px;color:#5a6470}
";
    }
}
