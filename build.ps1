<#
.SYNOPSIS
    Builds, tests, benchmarks and demonstrates the HandiImaging module.
.DESCRIPTION
    Run from the repository root as `dotnet pwsh -NoProfile -File ./build.ps1 <Task>` after `dotnet tool restore`.
    Tasks:
      Build  compiles the solution and lays out the module under module/bin (own assemblies beside the cmdlet
             assembly, third-party ones in module/bin/dependencies), then generates the MAML help.
      Test   Build, installs the DICOM peers if missing (Debian, as root), runs every xUnit project and every
             Pester suite, and prints `N passed, N failed`. Exits non-zero on any failure or on no tests.
      Demo   Build, generates the built-in demo quarter and runs the procedure on it.
      Bench  Build, runs the benchmarks under bench/ and prints their figures.
      Package  Build, then lays out the installable module out/HandiImaging/<version>/ (its own manifest, bin/,
             bin/dependencies/, formats/, en-US/) and packs out/HandiImaging.<version>.nupkg for Install-PSResource
             / Install-Module from a folder or an internal feed (build/New-ModulePackage.ps1).
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package')]
    [string] $Task = 'Build',

    # Where the demo writes its quarter and outputs.
    [string] $DemoPath = (Join-Path $PSScriptRoot 'demo-output'),

    # Benchmark cases to run (see bench/README.md); all when empty.
    [string[]] $BenchCase = @(),

    # Test: run only these Pester files (and skip xUnit) — for working on one suite.
    [string[]] $PesterPath = @(),

    # Test: run only these xUnit projects (and skip Pester).
    [string[]] $XunitProject = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$env:NO_COLOR = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }

# `-File` hands `a,b` over as one string: accept comma-separated lists.
$PesterPath = @($PesterPath -split ',' | Where-Object { $_ })
$XunitProject = @($XunitProject -split ',' | Where-Object { $_ })
$BenchCase = @($BenchCase -split ',' | Where-Object { $_ })

