using System.Diagnostics;
using System.Globalization;

namespace HandiImaging.Bench;

/// <summary>
/// Benchmark runner: <c>dotnet run -c Release --project bench/HandiImaging.Bench -- [case ...]</c> (no case: all).
/// Each step of each case runs in a fresh process so its peak memory (VmHWM) is its own; the runner prints
/// the figures and never judges them.
/// </summary>
public static class Program
{
    private const string StepFlag = "--step";

    public static int Main(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length >= 3 && args[0] == StepFlag) return RunStep(args[1], args[2], args.Length > 3 ? args[3] : Path.GetTempPath());

        if (args.Contains("--list"))
        {
            foreach (var c in BenchCases.All) Console.WriteLine($"{c.Name,-12} {c.Description}");
            return 0;
        }
        // build.ps1 hands the same case list to every bench project, so names this runner lacks are skipped, not fatal.
        var unknown = args.Where(a => BenchCases.Find(a) is null).ToList();
        if (unknown.Count > 0)
            Console.WriteLine($"not cases of this runner (skipped): {string.Join(", ", unknown)}; its cases: {string.Join(", ", BenchCases.All.Select(c => c.Name))}");
        var cases = args.Length == 0 ? BenchCases.All : args.Select(BenchCases.Find).OfType<BenchCase>().ToList();
        var failed = 0;
        foreach (var benchCase in cases)
        {
            Console.WriteLine($"== {benchCase.Name}: {benchCase.Description}");
            var work = Directory.CreateTempSubdirectory("handi-bench-");
            try
            {
                foreach (var step in benchCase.Steps)
                {
                    if (RunChild(benchCase.Name, step, work.FullName) != 0) failed++;
                }
            }
            finally
            {
                work.Delete(recursive: true);
            }
        }
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Runs one step in a child process (this same program) and relays its output.</summary>
    private static int RunChild(string caseName, string step, string workDir)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path");
        var info = new ProcessStartInfo(self) { UseShellExecute = false };
        // Under `dotnet HandiImaging.Bench.dll` the process is the dotnet host: pass the assembly first.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var a in new[] { StepFlag, caseName, step, workDir }) info.ArgumentList.Add(a);
        using var child = Process.Start(info)!;
        child.WaitForExit();
        if (child.ExitCode != 0) Console.WriteLine($"   {caseName} {step}: exited with code {child.ExitCode}");
        return child.ExitCode;
    }

    private static int RunStep(string caseName, string step, string workDir)
    {
        var benchCase = BenchCases.Find(caseName);
        if (benchCase is null) return 2;
        var watch = Stopwatch.StartNew();
        var note = benchCase.Run(step, workDir);
        watch.Stop();
        Console.WriteLine($"   {caseName} {step,-9} {watch.Elapsed.TotalSeconds,7:F2} s   peak {PeakMegabytes(),6:F0} MB   {note}");
        return 0;
    }

    /// <summary>Peak resident memory of this process: VmHWM on Linux, the peak working set elsewhere.</summary>
    public static double PeakMegabytes()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (var line in File.ReadLines(status))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var kb = line.Substring(6).Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        return Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
    }
}

/// <summary>One benchmark: named steps, each run in its own process, sharing a temporary work folder.</summary>
public sealed record BenchCase(string Name, string Description, IReadOnlyList<string> Steps, Func<string, string, string> Run);

/// <summary>The registry. Add a case by adding a <see cref="BenchCase"/> to <see cref="All"/>.</summary>
public static class BenchCases
{
    public static readonly IReadOnlyList<BenchCase> All = new List<BenchCase>()
        .Concat(SummaryBench.Cases)
        .Concat(RunbookPartsBench.Cases)
        .Concat(XnatSummaryBench.Cases)
        .ToList();

    public static BenchCase? Find(string name) => All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
}
