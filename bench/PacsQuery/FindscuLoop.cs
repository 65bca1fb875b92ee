using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using HandiImaging.TestPeers;

namespace HandiImaging.Bench.PacsQuery;

/// <summary>
/// The baseline: one findscu process per patient, run one after another by a bash loop exactly as a script would,
/// with TCP_NODELAY=1 and the same return keys as Find-PacsStudy. bash's <c>times</c> gives the children's CPU.
/// </summary>
public static partial class FindscuLoop
{
    public static readonly string[] ReturnKeys =
    {
        "PatientName", "StudyDate", "StudyTime", "AccessionNumber", "StudyDescription", "StudyInstanceUID",
        "ModalitiesInStudy", "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances",
    };

    public static async Task<RunResult> RunAsync(string name, int port, Func<string, string> calledAeFor, string callingAe, IReadOnlyList<string> patientIds,
        string workDirectory, PeerCpu peerCpu, CancellationToken cancellationToken)
    {
        var findscu = PeerBinaries.Require("findscu");
        var ids = Path.Combine(workDirectory, "findscu-ids.txt");
        var output = Path.Combine(workDirectory, "findscu-out.txt");
        var script = Path.Combine(workDirectory, "findscu-loop.sh");
        await File.WriteAllLinesAsync(ids, patientIds.Select(id => id + " " + calledAeFor(id)), cancellationToken);
        var keys = string.Join(" ", ReturnKeys.Select(k => "-k " + k));
        await File.WriteAllTextAsync(script, string.Create(CultureInfo.InvariantCulture, $"""
            export TCP_NODELAY=1
            while read -r id ae; do
              echo "== $id"
              {findscu} -S +sr -aet {callingAe} -aec "$ae" -k QueryRetrieveLevel=STUDY -k "PatientID=$id" {keys} 127.0.0.1 {port} 2>&1
              echo "== exit $?"
            done < {ids} > {output}
            times

            """), cancellationToken);

        var info = new ProcessStartInfo("/bin/bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        var peerBefore = await peerCpu.ReadSettledAsync();
        var clock = Stopwatch.StartNew();
        using var bash = Process.Start(info)!;
        var stdout = bash.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = bash.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await bash.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            bash.Kill(entireProcessTree: true);
            throw;
        }
        clock.Stop();
        var peer = await peerCpu.ReadSettledAsync() - peerBefore;
        var times = await stdout;
        if (bash.ExitCode != 0) throw new InvalidOperationException($"the findscu loop failed ({bash.ExitCode}): {await stderr}");

        var (perPatient, failed, firstFailure) = Parse(await File.ReadAllLinesAsync(output, cancellationToken));
        return new RunResult(name, patientIds.Count, clock.Elapsed, perPatient.Values.Sum(), failed, 0, ChildrenCpu(times), peer, perPatient,
            firstFailure is null ? null : "first failure: " + firstFailure);
    }

    /// <summary>Counts the StudyInstanceUID lines of each patient's responses (+sr prints every response dataset).</summary>
    private static (Dictionary<string, int> PerPatient, int Failed, string? FirstFailure) Parse(string[] lines)
    {
        var perPatient = new Dictionary<string, int>(StringComparer.Ordinal);
        string? current = null;
        var failed = 0;
        string? firstFailure = null;
        var log = new StringBuilder();
        foreach (var line in lines)
        {
            if (line.StartsWith("== exit ", StringComparison.Ordinal))
            {
                if (line != "== exit 0" || log.ToString().Contains("E: ", StringComparison.Ordinal))
                {
                    failed++;
                    firstFailure ??= $"{current}: {line}: {log}";
                    perPatient.Remove(current!);
                }
                current = null;
                log.Clear();
            }
            else if (line.StartsWith("== ", StringComparison.Ordinal))
            {
                current = line[3..];
                perPatient[current] = 0;
            }
            else if (current != null)
            {
                if (line.Contains("(0020,000d)", StringComparison.Ordinal)) perPatient[current]++;
                if (line.StartsWith("E: ", StringComparison.Ordinal)) log.AppendLine(line);
            }
        }
        return (perPatient, failed, firstFailure);
    }

    /// <summary>bash's <c>times</c>: the shell's user and system time, then its children's (<c>0m1.234s 0m0.567s</c>).</summary>
    private static TimeSpan? ChildrenCpu(string times)
    {
        var lines = times.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length < 2) return null;
        var total = TimeSpan.Zero;
        foreach (var line in lines.Take(2))
        {
            foreach (Match m in TimesValue().Matches(line))
            {
                total += TimeSpan.FromMinutes(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                         + TimeSpan.FromSeconds(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            }
        }
        return total;
    }

    [GeneratedRegex(@"(\d+)m([\d.]+)s")]
    private static partial Regex TimesValue();
}
