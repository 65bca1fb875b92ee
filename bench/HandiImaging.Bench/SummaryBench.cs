using HandiImaging.Core.Demo;
using HandiImaging.Core.Summary;

namespace HandiImaging.Bench;

/// <summary>Merge-XnatSummary's core on generated quarters: generation and merge each in their own process.</summary>
public static class SummaryBench
{
    private const string GenerateStep = "generate";
    private const string MergeStep = "merge";
    private const string WarmStep = "warm";

    public static IEnumerable<BenchCase> Cases => new[]
    {
        Case("summary-a", 3_000, 22_000, "Merge-XnatSummary, 3,000 subjects / ~22,000 sessions (the real cohort)", warm: true),
        Case("summary-b", 30_000, 220_000, "Merge-XnatSummary, 30,000 subjects / ~220,000 sessions"),
        Case("summary-c", 30_000, 1_750_000, "Merge-XnatSummary, 30,000 subjects / ~1.75 million sessions"),
    };

    /// <summary>With <paramref name="warm"/>, a third step merges twice in one process and reports the second
    /// run, separating JIT start-up from the work itself (it matters only for small inputs).</summary>
    private static BenchCase Case(string name, int subjects, int sessions, string description, bool warm = false) =>
        new(name, description, warm ? new[] { GenerateStep, MergeStep, WarmStep } : new[] { GenerateStep, MergeStep }, (step, work) => step switch
        {
            GenerateStep => Generate(work, subjects, sessions),
            MergeStep => Merge(work),
            WarmStep => Merge(work, discardFirst: true),
            _ => throw new ArgumentException($"unknown step {step}"),
        });

    private static string Generate(string work, int subjects, int sessions)
    {
        var quarter = DemoQuarter.Generate(Path.Combine(work, "quarter"), new DemoQuarterOptions { Seed = 42, Subjects = subjects, Sessions = sessions });
        quarter.WriteFailureCsv(Path.Combine(work, "failures.csv"));
        return $"{quarter.SessionRows:N0} session rows, {quarter.Failures.Count:N0} failures";
    }

    private static string Merge(string work, bool discardFirst = false)
    {
        if (discardFirst) Merge(work);
        var quarter = Path.Combine(work, "quarter");
        var output = Path.Combine(work, "summary.csv");
        // Phase boundaries from the progress reports: reading ends at "Sorting", sorting at "Writing".
        var watch = System.Diagnostics.Stopwatch.StartNew();
        double sortingAt = 0, writingAt = 0;
        void Progress(SummaryProgress p)
        {
            if (sortingAt == 0 && p.Activity.StartsWith("Sorting", StringComparison.Ordinal)) sortingAt = watch.Elapsed.TotalSeconds;
            if (writingAt == 0 && p.Activity.StartsWith("Writing", StringComparison.Ordinal)) writingAt = watch.Elapsed.TotalSeconds;
        }
        var result = XnatSummaryMerger.Merge(new XnatSummaryRequest(quarter, Path.Combine(quarter, DemoQuarter.ReferenceDateFile), output)
        {
            FailurePath = Path.Combine(work, "failures.csv"),
        }, null, Progress);
        var total = watch.Elapsed.TotalSeconds;
        var slots = string.Join(" ", result.Sections.Select(s => $"{s.Name}={s.Slots}"));
        return $"{(discardFirst ? "2nd run " : "")}merge {total:F2} s = read {sortingAt:F2} s, sort {writingAt - sortingAt:F2} s, write {total - writingAt:F2} s; " +
               $"{result.SubjectCount:N0} subjects, {result.SessionCount:N0} sessions + {result.FailureCount:N0} failures, " +
               $"{result.ColumnCount:N0} columns ({(long)result.SubjectCount * result.ColumnCount / 1e6:F1} M cells), {new FileInfo(output).Length / 1048576.0:F0} MB out; slots {slots}";
    }
}
