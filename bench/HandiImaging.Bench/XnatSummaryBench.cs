using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using CsvHelper;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Bench;

/// <summary>
/// Export-XnatSessionSummary's core against the XNAT double (a process on loopback) with a 25,000-session,
/// 120,000-scan project, beside the per-session approach of the old scripts (one /scans request per session).
/// Each approach runs in its own process, so the peak memory printed is the client's alone; both outputs must
/// be identical.
/// </summary>
public static class XnatSummaryBench
{
    private const string Project = "RT-HaND";
    private const string Password = "bench-pw";
    private const string SeedStep = "seed";
    private const string ExportStep = "export";
    private const string PerSessionStep = "per-session";

    public static IEnumerable<BenchCase> Cases => new[]
    {
        new BenchCase("xnat-summary", "Export-XnatSessionSummary of 25,000 sessions / 120,000 scans from the XNAT double, vs one /scans request per session",
            new[] { SeedStep, ExportStep, PerSessionStep, "compare" }, (step, work) => step switch
            {
                SeedStep => Seed(work, 25_000, 120_000),
                ExportStep => Export(work),
                PerSessionStep => PerSession(work),
                "compare" => Compare(work),
                _ => throw new ArgumentException($"unknown step {step}"),
            }),
    };

    private static readonly (string Type, double Share)[] Mix =
    {
        ("xnat:ctSessionData", 0.45), ("xnat:mrSessionData", 0.20), ("xnat:petSessionData", 0.08), ("xnat:crSessionData", 0.08),
        ("xnat:dxSessionData", 0.08), ("xnat:rfSessionData", 0.04), ("xnat:srSessionData", 0.04), ("xnat:xaSessionData", 0.03),
    };

