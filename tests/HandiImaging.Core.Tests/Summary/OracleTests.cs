using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CsvHelper;
using HandiImaging.Core.Demo;
using HandiImaging.Core.Summary;

namespace HandiImaging.Core.Tests.Summary
{
    /// <summary>
    /// Generates random quarters and compares the merger, cell for cell, with a deliberately naïve reading of
    /// domain.md's "master summary" written here from the spec alone: everything in memory, LINQ, no sharing
    /// of code with the merger beyond CsvHelper for reading CSV.
    /// </summary>
    public sealed class OracleTests
    {
        [Theory]
        [InlineData(1, 60, 900)]
        [InlineData(2, 150, 2500)]
        [InlineData(3, 400, 3000)]
        [InlineData(4, 25, 40)]
        public void Merger_matches_a_naive_reference_implementation_on_a_random_quarter(int seed, int subjects, int sessions)
        {
            var root = Path.Combine(Path.GetTempPath(), "handi-oracle-" + Guid.NewGuid().ToString("N"));
            try
            {
                var quarter = DemoQuarter.Generate(root, new DemoQuarterOptions { Seed = seed, Subjects = subjects, Sessions = sessions });
                var failures = Path.Combine(root, "failures.csv");
                quarter.WriteFailureCsv(failures);
                var output = Path.Combine(root, "summary.csv");

                XnatSummaryMerger.Merge(new XnatSummaryRequest(root, quarter.ReferenceDatePath, output) { FailurePath = failures });

                var expected = Naive.Summary(root, quarter.ReferenceDatePath, failures);
                var actual = ReadAll(output);
                Assert.Equal(expected[0], actual[0]);
                Assert.Equal(expected.Count, actual.Count);
                Assert.True(expected.Count > subjects / 2);
                for (var r = 1; r < expected.Count; r++)
                    for (var c = 0; c < expected[0].Length; c++)
                        Assert.True(expected[r][c] == actual[r][c], $"row {r} ({expected[r][0]}), column '{expected[0][c]}': expected '{expected[r][c]}', got '{actual[r][c]}'");
            }
            finally
            {
                Directory.Delete(root, true);
            }
        }

        /// <summary>
        /// Small pools of subjects, dates and IDs so that ties, duplicates, placeholders, bad dates, blank values
        /// and ledger statuses all occur many times.
        /// </summary>
        [Theory]
        [InlineData(11)]
        [InlineData(12)]
        [InlineData(13)]
        public void Merger_matches_a_naive_reference_implementation_on_messy_rows(int seed)
        {
            var random = new Random(seed);
            string Pick(params string[] pool) => pool[random.Next(pool.Length)];
            string Csv(string value) => value.IndexOfAny(new[] { ',', '"', '\r', '\n' }) >= 0 || value.StartsWith(" ") ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
            var subjects = new[] { "S1", " S1 ", "s1", "0012", "NN_0012", "9434765919", "", "  ", "S,2", "Z" };
            var dates = new[] { "2020-01-01", "2020-01-02", "2020-01-02", "2099-01-01", "bad", "", "2020-02-30", "20200103", "2019-12-31" };
            var ids = new[] { "A", "B", "a", "10", "9", "", "A ", "0010" };
            var values = new[] { "", " ", "x,y", "q\"q", "7.0", "7", "007", "1.2.840.1" };
            using var folder = new SummaryFolder();
            foreach (var type in SummaryFolder.Headers.Keys)
                folder.Sessions(type, Enumerable.Range(0, random.Next(0, 40)).Select(_ =>
                    string.Join(",", Csv(Pick(subjects)), Pick(dates), Csv(Pick(ids)), Csv(Pick(values)), Csv(Pick(values)))).ToArray());
            folder.References(Enumerable.Range(0, 12).Select(_ => Csv(Pick(subjects)) + "," + Pick("01/02/2020", "2020-02-01", "13/13/2020", "", "3/4/2020", "02/01/2020")).ToArray());
            folder.Failures("Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,Status",
                Enumerable.Range(0, 40).Select(_ => string.Join(",", Csv(Pick(subjects)), Pick(dates), Csv(Pick(ids)), Csv(Pick(values)), Csv(Pick(values)), "H1", Pick("Open", "Resolved", "open", " Open ", "", "Other"))).ToArray());

            folder.Merge();

            var expected = Naive.Summary(folder.Root, folder.ReferencePath, folder.FailurePath);
            var actual = ReadAll(folder.OutputPath);
            Assert.Equal(expected[0], actual[0]);
            Assert.Equal(expected.Select(r => r[0]), actual.Select(r => r[0]));
            for (var r = 1; r < expected.Count; r++)
                Assert.True(expected[r].SequenceEqual(actual[r]), $"row {r} ({expected[r][0]}): expected [{string.Join("|", expected[r])}], got [{string.Join("|", actual[r])}]");
        }

        private static List<string[]> ReadAll(string path)
        {
            using var reader = new StreamReader(path);
            using var csv = new CsvParser(reader, CultureInfo.InvariantCulture);
            var rows = new List<string[]>();
            while (csv.Read()) rows.Add(csv.Record!);
            return rows;
        }

