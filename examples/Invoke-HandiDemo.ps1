<#
.SYNOPSIS
    Runs the whole quarterly "Updating from PACS" procedure, unattended, on built-in demo data: two quarters.
.DESCRIPTION
    Generates a deterministic synthetic site (cohort, deceased extract, the clinicians' include/exclude workbook,
    XNAT's eight session exports, the ID map and the ingestion team's accumulated failure text), starts a real
    PACS (dcmtk's dcmqrscp) holding the cohort's studies, writes a runbook configuration, and runs
    Invoke-HandiPacsUpdate in hand-over mode, the way the scheduled task would:

      quarter 1  the run imports the cohort, queries PACS, selects, and stops with the hand-over list;
                 the "ingestion team" (this script) ingests the list — some studies fail — and returns its
                 failure text; -Resume finishes the run: ledger, session exports, master summary, watermarks.
      between    a clinician decides the review workbook (Update-StudyRule); the ingestion team re-ingests
                 some earlier failures.
      quarter 2  the next run queries each patient from its watermark (less the overlap), imports the newly
                 included studies (nothing twice), and resolves the re-ingested failures.

    Prints each run's result and where its folder and report are.
#>
[CmdletBinding()]
param(
    [string] $Path = (Join-Path $PSScriptRoot '../demo-output'),
    [int] $Subjects = 300,
    [int] $Seed = 1
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../HandiImaging.psd1') -Force
Import-Module (Join-Path $PSScriptRoot 'DemoPacs.psm1') -Force
$clock = [Diagnostics.Stopwatch]::StartNew()

if (Test-Path $Path) { Remove-Item $Path -Recurse -Force }
$demo = New-HandiDemoData -Path (Join-Path $Path 'quarter') -Subjects $Subjects -Seed $Seed
$quarter = $demo.Path
$site = New-Item -ItemType Directory -Path (Join-Path $Path 'site') -Force
$data = New-Item -ItemType Directory -Path (Join-Path $site 'data') -Force
$exports = New-Item -ItemType Directory -Path (Join-Path $data 'xnat-exports') -Force
foreach ($file in 'cohort.csv', 'deceased.csv', 'study-descriptions.xlsx', 'HospitalID-NHSNumber.csv', 'reference_dates.csv') { Copy-Item (Join-Path $quarter $file) $data }
foreach ($type in 'CT', 'MR', 'PET', 'CR', 'DX', 'RF', 'SR', 'XA') { Copy-Item (Join-Path $quarter "$type.csv") $exports }
function Step([string] $text) { Write-Host "`n== $text" }

function Write-Config([int] $PacsPort) {
    $config = Join-Path $site 'HandiImaging.config.psd1'
    Set-Content -LiteralPath $config -Encoding utf8 -Value @"
@{
    Pacs              = @{ HostName = '127.0.0.1'; Port = $PacsPort; CalledAeTitle = 'QRSCP'; CallingAeTitle = 'HANDI'; TimeoutSeconds = 10 }
    Ingestion         = @{ Mode = 'HandOver' }
    CohortPath        = 'data/cohort.csv'
    DeceasedPath      = 'data/deceased.csv'
    RulesPath         = 'data/study-descriptions.xlsx'
    LedgerPath        = 'data/failure-ledger.csv'
    IdMapPath         = 'data/HospitalID-NHSNumber.csv'
    ReferenceDatePath = 'data/reference_dates.csv'
    SessionExportPath = 'data/xnat-exports'
    OverlapDays       = 14
    RunRoot           = 'runs'
    Edw               = @{ DropFolder = 'edw-drop'; Keep = 4 }
}
"@
    $config
}

function Show-Run($run) {
    $run | Format-List Status, ExitCode, Patients, Deceased, NotQueried, Studies, Included, Review, Planned, AlreadyImported, Imported, Failed, LedgerOpen, LedgerResolved, PatientsRecorded | Out-Host
    $run.Steps | Format-Table | Out-Host
    foreach ($problem in $run.Problems) { "  problem: $problem" }
}

# The ingestion team's side of a hand-over: ingest the list (every fourth study fails), add what was ingested to
# XNAT's session exports, and return the failure text — the accumulated list, as the SOP has it re-sent.
function Invoke-IngestionTeam($Run, [string] $FailureText) {
    $plan = @(Import-Csv (Join-Path $Run.RunFolder '04-import-plan.csv'))
    $handover = @(Import-Csv $Run.HandOverPath)
    "{0} studies handed over ({1})" -f $handover.Count, $Run.HandOverPath
    $lines = [Collections.Generic.List[string]]::new()
    if (Test-Path $FailureText) { $lines.AddRange([string[]](Get-Content -LiteralPath $FailureText)) }
    $i = 0
    foreach ($study in $handover) {
        $i++
        if ($i % 4 -eq 0) {
            $lines.Add((@{ accessionNumber = $study.AccessionNumber; id = $study.HospitalId; studyDate = $study.StudyDate
                        studyDescription = $study.StudyDescription; studyInstanceUid = $study.StudyInstanceUid } | ConvertTo-Json -Compress))
            continue
        }
        $modality = ($plan | Where-Object StudyInstanceUid -eq $study.StudyInstanceUid).Modalities
        Add-DemoSession $study $modality
    }
    $returned = Join-Path $Path ("returned-failures-{0}.txt" -f $Run.RunId)
    Set-Content -LiteralPath $returned -Value $lines -Encoding utf8
    "{0} failed to ingest; failure text returned: {1}" -f [math]::Floor($handover.Count / 4), $returned
    $returned
}

function Add-DemoSession($Study, [string] $Modality, [string] $Scans = '1') {
    $type = switch -Regex ($Modality) { 'MR' { 'MR' } 'PT|NM' { 'PET' } 'DX' { 'DX' } 'RF' { 'RF' } default { 'CT' } }
    $fourth = if ($type -eq 'MR') { 'DEMO SCANNER' } else { $Study.StudyInstanceUid }
    Add-Content -LiteralPath (Join-Path $exports "$type.csv") -Value ('{0},{1},{2},{3},{4}' -f $Study.Subject, $Study.StudyDate, $Study.AccessionNumber, $fourth, $Scans)
}

$pacs = $null
try {
    Step 'Starting the demo PACS (dcmqrscp) with the cohort''s studies'
    $pacs = Start-DemoPacs -Path (Join-Path $Path 'pacs') -Study (Import-Csv (Join-Path $quarter 'pacs-studies.csv'))
    "{0} studies on QRSCP@127.0.0.1:{1}" -f $demo.PacsStudies, $pacs.Port
    $config = Write-Config $pacs.Port
    "configuration: $config"

    Step 'Quarter 1: Invoke-HandiPacsUpdate (hand-over mode: stops after selection)'
    $q1 = Invoke-HandiPacsUpdate -ConfigPath $config -AsOf $demo.AsOf -WarningAction SilentlyContinue
    Show-Run $q1
    Step 'Quarter 1: the ingestion team ingests the hand-over list'
    $returned = Invoke-IngestionTeam $q1 (Join-Path $quarter 'PACs-failures.txt') | Tee-Object -Variable teamOutput | Select-Object -Last 1
    $teamOutput | Select-Object -SkipLast 1
    Step 'Quarter 1: -Resume with the returned failure text'
    $q1 = Invoke-HandiPacsUpdate -ConfigPath $config -Resume $q1.RunFolder -FailurePath $returned -WarningAction SilentlyContinue
    Show-Run $q1

    Step 'Between quarters: a clinician decides the review workbook; the ingestion team re-ingests some failures'
    if ($q1.ReviewPath) {
        $review = Join-Path $Path 'review-decided.csv'
        $decided = foreach ($row in (Import-Csv (Join-Path $q1.RunFolder '03-classified-studies.csv') | Where-Object Decision -eq Review | Sort-Object StudyDescription -Unique)) {
            [pscustomobject]@{ Description = $row.StudyDescription; Decision = 'Include'; Note = 'demo: clinician included it' }
        }
        $decided | Export-Csv -LiteralPath $review -NoTypeInformation -Encoding utf8
        $added = @(Update-StudyRule -Path (Join-Path $data 'study-descriptions.xlsx') -ReviewPath $review -DecidedBy 'Dr Demo' -DecidedOn $demo.AsOf.AddDays(30))
        "{0} descriptions added to the include list" -f $added.Count
    }
    $open = @(Get-IngestFailure -LedgerPath (Join-Path $data 'failure-ledger.csv') -Status Open)
    $reingested = $open | Where-Object { $_.StudyDate -and $_.StudyInstanceUid } | Select-Object -First ([math]::Ceiling($open.Count / 3))
    foreach ($f in $reingested) { Add-DemoSession ([pscustomobject]@{ Subject = $f.Subject; StudyDate = $f.StudyDate; AccessionNumber = $f.AccessionNumber; StudyInstanceUid = $f.StudyInstanceUid }) 'CT' }
    "{0} of {1} open failures re-ingested into XNAT" -f @($reingested).Count, $open.Count

    Step 'Quarter 2: Invoke-HandiPacsUpdate'
    $q2 = Invoke-HandiPacsUpdate -ConfigPath $config -AsOf $demo.AsOf.AddDays(91) -WarningAction SilentlyContinue
    Show-Run $q2
    if ($q2.Status -eq 'AwaitingHandOver') {
        $returned2 = Invoke-IngestionTeam $q2 $returned | Select-Object -Last 1
        $q2 = Invoke-HandiPacsUpdate -ConfigPath $config -Resume $q2.RunFolder -FailurePath $returned2 -WarningAction SilentlyContinue
        Show-Run $q2
    }
}
finally {
    if ($pacs) { Stop-DemoPacs $pacs }
}

Step 'Done'
"Demo site:     $($site.FullName)"
"Quarter 1 run: $($q1.RunFolder)"
"Quarter 2 run: $($q2.RunFolder)"
"Master summary: $($q2.SummaryPath)"
"EDW drop:      $($q2.PublishedPath)"
$report = if ($q2.ReportPath) { $q2.ReportPath } else { Join-Path $q2.RunFolder 'result.json' }
"Report:        $report"
"Demo time:     {0:0.0} s" -f $clock.Elapsed.TotalSeconds
