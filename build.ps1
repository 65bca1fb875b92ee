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
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Bench')]
    [string] $Task = 'Build',

    # Where the demo writes its quarter and outputs.
    [string] $DemoPath = (Join-Path $PSScriptRoot 'demo-output'),

    # Benchmark cases to run (see bench/README.md); all when empty.
    [string[]] $BenchCase = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$env:NO_COLOR = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }

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

Invoke-Build