        /// <summary>The spec, read literally and computed the obvious way.</summary>
        private static class Naive
        {
            // The one date rule, spelt out as exact formats (day first, never month first).
            private static readonly string[] DateRule =
            {
                "yyyy-MM-dd", "yyyyMMdd", "dd/MM/yyyy", "d/M/yyyy", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
                "dd/MM/yyyy HH:mm", "dd/MM/yyyy HH:mm:ss", "d/M/yyyy H:mm", "d/M/yyyy H:mm:ss",
            };

            private sealed record Slot(DateTime? Date, string Id, string Uid, string Scans, int Order);

            public static List<string[]> Summary(string folder, string referencePath, string failurePath)
            {
                var subjects = new HashSet<string>();
                var reference = new Dictionary<string, string>();
                foreach (var row in ReadAll(referencePath).Skip(1))
                {
                    var subject = row[0].Trim();
                    if (subject == "") continue;
                    subjects.Add(subject);
                    if (reference.ContainsKey(subject)) continue;
                    reference[subject] = row.Length > 1 ? row[1] : "";
                }

                var sections = new List<(string Prefix, Dictionary<string, List<Slot>> Slots)>();
                foreach (var type in new[] { "CT", "MR", "PET", "CR", "DX", "RF", "SR", "XA" })
                    sections.Add((type, Read(Path.Combine(folder, type + ".csv"), DateRule, subjects)));
                sections.Add(("PACs-not-ingested", Read(failurePath, DateRule, subjects)));

                var header = new List<string> { "Subject", "Reference Date" };
                var widths = new List<int>();
                foreach (var (prefix, slots) in sections)
                {
                    var n = Math.Max(5, slots.Values.Select(l => l.Count).DefaultIfEmpty(0).Max());
                    widths.Add(n);
                    for (var i = 1; i <= n; i++)
                        header.AddRange(new[] { $"{prefix} Date {i}", $"{prefix} Difference from Reference Date {i}", $"{prefix} ID {i}", $"{prefix} UID {i}", $"{prefix} Scans {i}" });
                }

                var table = new List<string[]> { header.ToArray() };
                foreach (var subject in subjects.OrderBy(s => s, StringComparer.Ordinal))
                {
                    DateTime? referenceDate = null;
                    var hasReference = reference.TryGetValue(subject, out var text) && text.Trim() != "";
                    if (hasReference && DateTime.TryParseExact(text!.Trim(), DateRule,
                            CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)) referenceDate = parsed.Date;
                    var row = new List<string> { subject, !hasReference ? "not applicable" : referenceDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "null" };
                    for (var s = 0; s < sections.Count; s++)
                    {
                        var list = sections[s].Slots.TryGetValue(subject, out var l) ? l : new List<Slot>();
                        for (var i = 0; i < widths[s]; i++)
                        {
                            if (i >= list.Count)
                            {
                                row.AddRange(new[] { "null", "null", "null", "null", "null" });
                                continue;
                            }
                            var slot = list[i];
                            row.Add(slot.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "null");
                            row.Add(!hasReference ? "not applicable"
                                : slot.Date is null || referenceDate is null ? "null"
                                : ((int)(slot.Date.Value - referenceDate.Value).TotalDays).ToString(CultureInfo.InvariantCulture));
                            row.Add(slot.Id == "" ? "null" : slot.Id);
                            row.Add(slot.Uid == "" ? "null" : slot.Uid);
                            row.Add(slot.Scans == "" ? "null" : slot.Scans);
                        }
                    }
                    table.Add(row.ToArray());
                }
                return table;
            }

            private static Dictionary<string, List<Slot>> Read(string path, string[] formats, HashSet<string> subjects)
            {
                var bySubject = new Dictionary<string, List<Slot>>();
                var all = ReadAll(path);
                var status = all.Count == 0 ? -1 : Array.FindIndex(all[0], h => h.Trim().Equals("Status", StringComparison.OrdinalIgnoreCase));
                var rows = all.Skip(1).ToList();
                for (var r = 0; r < rows.Count; r++)
                {
                    var row = rows[r];
                    var subject = row[0].Trim();
                    if (subject == "") continue;
                    subjects.Add(subject);
                    if (status >= 0 && !row[status].Trim().Equals("Open", StringComparison.OrdinalIgnoreCase)) continue;
                    string Field(int i) => i < row.Length && row[i].Trim() != "" ? row[i] : "";
                    DateTime? date = DateTime.TryParseExact(Field(1).Trim(), formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
                    if (date == new DateTime(2099, 1, 1)) continue;
                    if (!bySubject.TryGetValue(subject, out var list)) bySubject[subject] = list = new List<Slot>();
                    var id = Field(2);
                    if (id != "" && list.Any(s => s.Id == id)) continue;
                    list.Add(new Slot(date, id, Field(3), Field(4), r));
                }
                return bySubject.ToDictionary(p => p.Key, p => p.Value
                    .OrderBy(s => s.Date is null)
                    .ThenBy(s => s.Date)
                    .ThenBy(s => s.Id, StringComparer.Ordinal)
                    .ThenBy(s => s.Order)
                    .ToList());
            }
        }
    }
}
