using System.Diagnostics;
using System.Globalization;
using HandiImaging.Core.Pacs;
using HandiImaging.TestPeers;

namespace HandiImaging.Bench.PacsQuery;

/// <summary>
/// <c>dotnet run -c Release --project bench/PacsQuery [-- options]</c>: loads one cohort into dcmqrscp, then into
/// Orthanc, and on each peer times our client (4 workers and 1), the Find-PacsStudy cmdlet in a child pwsh, and a
/// findscu-per-patient loop. Prints figures only; stops every peer it started. See bench/README.md.
/// </summary>
public static class Program
{
    private const string CaseName = "pacs-query";
    private const string CallingAe = "HANDI";

    public static async Task<int> Main(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }
        if (options.NotSelected)
        {
            Console.WriteLine($"{CaseName}: not among the selected cases ({string.Join(", ", options.OtherCases)}); skipped");
            return 0;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Let the finally blocks stop the peers.
            e.Cancel = true;
            stop.Cancel();
        };
        try
        {
            await RunAsync(options, stop.Token);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled; peers stopped");
            return 130;
        }
    }

    private static async Task RunAsync(Options options, CancellationToken cancellationToken)
    {
        var repoRoot = RepoRoot();
        Console.WriteLine($"== {CaseName}: our client vs the Find-PacsStudy cmdlet vs one findscu per patient, on dcmqrscp and Orthanc");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}; {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");

        var clock = Stopwatch.StartNew();
        var cohort = Cohort.Generate(options.Patients);
        Console.WriteLine($"cohort: {cohort.Describe()} (generated in {clock.Elapsed.TotalSeconds:F1} s)");

        using var work = new TempDirectory("handi-pacsbench-");
        clock.Restart();
        var files = new CohortFiles(cohort, work.Sub("studies"));
        Console.WriteLine($"files: {files.Count} Part-10 files (one 8x8 Secondary Capture instance per study) written in {clock.Elapsed.TotalSeconds:F1} s");

        // A fixed random sample for the slow passes (1 worker, findscu), queried in cohort order like the full passes.
        var sample = options.Sample <= 0 || options.Sample >= cohort.PatientIds.Count
            ? cohort.PatientIds
            : cohort.PatientIds.ToArray().Shuffled(new Random(500)).Take(options.Sample).OrderBy(id => id, StringComparer.Ordinal).ToArray();
        var sampled = sample.Count < cohort.PatientIds.Count;
        var sampleNote = sampled ? $"a fixed random sample of {sample.Count} of {cohort.PatientIds.Count} patients (--sample)" : null;
        var cmdlet = new CmdletPath(repoRoot);
        var cmdletProblem = options.Cmdlet ? cmdlet.Problem() : "turned off with --no-cmdlet";

        var summaries = new List<string>();
        foreach (var peerName in options.Peers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Console.WriteLine();
            Console.WriteLine($"-- {peerName}");
            await using IBenchPeer peer = peerName == "dcmqrscp" ? await DcmqrscpAreas.StartAsync(files) : await OrthancBenchPeer.StartAsync(CallingAe);
            clock.Restart();
            var how = await peer.LoadAsync(files, cancellationToken);
            Console.WriteLine($"load: {files.Count} studies stored with storescu in {clock.Elapsed.TotalSeconds:F1} s ({files.Count / clock.Elapsed.TotalSeconds:F0} studies/s); {how}");
            var peerCpu = new PeerCpu(peer.Pid);
            // The called AE is per patient on dcmqrscp (its storage areas); the rest is the connection.
            var connection = new PacsConnection(peer.Host, peer.Port, "UNUSED", CallingAe) { TimeoutSeconds = 30 };

            // Warm-up (JIT, first associations, the peer's caches), not timed.
            var warmUp = await OurClient.RunAsync("warm-up", connection with { ThrottleLimit = 1 }, peer.CalledAeFor, cohort.PatientIds.Take(100).ToArray(), peerCpu, cancellationToken);
            Console.WriteLine($"warm-up: {warmUp.Queries} queries, not counted; load average {LoadAverage()}");

            var ours4 = await OurClient.RunAsync("ours, 4 workers", connection with { ThrottleLimit = 4 }, peer.CalledAeFor, cohort.PatientIds, peerCpu, cancellationToken);
            Print(ours4, cohort);
            var ours1 = await OurClient.RunAsync("ours, 1 worker", connection with { ThrottleLimit = 1 }, peer.CalledAeFor, sample, peerCpu, cancellationToken);
            Print(ours1, cohort, extra: sampleNote);

            RunResult? viaCmdlet = null;
            if (cmdletProblem is null)
            {
                viaCmdlet = await cmdlet.RunAsync("Find-PacsStudy (pwsh), ThrottleLimit 4", peer.Port, peer.CalledAeFor, CallingAe, 4, cohort.PatientIds, work.Path, peerCpu, cancellationToken);
                Print(viaCmdlet, cohort, cpuLabel: "pwsh CPU/query (pipeline only)");
            }
            else
            {
                Console.WriteLine($"Find-PacsStudy (pwsh): skipped: {cmdletProblem}");
            }

            var findscu = await FindscuLoop.RunAsync("findscu loop", peer.Port, peer.CalledAeFor, CallingAe, sample, work.Path, peerCpu, cancellationToken);
            Print(findscu, cohort, cpuLabel: "findscu CPU/query (children of the loop)",
                extra: sampled ? $"{sampleNote}; all {cohort.PatientIds.Count} would take ~{findscu.Elapsed.TotalSeconds * cohort.PatientIds.Count / sample.Count:F0} s (extrapolated)" : null);

            Console.WriteLine(Agreement(ours4, findscu, sample));
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"{peerName}: findscu loop {findscu.QueriesPerSecond:F1} q/s; ours 4 workers {ours4.QueriesPerSecond:F0} q/s = {ours4.QueriesPerSecond / findscu.QueriesPerSecond:F1}x, 1 worker {ours1.QueriesPerSecond:F0} q/s = {ours1.QueriesPerSecond / findscu.QueriesPerSecond:F1}x, ")
                + (viaCmdlet is null ? "cmdlet not run; " : string.Create(CultureInfo.InvariantCulture, $"Find-PacsStudy {viaCmdlet.QueriesPerSecond:F0} q/s = {viaCmdlet.QueriesPerSecond / findscu.QueriesPerSecond:F1}x; "))
                + string.Create(CultureInfo.InvariantCulture, $"client CPU/query {ours4.ClientCpuMsPerQuery:F2} ms (4 workers), {ours1.ClientCpuMsPerQuery:F2} ms (1 worker)")
                + (viaCmdlet is null ? "" : string.Create(CultureInfo.InvariantCulture, $", {viaCmdlet.ClientCpuMsPerQuery:F2} ms (pwsh)"))
                + string.Create(CultureInfo.InvariantCulture, $" vs findscu {findscu.ClientCpuMsPerQuery:F1} ms; peer CPU/query {ours4.PeerCpuMsPerQuery:F1} ms");
            Console.WriteLine(summary);
            summaries.Add(summary);
            Console.WriteLine($"stopping {peerName}; load average {LoadAverage()}");
        }

        Console.WriteLine();
        Console.WriteLine("== summary (targets from issue 3: >= 5x findscu's throughput; client CPU per query < 1 ms)");
        foreach (var s in summaries) Console.WriteLine(s);
    }

    private static void Print(RunResult r, Cohort cohort, string cpuLabel = "client CPU/query", string? extra = null)
    {
        var expected = r.StudiesPerPatient.Keys.Sum(id => cohort.StudiesPerPatient[id]);
        var wrong = r.StudiesPerPatient.Count(kv => cohort.StudiesPerPatient[kv.Key] != kv.Value);
        var missing = r.Queries - r.StudiesPerPatient.Count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{r.Name}: {r.Queries} queries in {r.Elapsed.TotalSeconds:F2} s = {r.QueriesPerSecond:F1} queries/s; {r.Studies} studies found (loaded for the patients answered: {expected}; patients with a wrong count: {wrong}, without an answer: {missing}); failed {r.Failed}; warnings {r.Warnings}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    {cpuLabel}: {(r.ClientCpuMsPerQuery is { } c ? c.ToString("F2", CultureInfo.InvariantCulture) + " ms" : "n/a")}; peer CPU/query: {(r.PeerCpuMsPerQuery is { } p ? p.ToString("F2", CultureInfo.InvariantCulture) + " ms" : "n/a")}"));
        if (extra != null) Console.WriteLine("    " + extra);
        if (r.Note != null) Console.WriteLine("    " + r.Note);
    }

    /// <summary>Our client's per-patient counts against findscu's, on the patients findscu was asked about.</summary>
    private static string Agreement(RunResult ours, RunResult findscu, IReadOnlyList<string> sample)
    {
        var disagree = sample.Where(id => ours.StudiesPerPatient.GetValueOrDefault(id, -1) != findscu.StudiesPerPatient.GetValueOrDefault(id, -2)).ToList();
        var ourTotal = sample.Sum(id => ours.StudiesPerPatient.GetValueOrDefault(id));
        return disagree.Count == 0
            ? $"sanity: our client and findscu agree on every one of the {sample.Count} patients findscu queried ({ourTotal} studies)"
            : $"sanity: our client and findscu DISAGREE on {disagree.Count} of {sample.Count} patients, e.g. {disagree[0]}: ours {ours.StudiesPerPatient.GetValueOrDefault(disagree[0], -1)}, findscu {findscu.StudiesPerPatient.GetValueOrDefault(disagree[0], -1)}";
    }

    /// <summary>The repository root: the nearest directory above this program holding HandiPS.sln.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HandiPS.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"cannot find the repository root (HandiPS.sln) above {AppContext.BaseDirectory}");
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static T[] Shuffled<T>(this T[] items, Random random)
    {
        random.Shuffle(items);
        return items;
    }

    private sealed record Options
    {
        public const string Usage =
            "options: [--patients N (2900)] [--sample N (500; 0 = every patient): patients for the 1-worker and findscu passes] [--peer dcmqrscp|orthanc ...] [--no-cmdlet] [case ...]";

        public int Patients { get; init; } = 2900;
        public int Sample { get; init; } = 500;
        public IReadOnlyList<string> Peers { get; init; } = new[] { "dcmqrscp", "orthanc" };
        public bool Cmdlet { get; init; } = true;
        /// <summary>Case names for other benchmark projects (build.ps1 Bench passes its -BenchCase to every project).</summary>
        public IReadOnlyList<string> OtherCases { get; init; } = Array.Empty<string>();
        public bool NotSelected { get; init; }

        public static Options Parse(string[] args)
        {
            var options = new Options();
            var peers = new List<string>();
            var cases = new List<string>();
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                int Number() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{args[i - 1]} needs a whole number");
                switch (args[i])
                {
                    case "--patients": options = options with { Patients = Math.Max(1, Number()) }; break;
                    case "--sample":
                    case "--findscu-sample": options = options with { Sample = Number() }; break;
                    case "--peer":
                        var peer = Next().ToLowerInvariant();
                        if (peer is not ("dcmqrscp" or "orthanc")) throw new ArgumentException($"unknown peer '{peer}'");
                        peers.Add(peer);
                        break;
                    case "--no-cmdlet": options = options with { Cmdlet = false }; break;
                    default:
                        if (args[i].StartsWith('-')) throw new ArgumentException($"unknown option '{args[i]}'");
                        cases.Add(args[i]);
                        break;
                }
            }
            if (peers.Count > 0) options = options with { Peers = peers };
            var mine = cases.Any(c => string.Equals(c, CaseName, StringComparison.OrdinalIgnoreCase) || string.Equals(c, "PacsQuery", StringComparison.OrdinalIgnoreCase));
            return options with { OtherCases = cases, NotSelected = cases.Count > 0 && !mine };
        }
    }
}
