// Failure parsing and ledger throughput on generated failure text of mixed shape.
// Usage: dotnet run -c Release --project bench/FailureParsing [-- <records>]   (default 200000)
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using HandiImaging.Core.Demo;
using HandiImaging.Core.Failures;

var count = 200_000;
foreach (var arg in args)
{
    // build.ps1 Bench passes its -BenchCase names to every benchmark; a number here is the record count.
    if (int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) count = n;
}

var dir = Path.Combine(Path.GetTempPath(), "handi-bench-failures-" + Guid.NewGuid().ToString("N").Substring(0, 8));
Directory.CreateDirectory(dir);
try
{
    var rng = new Random(20240401);
    var records = new List<DemoFailure>(count);
    var descriptions = new[] { "CT Neck", "MR Head and Neck, with contrast", "PET-CT, skull base to mid thigh, FDG", "XR OPG", "VF Swallow \"modified\"", "CT Chest, Abdomen, Pelvis" };
    var patients = Math.Max(1, count / 7);
    for (var i = 0; i < count; i++)
    {
        var hospital = "H" + (1000000 + rng.Next(patients)).ToString(CultureInfo.InvariantCulture);
        var date = rng.Next(40) == 0 ? "2099-01-01" : new DateTime(2005, 1, 1).AddDays(rng.Next(7000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        records.Add(new DemoFailure(hospital, (10000000 + i).ToString(CultureInfo.InvariantCulture), date, descriptions[rng.Next(descriptions.Length)],
            rng.Next(10) == 0 ? "" : "1.2.826.0.1.3680043.8.498." + i.ToString(CultureInfo.InvariantCulture)));
    }
    var textPath = Path.Combine(dir, "PACs-failures.txt");
    using (var writer = new StreamWriter(textPath)) DemoFailureText.Write(writer, records, 7);
    var mapPairs = Enumerable.Range(0, patients).Where(p => p % 10 != 0)
        .Select(p => new KeyValuePair<string, string>("H" + (1000000 + p).ToString(CultureInfo.InvariantCulture), p % 25 == 0 ? "" : (4000000000L + p).ToString(CultureInfo.InvariantCulture)));
    var map = HospitalIdMap.FromPairs(mapPairs);
    var bytes = new FileInfo(textPath).Length;
    Console.WriteLine($"failure text: {count:N0} records (mixed shapes, ~2.5% placeholders, ~14% repeats), {bytes / 1048576.0:F1} MB");

    // Parse: best of three (the machine is shared), counting every record read from the text.
    List<IngestFailure> parsed = new List<IngestFailure>();
    var best = TimeSpan.MaxValue;
    var bestRead = 0;
    for (var run = 0; run < 3; run++)
    {
        var sw = Stopwatch.StartNew();
        var reader = new IngestFailureReader(map);
        var output = new List<IngestFailure>(count);
        var errors = 0;
        foreach (var item in reader.ReadFile(textPath))
        {
            if (item.Record != null) output.Add(item.Record);
            else errors++;
        }
        sw.Stop();
        if (errors > 0) throw new InvalidOperationException($"{errors} unreadable records in generated text");
        var read = reader.Stats.Records + reader.Stats.PlaceholdersDropped + reader.Stats.DuplicatesCollapsed;
        Console.WriteLine($"  parse run {run + 1}: {sw.Elapsed.TotalSeconds:F2} s, {read / sw.Elapsed.TotalSeconds:N0} records/s ({read:N0} read, {reader.Stats.Records:N0} returned)");
        if (sw.Elapsed < best) { best = sw.Elapsed; bestRead = read; parsed = output; }
    }
    Console.WriteLine($"ConvertFrom-IngestFailure core: {bestRead / best.TotalSeconds:N0} records/s (best of 3; target 100,000)");

    var ledgerPath = Path.Combine(dir, "ledger.csv");
    var ledger = new IngestFailureLedger(ledgerPath);
    var t = Stopwatch.StartNew();
    var added = ledger.Add(parsed, new DateTime(2024, 1, 15));
    t.Stop();
    Console.WriteLine($"ledger add (new ledger): {added.Added:N0} rows in {t.Elapsed.TotalSeconds:F2} s, {parsed.Count / t.Elapsed.TotalSeconds:N0} records/s, {new FileInfo(ledgerPath).Length / 1048576.0:F1} MB");
    t.Restart();
    var updated = ledger.Add(parsed, new DateTime(2024, 4, 15));
    t.Stop();
    Console.WriteLine($"ledger add (all repeats): {updated.Updated:N0} rows updated in {t.Elapsed.TotalSeconds:F2} s, {parsed.Count / t.Elapsed.TotalSeconds:N0} records/s");
    var sessions = new XnatSessionIndex();
    using (var sr = new StringReader("Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans\n" + string.Concat(parsed.Where((_, i) => i % 3 == 0).Select(f => $"S,{f.StudyDate},{f.AccessionNumber},{f.StudyInstanceUid},1\n"))))
        sessions.Add(sr, "CT.csv");
    t.Restart();
    var resolved = ledger.Resolve(sessions, new DateTime(2024, 4, 16));
    t.Stop();
    Console.WriteLine($"ledger resolve: {resolved.Resolved:N0} of {resolved.Total:N0} rows resolved in {t.Elapsed.TotalSeconds:F2} s");
    Console.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB");
}
finally
{
    Directory.Delete(dir, true);
}
