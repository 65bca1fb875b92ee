<#
    The XNAT test double (tests/HandiImaging.XnatDouble) as a process, for the Pester suites and the demo.
    Start-XnatDouble starts it on 127.0.0.1 and a free port with a seed (hashtable or JSON file) and returns an
    object with BaseUri; Invoke-XnatDoubleControl drives its control API (/__double/...); Stop-XnatDouble ends it.
    Needs the double built (build.ps1 Build builds it with the solution). See tests/HandiImaging.XnatDouble/README.md.
#>
Set-StrictMode -Version 3.0

function Get-XnatDoublePath {
    <# The double's DLL under the repository (Release build). #>
    $root = Split-Path -Parent $PSScriptRoot
    $dll = Join-Path $root 'tests/HandiImaging.XnatDouble/bin/Release/net10.0/HandiImaging.XnatDouble.dll'
    if (-not (Test-Path -LiteralPath $dll)) {
        throw "The XNAT double is not built ($dll). Run: dotnet pwsh -NoProfile -File ./build.ps1 Build"
    }
    $dll
}

function Start-XnatDouble {
    <#
    .SYNOPSIS
        Starts the XNAT double as a process and waits for its base URL.
    .PARAMETER Seed
        A hashtable (converted to JSON) or the path of a JSON seed file: options, users, projects, sessions, pacs, receivers.
    .PARAMETER TimeoutSec
        How long to wait for the double to print its URL.
    .OUTPUTS
        An object with BaseUri (no trailing slash), Process and SeedPath; stop it with Stop-XnatDouble.
    #>
    param(
        [object] $Seed,
        [int] $TimeoutSec = 60
    )
    $dll = Get-XnatDoublePath
    $seedPath = $null
    $ownSeed = $false
    if ($Seed -is [string]) {
        $seedPath = (Resolve-Path -LiteralPath $Seed).ProviderPath
    } elseif ($null -ne $Seed) {
        $seedPath = Join-Path ([IO.Path]::GetTempPath()) ("xnat-double-seed-" + [guid]::NewGuid().ToString('N') + '.json')
        [IO.File]::WriteAllText($seedPath, ($Seed | ConvertTo-Json -Depth 20), [Text.UTF8Encoding]::new($false))
        $ownSeed = $true
    }
    $info = [Diagnostics.ProcessStartInfo]::new('dotnet')
    $info.ArgumentList.Add($dll)
    if ($seedPath) { $info.ArgumentList.Add('--seed'); $info.ArgumentList.Add($seedPath) }
    # The double stops when our end of its stdin closes, so a test run that dies leaves no server behind.
    $info.ArgumentList.Add('--exit-on-stdin-close')
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [Diagnostics.Process]::Start($info)
    $errors = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait([TimeSpan]::FromSeconds($TimeoutSec)) -or [string]::IsNullOrEmpty($line.Result)) {
        if (-not $process.HasExited) { $process.Kill() }
        $process.WaitForExit(5000) | Out-Null
        $detail = if ($errors.Wait(2000)) { $errors.Result } else { '' }
        if ($ownSeed) { Remove-Item -LiteralPath $seedPath -ErrorAction SilentlyContinue }
        throw "The XNAT double did not start within $TimeoutSec s. $detail"
    }
    [pscustomobject]@{
        PSTypeName = 'HandiImaging.XnatDouble'
        BaseUri    = $line.Result.Trim()
        Process    = $process
        SeedPath   = $(if ($ownSeed) { $seedPath } else { $null })
    }
}

function Stop-XnatDouble {
    <# .SYNOPSIS Stops a double started by Start-XnatDouble (closes its stdin, kills it if it lingers). #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Double)
    process {
        $p = $Double.Process
        if (-not $p.HasExited) {
            try { $p.StandardInput.Close() } catch { }
            if (-not $p.WaitForExit(5000)) { $p.Kill(); $p.WaitForExit(5000) | Out-Null }
        }
        $p.Dispose()
        if ($Double.SeedPath) { Remove-Item -LiteralPath $Double.SeedPath -ErrorAction SilentlyContinue }
    }
}

function Invoke-XnatDoubleControl {
    <#
    .SYNOPSIS
        Calls the double's control API, e.g. Invoke-XnatDoubleControl $x POST dqr/run, or
        Invoke-XnatDoubleControl $x POST faults @{ pathPattern = '^/data/projects/.*/experiments$'; status = 500; times = 2 }.
    .PARAMETER Path
        Relative to /__double/ (seed, state, faults, dqr/faults, dqr/step, dqr/run, dqr, clock/advance?seconds=N,
        requests, sessions, tokens, experiments?project=P, prearchive).
    #>
    param(
        [Parameter(Mandatory, Position = 0)] $Double,
        [Parameter(Mandatory, Position = 1)] [ValidateSet('GET', 'POST', 'PUT', 'DELETE')] [string] $Method,
        [Parameter(Mandatory, Position = 2)] [string] $Path,
        [Parameter(Position = 3)] [object] $Body
    )
    $uri = "$($Double.BaseUri)/__double/$($Path.TrimStart('/'))"
    $arguments = @{ Uri = $uri; Method = $Method; ContentType = 'application/json' }
    if ($null -ne $Body) { $arguments.Body = $(if ($Body -is [string]) { $Body } else { $Body | ConvertTo-Json -Depth 20 }) }
    Invoke-RestMethod @arguments
}

function Step-XnatDoubleDqr {
    <# .SYNOPSIS Moves the double's DQR requests one stage (-UntilIdle: until every request is final, moving its clock past retry waits). #>
    param([Parameter(Mandatory)] $Double, [switch] $UntilIdle)
    Invoke-XnatDoubleControl $Double POST $(if ($UntilIdle) { 'dqr/run' } else { 'dqr/step' })
}

function Get-XnatDoubleRequestCount {
    <# .SYNOPSIS Requests the double has answered, by endpoint ('GET /data/projects/{project}/experiments' …); one endpoint's count with -Endpoint. #>
    param([Parameter(Mandatory)] $Double, [string] $Endpoint)
    $r = Invoke-XnatDoubleControl $Double GET requests
    if ($Endpoint) {
        $p = $r.counts.PSObject.Properties[$Endpoint]
        if ($p) { [int]$p.Value } else { 0 }
    } else {
        $r.counts
    }
}

Export-ModuleMember -Function Start-XnatDouble, Stop-XnatDouble, Invoke-XnatDoubleControl, Step-XnatDoubleDqr, Get-XnatDoubleRequestCount