    private static string Seed(string work, int sessions, int scans)
    {
        var random = new Random(25);
        var counts = new int[sessions];
        // Every 500th session has no scans; the others at least one, the rest spread at random.
        var given = 0;
        for (var i = 0; i < sessions; i++) if (i % 500 != 0) { counts[i] = 1; given++; }
        while (given < scans)
        {
            var i = random.Next(sessions);
            if (i % 500 == 0) continue;
            counts[i]++;
            given++;
        }
        var list = new List<object>(sessions);
        var typeIndex = 0;
        var cut = Mix[0].Share * sessions;
        for (var i = 0; i < sessions; i++)
        {
            while (i >= cut && typeIndex < Mix.Length - 1) cut += Mix[++typeIndex].Share * sessions;
            var subject = random.Next(10) == 0 ? "NN_H" + random.Next(100_000, 999_999) : (9_000_000_000L + random.Next(3_000) * 1_000L + 19).ToString(CultureInfo.InvariantCulture);
            list.Add(new
            {
                project = Project,
                label = "RAD" + (1_000_000 + i).ToString(CultureInfo.InvariantCulture),
                subjectLabel = subject,
                xsiType = Mix[typeIndex].Type,
                date = new DateTime(2012, 1, 1).AddDays(random.Next(4_700)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                uid = "1.2.826.0.1.3680043.9.74." + i.ToString(CultureInfo.InvariantCulture),
                scanner = random.Next(3) switch { 0 => "Avanto", 1 => "SOMATOM Force", _ => "Discovery, MR750" },
                modality = Mix[typeIndex].Type.Substring(5, 2).ToUpperInvariant(),
                accessionNumber = "RAD" + (1_000_000 + i).ToString(CultureInfo.InvariantCulture),
                insertUser = random.Next(5) == 0 ? "nmreports" : "admin",
                scans = Enumerable.Range(1, counts[i]).Select(n => new { id = n.ToString(CultureInfo.InvariantCulture), type = "SERIES " + n.ToString(CultureInfo.InvariantCulture) }).ToArray(),
            });
        }
        var seed = new
        {
            users = new[] { new { username = "admin", password = Password, roles = new[] { "Administrator", "Dqr" } } },
            projects = new[] { new { id = Project } },
            sessions = list,
        };
        var path = Path.Combine(work, "seed.json");
        File.WriteAllText(path, JsonSerializer.Serialize(seed));
        return $"{sessions:N0} sessions, {counts.Sum():N0} scans, {counts.Count(c => c == 0)} without scans; seed {new FileInfo(path).Length / 1e6:F1} MB";
    }

    private static string Export(string work)
    {
        using var server = DoubleProcess.Start(Path.Combine(work, "seed.json"));
        using var xnat = XnatConnection.OpenAsync(Options(server.BaseUri), CancellationToken.None).GetAwaiter().GetResult();
        // Time to each answer's headers (the server's own work before it starts sending), per call.
        var firstByte = new List<string>();
        xnat.Log = line => firstByte.Add(line);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var serverCpu = server.CpuTime();
        var watch = Stopwatch.StartNew();
        var steps = new List<(string Name, TimeSpan At)>();
        var result = new XnatSessionSummaryExporter(xnat).Export(Project, Path.Combine(work, "export"), CancellationToken.None,
            new InlineProgress(name => steps.Add((name, watch.Elapsed))));
        watch.Stop();
        steps.Add(("end", watch.Elapsed));
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        serverCpu = server.CpuTime() - serverCpu;
        var scanListing = steps[1].At - steps[0].At;
        var headers = string.Join(", ", firstByte.Select(l => l.Substring(l.LastIndexOf('(') + 1).TrimEnd(')')));
        return $"export {watch.Elapsed.TotalSeconds:F2} s ({scanListing.TotalSeconds:F2} s of it the 120,000-row scan listing; CPU: client {cpu.TotalSeconds:F1} s, double {serverCpu.TotalSeconds:F1} s), {result.Sessions:N0} sessions, "
            + $"{result.Requests} requests (+{xnat.RequestCount - result.Requests} login); time to headers per call: {headers}; double peak {server.PeakMegabytes():F0} MB";
    }

    /// <summary>What the old scripts did: list each type, then GET /data/experiments/{ID}/scans for every session.</summary>
    private static string PerSession(string work)
    {
        using var server = DoubleProcess.Start(Path.Combine(work, "seed.json"));
        using var xnat = XnatConnection.OpenAsync(Options(server.BaseUri), CancellationToken.None).GetAwaiter().GetResult();
        var before = xnat.RequestCount;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var serverCpu = server.CpuTime();
        var watch = Stopwatch.StartNew();
        var lister = new XnatSessionLister(xnat);
        var folder = Directory.CreateDirectory(Path.Combine(work, "per-session")).FullName;
        var sessions = 0;
        foreach (var type in XnatSessionType.Summary)
        {
            using var writer = new StreamWriter(Path.Combine(folder, type.FileName));
            using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
            foreach (var h in type.Header) csv.WriteField(h);
            csv.NextRecord();
            foreach (var s in lister.GetSessions(Project, new[] { type }, null, false, CancellationToken.None).ToList())
            {
                var scans = lister.ReadRows($"/data/experiments/{Uri.EscapeDataString(s.Id)}/scans?format=json", Array.Empty<string>(), CancellationToken.None).Count();
                csv.WriteField(s.Subject);
                csv.WriteField(XnatValues.FormatDate(s.Date));
                csv.WriteField(s.Id);
                csv.WriteField(type.Column4 switch { XnatSummaryColumn.Scanner => s.Scanner, XnatSummaryColumn.StudyInstanceUid => s.StudyInstanceUid, _ => s.Label });
                csv.WriteField(type.Column5 switch { XnatSummaryColumn.ScanCount => scans.ToString(CultureInfo.InvariantCulture), XnatSummaryColumn.Creator => s.Creator, _ => s.Label });
                csv.NextRecord();
                sessions++;
            }
        }
        watch.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        serverCpu = server.CpuTime() - serverCpu;
        return $"per-session {watch.Elapsed.TotalSeconds:F2} s (CPU: client {cpu.TotalSeconds:F1} s, double {serverCpu.TotalSeconds:F1} s), {sessions:N0} sessions, {xnat.RequestCount - before:N0} requests; double peak {server.PeakMegabytes():F0} MB";
    }

    private static string Compare(string work)
    {
        var differing = XnatSessionType.Summary.Where(t =>
            File.ReadAllText(Path.Combine(work, "export", t.FileName)) != File.ReadAllText(Path.Combine(work, "per-session", t.FileName))).Select(t => t.Name).ToList();
        return differing.Count == 0 ? "both approaches wrote identical files" : "FILES DIFFER: " + string.Join(", ", differing);
    }

    private sealed class InlineProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    private static XnatConnectionOptions Options(Uri uri) => new(uri, new NetworkCredential("admin", Password)) { Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>The double as its own process (so its memory is not the client's), stopped with its stdin.</summary>
    private sealed class DoubleProcess : IDisposable
    {
        private readonly Process _process;

        private DoubleProcess(Process process, Uri baseUri)
        {
            _process = process;
            BaseUri = baseUri;
        }

        public Uri BaseUri { get; }

        public static DoubleProcess Start(string seed)
        {
            var root = AppContext.BaseDirectory;
            while (root != null && !File.Exists(Path.Combine(root, "HandiPS.sln"))) root = Path.GetDirectoryName(root);
            var dll = Path.Combine(root ?? throw new InvalidOperationException("cannot find the repository root"), "tests/HandiImaging.XnatDouble/bin/Release/net10.0/HandiImaging.XnatDouble.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"The XNAT double is not built ({dll}); run build.ps1 Build.");
            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
            foreach (var a in new[] { dll, "--seed", seed, "--exit-on-stdin-close" }) info.ArgumentList.Add(a);
            var process = Process.Start(info)!;
            var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the XNAT double did not start");
            return new DoubleProcess(process, new Uri(line.Trim() + "/"));
        }

        public TimeSpan CpuTime()
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }

        public double PeakMegabytes()
        {
            var status = $"/proc/{_process.Id}/status";
            if (!File.Exists(status)) return double.NaN;
            var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line == null ? double.NaN : long.Parse(line.Substring(6).Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }

        public void Dispose()
        {
            try { _process.StandardInput.Close(); } catch (IOException) { }
            if (!_process.WaitForExit(10_000)) _process.Kill();
            _process.Dispose();
        }
    }
}
