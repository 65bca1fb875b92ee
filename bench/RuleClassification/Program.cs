// Rule classification and rules-workbook import figures (issue 4):
//   classify  1,000,000 studies against a 2,000-entry rule set   (target: over 1,000,000 studies/s)
//   import    Import-StudyRule's reader on a 2,000-row workbook   (target: under 0.5 s)
// Run: dotnet run -c Release --project bench/RuleClassification [-- classify|import ...]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using HandiImaging.Core.Demo;
using HandiImaging.Core.Pacs;
using HandiImaging.Core.Rules;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var known = new[] { "classify", "import" };
var cases = args.Length == 0 ? known : args.Where(a => known.Contains(a, StringComparer.OrdinalIgnoreCase)).Select(a => a.ToLowerInvariant()).ToArray();
if (cases.Length == 0)
{
    Console.WriteLine("rule-classification: no case of this benchmark selected (cases: classify, import)");
    return 0;
}

// 400 include + 1,600 exclude distinct descriptions, plus the real list's quirk rows.
var list = DemoRules.Create(includeCount: 400, excludeCount: 1600, seed: 7);
var rows = list.Include.Count + list.Exclude.Count;

if (cases.Contains("classify"))
{
    var rules = new StudyRuleSet(
        list.Include.Select((d, i) => new StudyRule { Description = d, Decision = StudyDecision.Include, Sheet = "INCLUDE", Line = i + 2 })
            .Concat(list.Exclude.Select((d, i) => new StudyRule { Description = d, Decision = StudyDecision.Exclude, Sheet = "EXCLUDE", Line = i + 2 })));
    const int count = 1_000_000;
    // Descriptions as PACS sends them: mostly clean, some with case or spacing differences, some unknown,
    // some empty, and a few placeholders dated 2099-01-01.
    var random = new Random(42);
    var pool = list.Include.Concat(list.Exclude).ToArray();
    var studies = new PacsStudy[count];
    var modalities = new[] { "CT" };
    for (var i = 0; i < count; i++)
    {
        var roll = random.Next(100);
        var description = roll < 70 ? StudyDescription.Normalize(pool[random.Next(pool.Length)])
            : roll < 80 ? pool[random.Next(pool.Length)].ToUpperInvariant()
            : roll < 85 ? "  " + pool[random.Next(pool.Length)].Replace(" ", "  ") + " "
            : roll < 98 ? list.Unknown[random.Next(list.Unknown.Count)]
            : "";
        var date = roll == 99 ? new DateTime(2099, 1, 1) : new DateTime(2020, 1, 1).AddDays(random.Next(1800));
        studies[i] = new PacsStudy { PatientId = "H" + (i % 3000).ToString(CultureInfo.InvariantCulture), StudyDate = date, StudyDescription = description,
            StudyInstanceUid = "1.2.826.0.1.3680043.9." + i.ToString(CultureInfo.InvariantCulture), AccessionNumber = "A" + i.ToString(CultureInfo.InvariantCulture), ModalitiesInStudy = modalities };
    }

    // Warm-up, then the best of three runs of each loop.
    var counts = new int[3];
    for (var i = 0; i < 100_000; i++) counts[(int)rules.Decide(studies[i].StudyDate, studies[i].StudyDescription, out _)]++;
    double best = double.MaxValue, bestAnnotated = double.MaxValue;
    for (var run = 0; run < 3; run++)
    {
        Array.Clear(counts, 0, counts.Length);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++) counts[(int)rules.Decide(studies[i].StudyDate, studies[i].StudyDescription, out _)]++;
        best = Math.Min(best, watch.Elapsed.TotalSeconds);

        // Streamed, as Select-RelevantStudy passes each annotated study on rather than holding them all.
        var included = 0;
        watch.Restart();
        for (var i = 0; i < count; i++) if (rules.Classify(studies[i]).Decision == StudyDecision.Include) included++;
        bestAnnotated = Math.Min(bestAnnotated, watch.Elapsed.TotalSeconds);
    }
    Console.WriteLine($"classify: {count:N0} studies against {rules.Count:N0} rules ({rules.IncludeCount:N0} include, {rules.ExcludeCount:N0} exclude)");
    Console.WriteLine($"classify: decide   {best * 1000:F0} ms = {count / best:N0} studies/s   (target > 1,000,000/s)");
    Console.WriteLine($"classify: annotate {bestAnnotated * 1000:F0} ms = {count / bestAnnotated:N0} studies/s (new PacsStudy with Decision, MatchedRule)");
    Console.WriteLine($"classify: {Environment.ProcessorCount} cores, load average {LoadAverage()}");
    Console.WriteLine($"classify: {counts[0]:N0} include, {counts[1]:N0} exclude, {counts[2]:N0} review");
}

if (cases.Contains("import"))
{
    var folder = Path.Combine(Path.GetTempPath(), "handi-bench-" + Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(folder);
    try
    {
        var path = Path.Combine(folder, "study-descriptions.xlsx");
        DemoRules.WriteWorkbook(path, list);
        // First call includes JIT and OpenXml's start-up, as the first Import-StudyRule of a session does.
        var watch = Stopwatch.StartNew();
        var first = StudyRuleFile.Read(path).RuleSet;
        var cold = watch.Elapsed.TotalMilliseconds;
        var warm = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            watch.Restart();
            StudyRuleFile.Read(path);
            warm.Add(watch.Elapsed.TotalMilliseconds);
        }
        warm.Sort();
        Console.WriteLine($"import: {rows:N0}-row workbook ({new FileInfo(path).Length / 1024:N0} KB; {first.IncludeCount:N0} include, {first.ExcludeCount:N0} exclude, {first.DuplicateCount:N0} repeats)");
        Console.WriteLine($"import: first call {cold:F0} ms, then median {warm[warm.Count / 2]:F1} ms   (target < 500 ms)");
    }
    finally
    {
        Directory.Delete(folder, true);
    }
}
return 0;

static string LoadAverage()
{
    try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
    catch (IOException) { return "n/a"; }
    catch (UnauthorizedAccessException) { return "n/a"; }
}
