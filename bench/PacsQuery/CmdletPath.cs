using System.Diagnostics;
using System.Globalization;

namespace HandiImaging.Bench.PacsQuery;

/// <summary>
/// The real cmdlet path: a child <c>dotnet pwsh -NoProfile -NonInteractive -Command</c> that imports the built module
/// (HandiImaging.psd1 at the repository root, module/bin from <c>build.ps1 Build</c>) and pipes the patient IDs into
/// Find-PacsStudy. The child's wall time minus that of a child that only starts pwsh and imports the
/// module (median of three) is printed as a cross-check; the reported elapsed and CPU are the child's own
/// stopwatch and process CPU time around the pipeline (start-up on a loaded machine varies by a second or more).
/// </summary>
public sealed class CmdletPath
{
    private readonly string _repoRoot;

    public CmdletPath(string repoRoot) => _repoRoot = repoRoot;

    public string Manifest => Path.Combine(_repoRoot, "HandiImaging.psd1");
    public string ModuleAssembly => Path.Combine(_repoRoot, "module", "bin", "HandiImaging.dll");

    /// <summary>Why the path cannot run, or null.</summary>
    public string? Problem()
    {
        if (!File.Exists(ModuleAssembly))
            return $"the module is not built ({ModuleAssembly} is missing): run `dotnet pwsh -NoProfile -File ./build.ps1 Build` at the repository root first";
        var newestSource = Directory.EnumerateFiles(Path.Combine(_repoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Max(File.GetLastWriteTimeUtc);
        return File.GetLastWriteTimeUtc(ModuleAssembly) < newestSource
            ? $"the built module is older than src/ ({ModuleAssembly}): rebuild with `dotnet pwsh -NoProfile -File ./build.ps1 Build`"
            : null;
    }

    /// <summary>Wall time of a child that starts pwsh, imports the module and makes a connection (median of three).</summary>
    public async Task<TimeSpan> StartupAsync(CancellationToken cancellationToken)
    {
        var script = $"$ErrorActionPreference = 'Stop'; Import-Module '{Manifest}'; $null = New-PacsConnection -HostName 127.0.0.1 -Port 104 -CalledAeTitle X -CallingAeTitle HANDI";
        var times = new List<TimeSpan>();
        for (var i = 0; i < 3; i++) times.Add((await RunPwshAsync(script, cancellationToken)).Elapsed);
        return times.OrderBy(t => t).ElementAt(1);
    }

    /// <summary>
    /// Pipes the patients into Find-PacsStudy, one invocation per called AE title in the order the patients come
    /// (one invocation in all on a PACS with one AE title). Elapsed is the child's own stopwatch around the
    /// pipeline; the child's wall time minus a start-up-only child is printed beside it as a cross-check.
    /// </summary>
    public async Task<RunResult> RunAsync(string name, int port, Func<string, string> calledAeFor, string callingAe, int throttleLimit,
        IReadOnlyList<string> patientIds, string workDirectory, PeerCpu peerCpu, CancellationToken cancellationToken)
    {
        var startup = await StartupAsync(cancellationToken);
        var ids = Path.Combine(workDirectory, "cmdlet-ids.txt");
        await File.WriteAllLinesAsync(ids, patientIds.Select(id => id + " " + calledAeFor(id)), cancellationToken);
        var script = string.Create(CultureInfo.InvariantCulture, $$"""
            $ErrorActionPreference = 'Stop'
            Import-Module '{{Manifest}}'
            $groups = [ordered]@{}
            foreach ($line in [IO.File]::ReadAllLines('{{ids}}')) {
                $id, $ae = $line.Split(' ')
                if (-not $groups.Contains($ae)) {
                    $groups[$ae] = [pscustomobject]@{
                        Connection = New-PacsConnection -HostName 127.0.0.1 -Port {{port}} -CalledAeTitle $ae -CallingAeTitle {{callingAe}} -ThrottleLimit {{throttleLimit}}
                        Ids = [Collections.Generic.List[string]]::new() }
                }
                $groups[$ae].Ids.Add($id)
            }
            $me = [Diagnostics.Process]::GetCurrentProcess()
            $cpu = $me.TotalProcessorTime
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $studies = foreach ($g in $groups.Values) { $g.Ids | Find-PacsStudy -Connection $g.Connection -ErrorVariable +failed -ErrorAction SilentlyContinue }
            $clock.Stop()
            $me.Refresh()
            $cpu = $me.TotalProcessorTime - $cpu
            $perPatient = @{}
            foreach ($s in $studies) { $perPatient[$s.PatientId] = 1 + [int]$perPatient[$s.PatientId] }
            'inner_ms={0:F0}' -f $clock.Elapsed.TotalMilliseconds
            'cpu_ms={0:F0}' -f $cpu.TotalMilliseconds
            'invocations={0}' -f $groups.Count
            'failed={0}' -f @($failed).Count
            if ($failed) { 'first_failure={0}' -f $failed[0] }
            foreach ($k in $perPatient.Keys) { 'patient={0}={1}' -f $k, $perPatient[$k] }
            """);
        var peerBefore = await peerCpu.ReadSettledAsync();
        var (wall, lines) = await RunPwshAsync(script, cancellationToken);
        var peer = await peerCpu.ReadSettledAsync() - peerBefore;

        string Value(string key) => lines.FirstOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..]
                                    ?? throw new InvalidOperationException($"the pwsh child printed no {key}:\n{string.Join('\n', lines)}");
        var perPatient = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines.Where(l => l.StartsWith("patient=", StringComparison.Ordinal)))
        {
            var parts = line.Split('=');
            perPatient[parts[1]] = int.Parse(parts[2], CultureInfo.InvariantCulture);
        }
        var inner = TimeSpan.FromMilliseconds(double.Parse(Value("inner_ms"), CultureInfo.InvariantCulture));
        var firstFailure = lines.FirstOrDefault(l => l.StartsWith("first_failure=", StringComparison.Ordinal));
        return new RunResult(name, patientIds.Count, inner, perPatient.Values.Sum(), int.Parse(Value("failed"), CultureInfo.InvariantCulture), 0,
            TimeSpan.FromMilliseconds(double.Parse(Value("cpu_ms"), CultureInfo.InvariantCulture)), peer, perPatient,
            string.Create(CultureInfo.InvariantCulture,
                $"{Value("invocations")} Find-PacsStudy invocation(s); cross-check: child wall {wall.TotalSeconds:F2} s - start-up child (pwsh, Import-Module, New-PacsConnection; median of 3) {startup.TotalSeconds:F2} s = {(wall - startup).TotalSeconds:F2} s")
            + (firstFailure is null ? "" : "; " + firstFailure));
    }

    private async Task<(TimeSpan Elapsed, string[] Lines)> RunPwshAsync(string script, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // `dotnet pwsh` is a local tool: it resolves from the repository's tool manifest.
            WorkingDirectory = _repoRoot,
        };
        foreach (var a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-Command", script }) info.ArgumentList.Add(a);
        info.Environment["NO_COLOR"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        var clock = Stopwatch.StartNew();
        using var pwsh = Process.Start(info)!;
        var stdout = pwsh.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = pwsh.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await pwsh.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            pwsh.Kill(entireProcessTree: true);
            throw;
        }
        clock.Stop();
        var output = await stdout;
        if (pwsh.ExitCode != 0) throw new InvalidOperationException($"pwsh exited with {pwsh.ExitCode}:\n{output}\n{await stderr}");
        return (clock.Elapsed, output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
