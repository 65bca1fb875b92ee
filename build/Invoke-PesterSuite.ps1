<#
.SYNOPSIS
    Runs Pester suites in this (fresh) process and writes the counts to a JSON file for build.ps1.
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    # Comma-separated: -File cannot pass an array.
    [Parameter(Mandatory)] [string] $Path,
    [Parameter(Mandatory)] [string] $ResultPath
)
$ErrorActionPreference = 'Stop'
if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module $PesterManifest -Force

$config = New-PesterConfiguration
$config.Run.Path = @($Path -split ',')
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Normal'
$config.Output.RenderMode = 'Plaintext'
$result = Invoke-Pester -Configuration $config

[pscustomobject]@{
    Passed       = $result.PassedCount
    Failed       = $result.FailedCount
    Skipped      = $result.SkippedCount
    NotRun       = $result.NotRunCount
    # A container that failed to load (syntax error, failing BeforeAll) runs no tests but must count.
    FailedBlocks = $result.FailedBlocksCount + $result.FailedContainersCount
} | ConvertTo-Json | Set-Content -LiteralPath $ResultPath
