<#
.SYNOPSIS
    Registers the quarterly HandiImaging runbook as a Windows scheduled task (run as an administrator).
.DESCRIPTION
    The task runs examples/Invoke-HandiRunbook.ps1 with PowerShell 7 at 02:00 on the first Monday after each
    quarter ends, as a service account that can read the PACS and write the run root and the EDW drop folder.
    Export the XNAT credential as that account (DPAPI ties the file to the account and machine):
        runas /user:HOSPITAL\svc-handi "pwsh -Command Get-Credential | Export-Clixml D:\Handi\xnat-credential.clixml"
    Task Scheduler records the script's exit code as the task's Last Run Result: 0 success, 1 failed,
    2 completed with problems, 3 another run holds the lock.
.EXAMPLE
    ./Register-HandiRunbookTask.ps1 -ConfigPath D:\Handi\HandiImaging.config.psd1 -User 'HOSPITAL\svc-handi'
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $ConfigPath,
    [Parameter(Mandatory)] [string] $User,
    [string] $TaskName = 'HandiImaging quarterly PACS update',
    [string] $Script = (Join-Path $PSScriptRoot 'Invoke-HandiRunbook.ps1'),
    [string] $Pwsh = (Join-Path $env:ProgramFiles 'PowerShell\7\pwsh.exe')
)
$ErrorActionPreference = 'Stop'
$action = New-ScheduledTaskAction -Execute $Pwsh -Argument "-NoProfile -NonInteractive -ExecutionPolicy RemoteSigned -File `"$Script`" -ConfigPath `"$ConfigPath`""
# Task Scheduler has no quarterly trigger in its cmdlets: a monthly day-of-week trigger (CIM) on the first Monday of
# January, April, July and October (MonthsOfYear is a bit mask: January 1, April 8, July 64, October 512).
$class = Get-CimClass -Namespace Root/Microsoft/Windows/TaskScheduler -ClassName MSFT_TaskMonthlyDOWTrigger
$trigger = New-CimInstance -CimClass $class -ClientOnly
$trigger.DaysOfWeek = 2          # Monday
$trigger.WeeksOfMonth = 1        # the first week
$trigger.MonthsOfYear = 1 + 8 + 64 + 512
$trigger.StartBoundary = (Get-Date -Hour 2 -Minute 0 -Second 0).ToString('s')
$trigger.Enabled = $true
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Hours 12) -MultipleInstances IgnoreNew -StartWhenAvailable
if ($PSCmdlet.ShouldProcess($TaskName, "Register for $User")) {
    $credential = Get-Credential -UserName $User -Message "Password of $User (Task Scheduler stores it to run the task)"
    Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings -RunLevel Limited `
        -User $User -Password $credential.GetNetworkCredential().Password
}
