<#
.SYNOPSIS
    The scheduled task's script: runs Invoke-HandiPacsUpdate and exits with the run's exit code.
.DESCRIPTION
    For Task Scheduler (see Register-HandiRunbookTask.ps1):
        pwsh -NoProfile -NonInteractive -File Invoke-HandiRunbook.ps1 -ConfigPath D:\Handi\HandiImaging.config.psd1
    Exit codes: 0 success (or a hand-over run waiting for the ingestion team), 1 failed, 2 completed with problems
    (patients not queried, review items pending, studies not sent, no session exports), 3 another run holds the lock.
    The run folder (under the configuration's RunRoot) holds everything the run did; this script prints its path.
.PARAMETER ConfigPath
    The runbook configuration (see HandiImaging.config.psd1).
.PARAMETER Resume
    A run folder to finish (a hand-over run, with -FailurePath).
.PARAMETER FailurePath
    Hand-over mode: the failure text the ingestion team returned.
.PARAMETER AsOf
    The date the run acts as of (default today).
.PARAMETER ModulePath
    Where HandiImaging is (default: the installed module, else this repository's manifest).
.PARAMETER WhatIf
    Rehearse: run the read-only steps and report what would be imported.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ConfigPath,
    [string] $Resume,
    [string] $FailurePath,
    [datetime] $AsOf = [datetime]::Today,
    [string] $ModulePath,
    [switch] $WhatIf
)
$ErrorActionPreference = 'Stop'
try {
    if (-not $ModulePath) {
        $ModulePath = if (Get-Module -ListAvailable HandiImaging) { 'HandiImaging' } else { Join-Path $PSScriptRoot '../HandiImaging.psd1' }
    }
    Import-Module $ModulePath
    $arguments = @{ ConfigPath = $ConfigPath; AsOf = $AsOf; WhatIf = $WhatIf }
    if ($Resume) { $arguments.Resume = $Resume }
    if ($FailurePath) { $arguments.FailurePath = $FailurePath }
    $run = Invoke-HandiPacsUpdate @arguments -ErrorAction Continue
    $run | Format-List RunId, Status, ExitCode, Mode, AsOf, Patients, Deceased, NotQueried, Studies, Included, Review, Planned, AlreadyImported, Imported, Failed, NotSent, LedgerOpen, LedgerResolved, PatientsRecorded, HandOverPath, SummaryPath, ReviewPath, ReportPath, RunFolder, Error | Out-Host
    exit $run.ExitCode
}
catch {
    # A configuration that cannot be used, a module that does not load: the task failed.
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 1
}