$Root = $PSScriptRoot
$ModuleBin = Join-Path $Root 'module/bin'
$Configuration = 'Release'

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
    Write-Host '== build'
    Invoke-Native dotnet @('build', (Join-Path $Root 'HandiPS.sln'), '-c', $Configuration, '-nologo', '-clp:ErrorsOnly;Summary', '-v', 'q')

    $out = Join-Path $Root "src/HandiImaging/bin/$Configuration/netstandard2.0"
    if (Test-Path $ModuleBin) { Remove-Item $ModuleBin -Recurse -Force }
    $deps = New-Item -ItemType Directory -Path (Join-Path $ModuleBin 'dependencies') -Force
    foreach ($dll in Get-ChildItem $out -Filter *.dll) {
        if ($dll.Name -eq 'System.Management.Automation.dll') { continue }
        $target = if ($dll.Name -like 'HandiImaging*') { $ModuleBin } else { $deps.FullName }
        Copy-Item $dll.FullName $target
    }
    # PowerShell looks for help only under the manifest's own folder (the repository root), so the
    # generated MAML and the about_ topics go to ./en-US, which is build output like module/bin.
    $helpDir = Join-Path $Root 'en-US'
    if (Test-Path $helpDir) { Remove-Item $helpDir -Recurse -Force }
    New-Item -ItemType Directory -Path $helpDir | Out-Null
    Copy-Item (Join-Path $Root 'module/en-US/*') $helpDir
    & (Join-Path $Root 'build/New-MamlHelp.ps1') -AssemblyPath (Join-Path $ModuleBin 'HandiImaging.dll') `
        -DocumentationPath (Join-Path $out 'HandiImaging.xml') -OutputPath (Join-Path $helpDir 'HandiImaging.dll-Help.xml')
    if ($LASTEXITCODE -ne 0) { throw 'help generation failed' }
    Write-Host "module laid out in $ModuleBin"
}

function Install-DicomPeer {
    # The PACS in tests is a real DICOM server: dcmtk's dcmqrscp (plus storescu, storescp, dump2dcm) and Orthanc.
    # The run report is rendered in headless Chromium by its tests (Debian's chromium package).
    # -Optional (the demo): install when we can, otherwise carry on without them.
    param([switch] $Optional)
    $missing = @('dcmqrscp', 'storescu', 'storescp', 'dump2dcm', 'echoscu', 'findscu') | Where-Object { -not (Get-Command $_ -ErrorAction SilentlyContinue) }
    if (-not (Test-Path '/usr/sbin/Orthanc')) { $missing += 'Orthanc' }
    if (-not $Optional -and -not (Get-Command chromium -ErrorAction SilentlyContinue)) { $missing += 'chromium' }
    if (-not $missing) { return }
    $isRoot = $IsLinux -and ((& id -u) -eq '0')
    if ($isRoot -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Host "== installing DICOM peers (missing: $($missing -join ', '))"
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get @('update', '-qq')
        $packages = @('dcmtk', 'orthanc') + @($missing | Where-Object { $_ -eq 'chromium' })
        Invoke-Native apt-get (@('install', '-y', '-qq') + $packages)
        return
    }
    if ($Optional) { Write-Warning "DICOM peers not installed ($($missing -join ', ')): the demo skips its PACS steps."; return }
    throw "The tests need real DICOM peers and Chromium, and these are not installed ($($missing -join ', ')). On Debian: sudo apt-get install -y dcmtk orthanc chromium"
}

function Get-PesterManifest {
    Invoke-Native dotnet @('restore', (Join-Path $Root 'build/Tools.csproj'), '-v', 'q', '-nologo')
    $manifest = Join-Path $Root '.tools/packages/pester/6.2.0/tools/Pester.psd1'
    if (-not (Test-Path $manifest)) { throw "Pester was not restored to $manifest" }
    return $manifest
}

function Invoke-Test {
    $runXunit = -not $PesterPath
    $runPester = -not $XunitProject
    if ($runXunit -or $runPester) { Install-DicomPeer }
    Invoke-Build
    $results = Join-Path $Root 'artifacts/test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory -Path $results -Force | Out-Null
    $suites = [System.Collections.Generic.List[object]]::new()

    if ($runXunit) {
        $projects = if ($XunitProject) { $XunitProject | ForEach-Object { Resolve-Path $_ } } else { Get-ChildItem (Join-Path $Root 'tests') -Recurse -Filter '*.Tests.csproj' }
        foreach ($project in $projects) {
            $name = [IO.Path]::GetFileNameWithoutExtension("$project")
            Write-Host "== xunit: $name"
            & dotnet test "$project" -c $Configuration --no-build --nologo --logger "trx;LogFileName=$name.trx" --logger 'console;verbosity=minimal' --results-directory $results
            $trx = Join-Path $results "$name.trx"
            if (-not (Test-Path $trx)) { $suites.Add([pscustomobject]@{ Name = $name; Passed = 0; Failed = 1; Note = 'no results (crashed or did not build)' }); continue }
            [xml] $doc = Get-Content -LiteralPath $trx -Raw
            $c = $doc.TestRun.ResultSummary.Counters
            $suites.Add([pscustomobject]@{ Name = $name; Passed = [int]$c.passed; Failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted; Note = '' })
        }
    }

    if ($runPester) {
        $manifest = Get-PesterManifest
        $paths = if ($PesterPath) { $PesterPath | ForEach-Object { (Resolve-Path $_).ProviderPath } } else { @(Join-Path $Root 'tests/Pester') }
        $json = Join-Path $results 'pester.json'
        Write-Host '== pester'
        # A fresh process: the module's DLL must not be loaded in the build's own process.
        & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -File (Join-Path $Root 'build/Invoke-PesterSuite.ps1') -PesterManifest $manifest -Path ($paths -join ',') -ResultPath $json
        if (Test-Path $json) {
            $p = Get-Content -LiteralPath $json -Raw | ConvertFrom-Json
            $suites.Add([pscustomobject]@{ Name = 'pester'; Passed = [int]$p.Passed; Failed = [int]$p.Failed + [int]$p.FailedBlocks; Note = $(if ($p.Skipped -or $p.NotRun) { "$($p.Skipped) skipped, $($p.NotRun) not run" } else { '' }) })
        } else {
            $suites.Add([pscustomobject]@{ Name = 'pester'; Passed = 0; Failed = 1; Note = 'Pester did not finish' })
        }
    }

    Write-Host ''
    $passed = 0; $failed = 0
    foreach ($suite in $suites) {
        # A suite that ran nothing is a failure: a test command must never pass by running no test.
        if ($suite.Passed + $suite.Failed -eq 0) { $suite.Failed = 1; $suite.Note = 'ran no test' }
        $passed += $suite.Passed; $failed += $suite.Failed
        $note = if ($suite.Note) { "   ($($suite.Note))" } else { '' }
        Write-Host ("{0}: {1} passed, {2} failed{3}" -f $suite.Name, $suite.Passed, $suite.Failed, $note)
    }
    if ($passed + $failed -eq 0) { $failed = 1 }
    Write-Host ("total: {0} passed, {1} failed" -f $passed, $failed)
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Bench {
    Invoke-Build
    # Each benchmark project prints its own figures; see bench/README.md for the cases.
    foreach ($project in Get-ChildItem (Join-Path $Root 'bench') -Recurse -Filter *.csproj) {
        Write-Host "== bench: $($project.BaseName)"
        Invoke-Native dotnet (@('run', '-c', $Configuration, '--project', $project.FullName, '--') + $BenchCase)
    }
    Write-Host '== bench: Import-Module'
    & (Join-Path $Root 'bench/Measure-ModuleImport.ps1')
}

function Invoke-Demo {
    Install-DicomPeer -Optional
    Invoke-Build
    # A fresh process: the module's DLL must not stay loaded in the build's own process.
    & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -File (Join-Path $Root 'examples/Invoke-HandiDemo.ps1') -Path $DemoPath
    if ($LASTEXITCODE -ne 0) { throw "the demo failed (exit code $LASTEXITCODE)" }
}

function Invoke-Package {
    Invoke-Build
    # A fresh process: packaging reads the manifest and must not load the module into the build's process.
    & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -File (Join-Path $Root 'build/New-ModulePackage.ps1') -Root $Root -OutputPath (Join-Path $Root 'out')
    if ($LASTEXITCODE -ne 0) { throw "packaging failed (exit code $LASTEXITCODE)" }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Demo' { Invoke-Demo }
    'Test' { Invoke-Test }
    'Bench' { Invoke-Bench }
    'Package' { Invoke-Package }
}
