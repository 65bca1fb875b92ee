<#
.SYNOPSIS
    Runs the whole quarterly "Updating from PACS" procedure, unattended, on built-in demo data: two quarters.
.DESCRIPTION
    Generates a deterministic synthetic site (cohort, deceased extract, the clinicians' include/exclude workbook,
    XNAT's eight session exports, the ID map and the ingestion team's accumulated failure text), starts a real
    PACS (dcmtk's dcmqrscp) holding the cohort's studies and the XNAT test double (its query-retrieve plugin
    pulling from that PACS, its project holding the exported sessions), writes a runbook configuration, and runs
    Invoke-HandiPacsUpdate in DQR mode, the way the scheduled task would:

      quarter 1  the run imports the cohort, queries PACS, selects, asks XNAT's query-retrieve plugin to import
                 the selected studies — the double fails a quarter of them — records the failures in the ledger,
                 measures the failure rates, exports XNAT's session lists, merges and publishes the master summary.
      between    a clinician decides the review workbook (Update-StudyRule); the XNAT admin re-imports half of the
                 failed studies by hand (they arrive as sessions with the study's real series).
      quarter 2  the next run queries each patient from its watermark (less the overlap), imports the newly
                 included studies (nothing twice), and resolves the re-imported failures in the ledger.

    -IngestionMode HandOver runs the same two quarters with another team ingesting (the run stops after
    selection; this script plays the team and -Resume finishes the run with its failure text).
    Prints each run's result and where its folder and report are. Everything it starts is stopped at the end.
#>
[CmdletBinding()]
param(
    [string] $Path = (Join-Path $PSScriptRoot '../demo-output'),
    [int] $Subjects = 300,
    [int] $Seed = 1,
    [ValidateSet('Dqr', 'HandOver')]
    [string] $IngestionMode = 'Dqr'
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../HandiImaging.psd1') -Force
Import-Module (Join-Path $PSScriptRoot 'DemoPacs.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'XnatDouble.psm1') -Force
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

function Write-Config([int] $PacsPort, [string] $XnatUri) {
    # DQR mode reads XNAT's session lists over REST; hand-over mode reads the admin's exported CSVs.
    $ingestion = if ($XnatUri) {
        "Ingestion         = @{ Mode = 'Dqr' }`n    Xnat              = @{ Uri = '$XnatUri'; Project = 'RT-HaND'; PacsId = 1; PollSeconds = 1; WaitMinutes = 2 }"
    } else {
        "Ingestion         = @{ Mode = 'HandOver' }`n    SessionExportPath = 'data/xnat-exports'"
    }
    $config = Join-Path $site 'HandiImaging.config.psd1'
    Set-Content -LiteralPath $config -Encoding utf8 -Value @"
@{
    Pacs              = @{ HostName = '127.0.0.1'; Port = $PacsPort; CalledAeTitle = 'QRSCP'; CallingAeTitle = 'HANDI'; TimeoutSeconds = 10 }
    $ingestion
    CohortPath        = 'data/cohort.csv'
    DeceasedPath      = 'data/deceased.csv'
    RulesPath         = 'data/study-descriptions.xlsx'
    LedgerPath        = 'data/failure-ledger.csv'
    IdMapPath         = 'data/HospitalID-NHSNumber.csv'
    ReferenceDatePath = 'data/reference_dates.csv'
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

# The clinician's side: every description awaiting review is included (Update-StudyRule).
function Approve-DemoReview($Run) {
    if (-not $Run.ReviewPath) { return }
    $review = Join-Path $Path 'review-decided.csv'
    $decided = foreach ($row in (Import-Csv (Join-Path $Run.RunFolder '03-classified-studies.csv') | Where-Object Decision -eq Review | Sort-Object StudyDescription -Unique)) {
        [pscustomobject]@{ Description = $row.StudyDescription; Decision = 'Include'; Note = 'demo: clinician included it' }
    }
    $decided | Export-Csv -LiteralPath $review -NoTypeInformation -Encoding utf8
    $added = @(Update-StudyRule -Path (Join-Path $data 'study-descriptions.xlsx') -ReviewPath $review -DecidedBy 'Dr Demo' -DecidedOn $demo.AsOf.AddDays(30))
    "{0} descriptions added to the include list" -f $added.Count
}

function Invoke-HandOverQuarters {
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
    Approve-DemoReview $q1
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
    $script:q1 = $q1; $script:q2 = $q2
}

function Invoke-DqrQuarters {
    Step 'Starting the XNAT double: project RT-HaND with the exported sessions, its query-retrieve plugin on the PACS'
    $sessions = @(ConvertTo-XnatSeedSession)
    # Automatic DQR with a one-second retry wait: imports move on their own while the run waits, and a failing
    # study's retries take seconds, not XNAT's 300 s.
    $script:xnat = Start-XnatDouble -Seed @{
        options   = @{ dqrAutomatic = $true; dqrStepIntervalMilliseconds = 100; dqrRetryDelaySeconds = 1; dqrMaxAttempts = 2 }
        users     = @(@{ username = 'handi'; password = 'demo'; roles = @('Administrator', 'Dqr') })
        projects  = @(@{ id = 'RT-HaND'; dqrEnabled = $true })
        sessions  = $sessions
        pacs      = @(@{ id = 1; aeTitle = 'QRSCP'; host = '127.0.0.1'; port = $pacs.Port; callingAeTitle = 'XNAT'; defaultQueryRetrievePacs = $true })
        receivers = @(@{ aeTitle = 'XNAT'; port = 8104; enabled = $true; customProcessing = $true })
    }
    "XNAT at {0}: {1} sessions in RT-HaND" -f $xnat.BaseUri, $sessions.Count
    $credential = [pscredential]::new('handi', (ConvertTo-SecureString 'demo' -AsPlainText -Force))
    $config = Write-Config $pacs.Port $xnat.BaseUri
    "configuration: $config"

    Step 'Quarter 1: Invoke-HandiPacsUpdate (DQR; the double fails a quarter of the imports)'
    Invoke-XnatDoubleControl $xnat PUT dqr/faults @{ failFraction = 0.25; failureMessage = 'C-MOVE failed: the PACS could not send the study' } | Out-Null
    $script:q1 = Invoke-HandiPacsUpdate -ConfigPath $config -Credential $credential -AsOf $demo.AsOf -WarningAction SilentlyContinue
    Invoke-XnatDoubleControl $xnat DELETE faults | Out-Null
    Show-Run $q1

    Step 'Between quarters: a clinician decides the review workbook; the XNAT admin re-imports half of the failures'
    Approve-DemoReview $q1
    $open = @(Get-IngestFailure -LedgerPath (Join-Path $data 'failure-ledger.csv') -Status Open)
    $reimported = @($open | Select-Object -First ([math]::Ceiling($open.Count / 2)))
    foreach ($f in $reimported) {
        Invoke-XnatDoubleControl $xnat POST archive @{ pacsId = 1; project = 'RT-HaND'; studyInstanceUid = $f.StudyInstanceUid; subjectLabel = $f.Subject; label = $f.AccessionNumber } | Out-Null
    }
    "{0} of {1} open failures re-imported into XNAT" -f $reimported.Count, $open.Count

    Step 'Quarter 2: Invoke-HandiPacsUpdate (DQR)'
    $script:q2 = Invoke-HandiPacsUpdate -ConfigPath $config -Credential $credential -AsOf $demo.AsOf.AddDays(91) -WarningAction SilentlyContinue
    Show-Run $q2
}

# XNAT's project as the exports describe it, as the double's seed: one session per valid export row. The
# exports' deliberate edge cases (no subject, an unreadable date, a row exported twice) are left out: XNAT cannot hold those.
function ConvertTo-XnatSeedSession {
    $xsiTypes = @{ CT = 'xnat:ctSessionData'; MR = 'xnat:mrSessionData'; PET = 'xnat:petSessionData'; CR = 'xnat:crSessionData'
        DX = 'xnat:dxSessionData'; RF = 'xnat:rfSessionData'; SR = 'xnat:srSessionData'; XA = 'xnat:xaSessionData' }
    $day = [datetime]::MinValue
    $seen = [Collections.Generic.HashSet[string]]::new()
    foreach ($type in $xsiTypes.Keys) {
        $csv = Join-Path $exports "$type.csv"
        $header = (Get-Content -LiteralPath $csv -TotalCount 1) -split ','
        foreach ($row in Import-Csv -LiteralPath $csv -Header 'Subject', 'Date', 'Id', 'Fourth', 'Fifth' | Select-Object -Skip 1) {
            if (-not $row.Subject -or -not [datetime]::TryParseExact($row.Date, 'yyyy-MM-dd', [cultureinfo]::InvariantCulture, 'None', [ref] $day) -or -not $seen.Add($row.Id)) { continue }
            $session = @{ project = 'RT-HaND'; id = $row.Id; label = $row.Id; subjectLabel = $row.Subject; xsiType = $xsiTypes[$type]; date = $row.Date }
            switch ($header[3]) {
                'UID' { $session.uid = $row.Fourth }
                'Scanner' { $session.scanner = $row.Fourth }
                'ID' { $session.label = $row.Fourth }
            }
            switch ($header[4]) {
                'Scans' { $session.scans = @(1..[int]$row.Fifth | ForEach-Object { @{ id = "$_"; type = $type } }) }
                'Session' { $session.label = $row.Fifth }
                'Creator' { $session.insertUser = $row.Fifth }
            }
            $session
        }
    }
}

$pacs = $null
$xnat = $null
try {
    Step 'Starting the demo PACS (dcmqrscp) with the cohort''s studies'
    $pacs = Start-DemoPacs -Path (Join-Path $Path 'pacs') -Study (Import-Csv (Join-Path $quarter 'pacs-studies.csv'))
    "{0} studies on QRSCP@127.0.0.1:{1}" -f $demo.PacsStudies, $pacs.Port
    if ($IngestionMode -eq 'Dqr') { Invoke-DqrQuarters } else { Invoke-HandOverQuarters }
}
finally {
    if ($xnat) { Stop-XnatDouble $xnat }
    if ($pacs) { Stop-DemoPacs $pacs }
}

Step 'Done'
"Demo site:     $($site.FullName)"
"Quarter 1 run: $($q1.RunFolder)"
"Quarter 2 run: $($q2.RunFolder)"
"Master summary: $($q2.SummaryPath)"
"EDW drop:      $($q2.PublishedPath)"
"Ledger:        {0} open failures after quarter 1; quarter 2 resolved {1}, {2} still open" -f $q1.LedgerOpen, $q2.LedgerResolved, $q2.LedgerOpen
$report = if ($q2.ReportPath) { $q2.ReportPath } else { Join-Path $q2.RunFolder 'result.json' }
"Report:        $report"
"Demo time:     {0:0.0} s" -f $clock.Elapsed.TotalSeconds
