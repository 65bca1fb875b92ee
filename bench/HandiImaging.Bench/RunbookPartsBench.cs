using System.Diagnostics;
using System.Text;
using HandiImaging.Core.Failures;
using HandiImaging.Core.Summary;

namespace HandiImaging.Bench;

/// <summary>The failure-rate p-value over quarter sizes up to a million studies, and publishing a large summary.</summary>
public static class RunbookPartsBench
{
    public static IEnumerable<BenchCase> Cases => new[]
    {
        new BenchCase("failure-rate", "Measure-IngestFailureRate's exact binomial p-value, n = 1,000 … 1,000,000",
            new[] { "pvalue" }, (_, _) => PValues()),
        new BenchCase("edw-publish", "Publish-EdwSummary of a 256 MB summary: first publication, then a repeat (AlreadyPublished)",
            new[] { "generate", "publish" }, (step, work) => step == "generate" ? GenerateSummary(work) : Publish(work)),
    };

    private static string PValues()
    {
        var lines = new StringBuilder();
        IngestFailureRateCalculator.UpperTailPValue(1000, 90, 0.074); // JIT
        foreach (var n in new long[] { 1_000, 20_000, 100_000, 1_000_000 })
        {
            const double p = 924.0 / 12523; // the CT baseline
            var mean = n * p;
            var sd = Math.Sqrt(n * p * (1 - p));
            foreach (var (label, k) in new[] { ("mean", (long)mean), ("+3sd", (long)(mean + 3 * sd)), ("+10sd", (long)(mean + 10 * sd)), ("-3sd", (long)(mean - 3 * sd)) })
            {
                const int calls = 200;
                double value = 0;
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < calls; i++) value = IngestFailureRateCalculator.UpperTailPValue(n, k, p);
                var micro = watch.Elapsed.TotalMilliseconds * 1000 / calls;
                lines.Append($"\n      n={n,9:N0} k={k,7:N0} ({label,5}): p={value,-10:G4} {micro,9:F1} µs/call");
            }
        }
        return "p-value per call:" + lines;
    }

    private static string GenerateSummary(string work)
    {
        var path = Path.Combine(work, "run", "XNAT-summary.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(5);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        writer.Write("Subject,Reference Date");
        for (int slot = 1; slot <= 40; slot++) writer.Write($",CT Date {slot},CT Difference from Reference Date {slot},CT ID {slot},CT UID {slot},CT Scans {slot}");
        writer.Write("\r\n");
        long written = 0;
        while (written < 256L << 20)
        {
            var line = $"{random.Next(400000000, 999999999)}{random.Next(0, 9)},2021-0{random.Next(1, 9)}-1{random.Next(0, 9)}" +
                       string.Concat(Enumerable.Range(0, 40).Select(i => i < 12 ? $",2022-03-1{i % 10},{random.Next(-900, 900)},XNAT_E{random.Next(100000, 999999)},1.2.826.0.1.3680043.8.498.{random.NextInt64()},{random.Next(1, 40)}" : ",null,null,null,null,null")) + "\r\n";
            writer.Write(line);
            written += line.Length;
        }
        return $"{new FileInfo(path).Length / 1048576.0:F0} MB summary";
    }

    private static string Publish(string work)
    {
        var source = Path.Combine(work, "run", "XNAT-summary.csv");
        var publisher = new EdwPublisher(Path.Combine(work, "drop")) { LockDirectory = Path.Combine(work, "locks") };
        var watch = Stopwatch.StartNew();
        var first = publisher.Publish(source);
        var firstSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        var again = publisher.Publish(source);
        var againSeconds = watch.Elapsed.TotalSeconds;
        var mb = first.Length / 1048576.0;
        return $"{first.Status} {mb:F0} MB in {firstSeconds:F2} s ({mb / firstSeconds:F0} MB/s, copy + SHA-256 + flush + rename); " +
               $"repeat {again.Status} in {againSeconds:F2} s (two SHA-256 passes to compare)";
    }
}
